"""Views of the reports blueprint: the report page, its charts and its downloads.

The modules that compute and draw (``compute``, ``presentation``, ``charts``, ``exports``:
pandas, numpy, scipy, matplotlib, openpyxl, fpdf2) are imported by the views that use them, not
with the blueprint, so that the app and every ``flask`` command start without them.
"""
from __future__ import annotations

from flask import Response, abort, render_template
from flask_babel import get_locale

from ..auth.access import role_required
from ..extensions import db
from . import bp
from .filters import report_request
from .numbers import fmt, fmt_p

ROLES = ("admin", "analyst", "agency_viewer")

def current_view(trend: bool = False):
    """The checked request and the report view it asks for."""
    from .compute import build_report
    from .presentation import labels, report_view

    asked = report_request()
    if asked.error:
        abort(400)
    report = build_report(db.session, asked.filters, trend=trend)
    names = labels(db.session, asked.filters.questionnaire, str(get_locale()))
    return asked, report_view(report, names)


@bp.get("/")
@role_required(*ROLES)
def index():
    """The report page: SIPAS with intervals, breakdowns, change, ranking and charts."""
    from .compute import build_report
    from .presentation import labels, report_view

    asked = report_request()
    if asked.error:  # the form and the error only: no report for filters nobody asked for
        return render_template("reports/index.html", form=asked.form, filters=asked.filters,
                               error=asked.error, view=None, args={}, notes=[],
                               channel_names={}, fmt=fmt, fmt2=lambda v: fmt(v, 2),
                               fmt_p=fmt_p)
    from .reasons import reason_table

    report = build_report(db.session, asked.filters, trend=False)  # the trend chart loads apart
    view = report_view(report, labels(db.session, asked.filters.questionnaire,
                                      str(get_locale())))
    reasons = reason_table(db.session, asked.filters, _lang(), view.labels.agencies,
                           view.labels.counters)
    return render_template("reports/index.html", form=asked.form, filters=asked.filters,
                           error=asked.error, view=view, args=asked.filters.query_args(),
                           notes=view.notes(), reasons=reasons,
                           channel_names={c.value: c.label for c in asked.form.channel.choices},
                           fmt=fmt, fmt2=lambda v: fmt(v, 2), fmt_p=fmt_p)


def _lang() -> str:
    return "en" if str(get_locale()).startswith("en") else "vi"


@bp.get("/chart/<name>.svg")
@role_required(*ROLES)
def chart(name: str):
    """One chart of the report as SVG (same query string as the page)."""
    from . import charts

    if name not in charts.CHARTS:
        abort(404)
    _asked, view = current_view(trend=name == "trend")
    svg = charts.CHARTS[name](view, "svg")
    return Response(svg, mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=300"})


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


@bp.get("/export.<fmt>")
@role_required(*ROLES)
def export(fmt: str):
    """The report as CSV, XLSX or PDF (the same query string as the page)."""
    from . import exports
    from .compute import build_report

    if fmt not in ("csv", "xlsx", "pdf"):
        abort(404)
    asked = report_request()
    if asked.error:
        abort(400, asked.error)
    report = build_report(db.session, asked.filters)
    body = exports.render_report(report, fmt, str(get_locale()))
    return attachment(body, filename("sipas", asked.filters, fmt), fmt)


@bp.get("/raw.<fmt>")
@role_required(*ROLES)
def raw(fmt: str):
    """Raw responses without personal data (agency viewers: their subtree only)."""
    from . import exports

    if fmt not in ("csv", "xlsx"):
        abort(404)
    asked = report_request()
    if asked.error:
        abort(400, asked.error)
    frame = exports.raw_frame(db.session, asked.filters)
    body = exports.raw_csv(frame) if fmt == "csv" else exports.raw_xlsx(frame)
    return attachment(body, filename("sipas-responses", asked.filters, fmt), fmt)


def _portal(asked):
    from .portal import portal_table
    from .presentation import labels

    names = labels(db.session, asked.filters.questionnaire, str(get_locale())).agencies
    return portal_table(db.session, asked.filters, names)


@bp.get("/portal")
@role_required(*ROLES)
def portal():
    """The portal-style table: rated and satisfied shares against the portal's target,
    follow-ups on time and the SIPAS index, per agency of the chosen subtree."""
    from .portal import portal_filters, portal_notes

    asked = report_request()
    if asked.error:
        return render_template("reports/portal.html", form=asked.form, filters=asked.filters,
                               error=asked.error, table=None, args={}, notes=[],
                               fmt=fmt), 400
    table = _portal(asked)
    args = portal_filters(asked.filters).query_args()
    return render_template("reports/portal.html", form=asked.form, filters=asked.filters,
                           error=None, table=table, args=args, notes=portal_notes(table),
                           fmt=fmt)


@bp.get("/portal.<fmt>")
@role_required(*ROLES)
def portal_export(fmt: str):
    """The portal-style table as XLSX or PDF (the same query string as its page)."""
    if fmt not in ("xlsx", "pdf"):
        abort(404)
    asked = report_request()
    if asked.error:
        abort(400, asked.error)
    table = _portal(asked)
    if fmt == "xlsx":
        from .xlsx import portal_workbook
        body = portal_workbook(table)
    else:
        from .pdf import portal_pdf
        body = portal_pdf(table)
    return attachment(body, filename("sipas-portal", asked.filters, fmt), fmt)
