"""Population totals: list by period, CSV import with a validation report, CSV template."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..auth.access import role_required
from ..catalog import TOTALS_COLUMNS, import_totals
from ..extensions import db
from ..models import Agency, PopulationTotal, ServiceArea
from . import bp
from .forms import TotalsUploadForm

_ROW = re.compile(r"^row (\d+): (.*)$")


def _describe(detail: str) -> str | None:
    """One problem of a totals row in the reader's language (None when not recognised)."""
    patterns = [
        (r"^period '(.*)' is not", lambda v: _("period “%(value)s” is not YYYY, YYYY-Qn or "
                                             "YYYY-MM", value=v)),
        (r"^unknown agency '(.*)'$", lambda v: _("no agency has the code “%(value)s”", value=v)),
        (r"^unknown service area '(.*)'$",
         lambda v: _("no service area has the code “%(value)s”", value=v)),
        (r"^dossiers '(.*)' is not a whole number$",
         lambda v: _("dossiers “%(value)s” is not a whole number", value=v)),
        (r"^dossiers (-\d+) is negative$",
         lambda v: _("dossiers %(value)s is negative", value=v)),
        (r"^duplicate of an earlier (row)$", lambda v: _("repeats an earlier row")),
    ]
    for pattern, say in patterns:
        if match := re.match(pattern, detail):
            return say(match.group(1))
    return None


def describe_problem(problem: str) -> str:
    """A problem reported by ``import_totals``, translated when its form is known."""
    match = _ROW.match(problem)
    if match and (detail := _describe(match.group(2))) is not None:
        return _("Row %(row)s: %(problem)s", row=match.group(1), problem=detail)
    if problem == "the file has no data rows":
        return _("The file has no data rows.")
    return problem


def totals_state() -> dict[str, int]:
    """Every stored total keyed ``period/agency/service area``."""
    rows = db.session.execute(
        sa.select(PopulationTotal.period, Agency.code, ServiceArea.code, PopulationTotal.dossiers)
        .join(Agency, Agency.id == PopulationTotal.agency_id)
        .join(ServiceArea, ServiceArea.id == PopulationTotal.service_area_id))
    return {f"{p}/{a}/{s}": n for p, a, s, n in rows}


def _changes(before: dict[str, int], after: dict[str, int]) -> tuple[dict, dict]:
    keys = sorted(k for k in after if before.get(k) != after[k])
    return {k: before[k] for k in keys if k in before}, {k: after[k] for k in keys}


def _import(form: TotalsUploadForm) -> list[str]:
    """Import the uploaded CSV; return the problems (nothing is written when there are any)."""
    try:
        text = form.totals.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [_("The file is not UTF-8 text.")]
    before = totals_state()
    report = import_totals(db.session, text)
    if report.problems:
        db.session.rollback()
        return [describe_problem(p) for p in report.problems]
    old, new = _changes(before, totals_state())
    audit.record(db.session, current_user, "import", "population_total", None, old,
                 {"file": form.totals.data.filename, "imported": report.imported,
                  "updated": report.updated, "totals": new})
    db.session.commit()
    flash(_("Imported %(new)s new and %(changed)s changed totals.", new=report.imported,
            changed=report.updated), "success")
    return []


@bp.route("/totals", methods=["GET", "POST"])
@role_required("admin", "analyst")
def totals():
    """Totals of one period (or all), and the import form."""
    form = TotalsUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        problems = _import(form)
        if not problems:
            return redirect(url_for("admin.totals"))
    period = request.args.get("period", "")
    periods = db.session.scalars(sa.select(PopulationTotal.period).distinct()
                                 .order_by(PopulationTotal.period.desc())).all()
    query = (sa.select(PopulationTotal).join(Agency, Agency.id == PopulationTotal.agency_id)
             .join(ServiceArea, ServiceArea.id == PopulationTotal.service_area_id)
             .order_by(PopulationTotal.period.desc(), Agency.code, ServiceArea.code))
    if period:
        query = query.where(PopulationTotal.period == period)
    rows = db.session.scalars(query.limit(2000)).all()
    status = 422 if problems or form.errors else 200
    return render_template("admin/totals.html", form=form, problems=problems, rows=rows,
                           periods=periods, period=period), status


@bp.get("/totals/template.csv")
@role_required("admin", "analyst")
def totals_template():
    """A CSV template: the header and one example row."""
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.code)).first()
    area = db.session.scalars(sa.select(ServiceArea).order_by(ServiceArea.code)).first()
    lines = [",".join(TOTALS_COLUMNS)]
    if agency and area:
        lines.append(f"2026-Q1,{agency.code},{area.code},120")
    return Response("\ufeff" + "\r\n".join(lines) + "\r\n", mimetype="text/csv",
                    headers={"Content-Disposition":
                             "attachment; filename=population-totals-template.csv"})
