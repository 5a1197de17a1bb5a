"""Downloads: the report as CSV, XLSX or PDF, and the raw responses for analysts."""
from __future__ import annotations

from flask import Response, abort
from flask_babel import get_locale

from ..auth.access import role_required
from ..extensions import db
from . import bp, records
from . import raw as raw_export
from .build import build_report
from .present import labels
from .requests import report_request
from .view import report_view

ROLES = ("admin", "analyst", "agency_viewer")
MIMETYPES = {
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8"; the body starts with a UTF-8 BOM
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def filename(stem: str, filters, fmt: str) -> str:
    """A download name such as ``sipas-2026-Q3-H-AN.xlsx``."""
    parts = [stem, filters.period or "all", filters.agency or ""]
    safe = "-".join(p for p in parts if p).replace("..", "_")
    return f"{safe}.{fmt}"


def attachment(body: bytes | str, name: str, fmt: str) -> Response:
    """``body`` as a file download."""
    return Response(body, mimetype=MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def render_report(report, fmt: str, locale: str) -> bytes | str:
    """The report in ``fmt`` (csv, json, xlsx or pdf): the same numbers everywhere."""
    if fmt == "csv":
        return records.to_csv(report)
    if fmt == "json":
        return records.to_json(report)
    view = report_view(report, labels(db.session, report.filters.questionnaire, locale))
    if fmt == "xlsx":
        from .xlsx import workbook_bytes
        return workbook_bytes(view)
    from .pdf import pdf_bytes
    return pdf_bytes(view)


@bp.get("/export.<fmt>")
@role_required(*ROLES)
def export(fmt: str):
    """The report as CSV, XLSX or PDF (the same query string as the page)."""
    if fmt not in ("csv", "xlsx", "pdf"):
        abort(404)
    asked = report_request()
    if asked.error:
        abort(400, asked.error)
    report = build_report(db.session, asked.filters)
    body = render_report(report, fmt, str(get_locale()))
    return attachment(body, filename("sipas", asked.filters, fmt), fmt)


@bp.get("/raw.<fmt>")
@role_required(*ROLES)
def raw(fmt: str):
    """Raw responses without personal data (agency viewers: their subtree only)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    asked = report_request()
    if asked.error:
        abort(400, asked.error)
    frame = raw_export.raw_frame(db.session, asked.filters)
    body = raw_export.to_csv(frame) if fmt == "csv" else raw_export.to_xlsx(frame)
    return attachment(body, filename("sipas-responses", asked.filters, fmt), fmt)
