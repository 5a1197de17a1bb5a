"""Officers' results: the list by agency (``/officers/results``), one officer's page
(``/officers/<id>``) and an officer's own page (``/officers/me``).

Officer accounts see their own page only; agency viewers the officers of their agency subtree;
admins and analysts everyone. The numbers come from ``results`` (``analysis``); here they are
only arranged, and formatted by the reports' one number format.
"""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from ..auth.access import role_required
from ..extensions import db
from ..models import Agency, Officer
from ..reports.filters import agency_by_code, report_request
from ..reports.numbers import fmt
from . import bp, service
from .manage import officer_groups

VIEWERS = ("admin", "analyst", "agency_viewer")


def _cell(record: dict | None):
    from ..reports.presentation import cell

    return cell(record)


def _page_args(filters) -> dict[str, str]:
    """The query string that keeps the period from page to page."""
    return {"period": filters.period} if filters.period else {}


@bp.get("/results")
@role_required(*VIEWERS)
def results():
    """n, direct SIPAS index and model-based index of every officer in scope."""
    from .results import figures

    asked = report_request()
    if asked.error:
        return render_template("officers/results.html", form=asked.form, error=asked.error,
                               filters=asked.filters, groups=[], figures={}, fmt=fmt,
                               cell=_cell, args={})
    filters = asked.filters
    within = None
    if filters.agency:
        agency = agency_by_code(db.session, filters.agency)
        within = agency.subtree_ids() if agency else []
    people = service.visible_officers(db.session, current_user, within)
    found = figures(db.session, people, filters)
    return render_template("officers/results.html", form=asked.form, error=None,
                           filters=filters, groups=officer_groups(people), figures=found,
                           fmt=fmt, cell=_cell, args=_page_args(filters))


def _officer_view(officer: Officer, own: bool):
    """One officer's page: index, elements and criteria where n allows."""
    from ..reports.presentation import labels
    from .results import figures

    asked = report_request()
    context = {"officer": officer, "agency": db.session.get(Agency, officer.agency_id),
               "own": own, "form": asked.form, "error": asked.error,
               "filters": asked.filters, "fmt": fmt, "cell": _cell, "figures": None,
               "rows": []}
    if asked.error:
        return render_template("officers/officer.html", **context)
    found = figures(db.session, [officer], asked.filters)[officer.id]
    names = labels(db.session, asked.filters.questionnaire, str(get_locale()))
    context.update(figures=found, rows=_measure_rows(found.visible(), names))
    return render_template("officers/officer.html", **context)


def _measure_rows(table, names) -> list[dict]:
    """SIPAS, then each element followed by its criteria: name, level, record, shown."""
    records = {(row["level"], row["measure"]): row for row in table.to_dict("records")}

    def row(level: str, code: str, name: str) -> dict:
        record = records.get((level, code))
        return {"level": level, "code": code, "name": name, "record": record,
                "shown": bool(record and record.get("shown"))}

    rows = [row("index", "SIPAS", "SIPAS")]
    for code, name, criteria in names.elements:
        rows.append(row("element", code, name))
        rows.extend(row("criterion", c, label) for c, label in criteria)
    return rows


@bp.get("/<int:officer_id>")
@role_required(*VIEWERS, "officer")
def officer_page(officer_id: int):
    """One officer's results (403 outside the reader's scope; officers: their own only)."""
    if current_user.role == "officer":
        if officer_id != current_user.officer_id:
            abort(403)
        return redirect(url_for("officers.me", **request.args.to_dict()))
    officer = db.get_or_404(Officer, officer_id)
    if not service.may_see(current_user, officer):
        abort(403)
    return _officer_view(officer, own=False)


@bp.get("/me")
@role_required("officer")
def me():
    """The signed-in officer's own results."""
    officer = db.session.get(Officer, current_user.officer_id) \
        if current_user.officer_id else None
    if officer is None:
        abort(403)
    return _officer_view(officer, own=True)
