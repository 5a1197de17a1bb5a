"""From a request to checked report filters: defaults, pickers and the agency-viewer scope."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import visible_agency_ids
from ..extensions import db
from ..models import Agency, Questionnaire, ServiceArea
from . import filters as f
from .forms import ReportForm


@dataclass
class Request:
    """A checked report request: the form (for the page) and the filters it asks for."""

    form: ReportForm
    filters: f.ReportFilters
    error: str | None = None


def allowed_agencies() -> list[Agency]:
    """Agencies the signed-in user may report on, in tree order."""
    visible = visible_agency_ids(current_user)
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.level, Agency.name)).all()
    if visible is not None:
        agencies = [a for a in agencies if a.id in set(visible)]
    children: dict[int | None, list[Agency]] = {}
    ids = {a.id for a in agencies}
    for agency in agencies:
        parent = agency.parent_id if agency.parent_id in ids else None
        children.setdefault(parent, []).append(agency)
    ordered: list[Agency] = []

    def walk(parent: int | None) -> None:
        for agency in children.get(parent, []):
            ordered.append(agency)
            walk(agency.id)

    walk(None)
    return ordered


def check_agency_access(code: str | None) -> None:
    """403 unless the user may see agency ``code`` (None = the whole province)."""
    visible = visible_agency_ids(current_user)
    if visible is None:
        return
    agency = f.agency_by_code(db.session, code) if code else None
    if agency is None or agency.id not in visible:
        abort(403)


def default_agency() -> str | None:
    """An agency viewer's own agency; the whole province for everyone else."""
    if visible_agency_ids(current_user) is None:
        return None
    agency = db.session.get(Agency, current_user.agency_id)
    return agency.code if agency else None


def _form(agencies: list[Agency]) -> ReportForm:
    form = ReportForm(request.args)
    depth = {a.id: 0 for a in agencies}
    for agency in agencies:
        if agency.parent_id in depth:
            depth[agency.id] = depth[agency.parent_id] + 1
    area_name = ServiceArea.name_en if str(get_locale()).startswith("en") else ServiceArea.name_vi
    areas = db.session.execute(sa.select(ServiceArea.code, area_name)
                               .order_by(area_name)).all()
    codes = db.session.scalars(sa.select(Questionnaire.code).distinct()
                               .order_by(Questionnaire.code)).all()
    labels = f.period_choices(db.session)
    form.set_choices(labels, [(a.code, "\u00a0\u00a0" * depth[a.id] + a.name) for a in agencies],
                     [tuple(a) for a in areas], list(codes),
                     visible_agency_ids(current_user) is None)
    return form


def error_text(exc: f.FilterError) -> str:
    """A filter error in the reader's language."""
    value = exc.value or ""
    messages = {
        "period": _("unknown period “%(value)s”: choose a period in the list or give both "
                    "dates (From and To)", value=value),
        "date": _("“%(value)s” is not a valid date (use the date picker, e.g. 2026-07-01)",
                  value=value),
        "one_date": _("a custom range needs both dates: fill in From and To"),
        "range": _("the To date is before the From date"),
        "agency": _("unknown agency “%(value)s”", value=value),
        "service_area": _("unknown service area “%(value)s”", value=value),
        "channel": _("unknown channel “%(value)s”", value=value),
        "weights": _("unknown weights option “%(value)s”", value=value),
        "variance": _("unknown variance option “%(value)s”", value=value),
        "questionnaire": _("questionnaire “%(value)s” is not loaded", value=value),
    }
    return messages.get(exc.kind, str(exc))


def report_request() -> Request:
    """Parse and check the report filters of the current request (403 outside one's scope).

    An invalid request keeps the form as filled in and carries the error in the reader's
    language; its filters are the defaults but no report is shown for them.
    """
    form = _form(allowed_agencies())
    error = None
    try:
        filters = form.to_filters(f.default_period(db.session), default_agency())
        check_agency_access(filters.agency)
        f.check(db.session, filters)
    except f.FilterError as exc:
        error = error_text(exc)
        filters = f.ReportFilters(period=f.default_period(db.session), agency=default_agency())
    if error is None:
        if filters.period:
            form.add_period(filters.period)
        form.agency.data = filters.agency or ""
    return Request(form, filters, error)
