"""What a report is about and how a request asks for it: period, agency subtree, domains
(service area, channel), options; the filter form, defaults, pickers and the agency-viewer
scope."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date

import sqlalchemy as sa
from flask import abort, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session
from wtforms import DateField, Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from .. import periods
from ..auth.access import visible_agency_ids
from ..codes import REPORT_CHANNELS, REPORT_VARIANCES, REPORT_WEIGHTS
from ..extensions import db
from ..models import Agency, PopulationTotal, Questionnaire, Response, ServiceArea

CHANNELS = REPORT_CHANNELS
WEIGHTS = REPORT_WEIGHTS
VARIANCES = REPORT_VARIANCES


class FilterError(ValueError):
    """A report request that names an unknown period, agency, area or option.

    ``kind`` and ``value`` let the page say the same thing in the reader's language.
    """

    def __init__(self, message: str, kind: str = "", value: str | None = None):
        super().__init__(message)
        self.kind, self.value = kind, value


@dataclass(frozen=True)
class ReportFilters:
    """One report request; ``period`` None means all data, ``agency`` None the whole province."""

    period: str | None = None
    agency: str | None = None
    service_area: str | None = None
    channel: str = "all"
    questionnaire: str = "sipas"
    weights: str = "dossiers"
    variance: str = "design"

    @property
    def weighted(self) -> bool:
        """Whether the report uses the dossier weights."""
        return self.weights != "none"

    @property
    def has_domain(self) -> bool:
        """Whether a service area or channel restricts the report to a domain."""
        return bool(self.service_area) or self.channel != "all"

    def key(self) -> tuple:
        """A hashable key for caching."""
        return tuple(asdict(self).values())

    def query_args(self) -> dict[str, str]:
        """The query string that reproduces this report (defaults left out)."""
        defaults = ReportFilters()
        return {k: v for k, v in asdict(self).items()
                if v is not None and v != getattr(defaults, k)}

    def with_period(self, period: str | None) -> ReportFilters:
        """The same report for another period."""
        return replace(self, period=period)


def check(session: Session, filters: ReportFilters) -> ReportFilters:
    """Raise ``FilterError`` unless every part of ``filters`` exists."""
    if filters.period:
        try:
            periods.parse(filters.period)
        except periods.PeriodError as exc:
            raise FilterError(str(exc), "period", filters.period) from None
    if filters.channel not in CHANNELS:
        raise FilterError(f"unknown channel {filters.channel!r}", "channel",
                          filters.channel)
    if filters.weights not in WEIGHTS:
        raise FilterError(f"unknown weights {filters.weights!r}: use dossiers or none",
                          "weights", filters.weights)
    if filters.variance not in VARIANCES:
        raise FilterError(f"unknown variance {filters.variance!r}: use design or counters",
                          "variance", filters.variance)
    if filters.agency and agency_by_code(session, filters.agency) is None:
        raise FilterError(f"unknown agency {filters.agency!r}", "agency", filters.agency)
    if filters.service_area and session.scalar(sa.select(ServiceArea.id).where(
            ServiceArea.code == filters.service_area)) is None:
        raise FilterError(f"unknown service area {filters.service_area!r}", "service_area",
                          filters.service_area)
    if session.scalar(sa.select(Questionnaire.id).where(
            Questionnaire.code == filters.questionnaire).limit(1)) is None:
        raise FilterError(f"questionnaire {filters.questionnaire!r} is not loaded",
                          "questionnaire", filters.questionnaire)
    return filters


def agency_by_code(session: Session, code: str) -> Agency | None:
    """The agency with ``code``."""
    return session.scalars(sa.select(Agency).where(Agency.code == code)).first()


def agency_ids(session: Session, filters: ReportFilters) -> list[int] | None:
    """Ids of the agency subtree the report covers (None = the whole province)."""
    if not filters.agency:
        return None
    agency = agency_by_code(session, filters.agency)
    return agency.subtree_ids() if agency else []


def latest_quarter(session: Session) -> str:
    """The quarter of the newest response (today's quarter when there is none)."""
    newest = session.scalar(sa.select(sa.func.max(Response.survey_date)))
    if isinstance(newest, str):
        newest = date.fromisoformat(newest)
    return periods.quarter_of(newest or date.today())


def default_period(session: Session) -> str:
    """The newest quarter with dossier totals (so the headline is weighted), else the quarter
    of the newest response."""
    recorded = session.scalars(sa.select(PopulationTotal.period).distinct()).all()
    quarters = sorted({periods.quarter_of(periods.parse(p).start) for p in recorded
                       if periods.is_valid(p) and periods.parse(p).kind in ("quarter", "month")})
    newest = latest_quarter(session)
    weighted = [q for q in quarters if q <= newest]
    return weighted[-1] if weighted else newest


def data_range(session: Session) -> tuple[date, date] | None:
    """First and last survey date in the database."""
    first, last = session.execute(sa.select(sa.func.min(Response.survey_date),
                                            sa.func.max(Response.survey_date))).one()
    if first is None:
        return None
    if isinstance(first, str):
        first, last = date.fromisoformat(first), date.fromisoformat(last)
    return first, last


def period_choices(session: Session) -> list[str]:
    """Years, quarters and months that hold data, newest first."""
    span = data_range(session)
    if span is None:
        return [periods.quarter_of(date.today())]
    first, last = span
    labels: list[str] = []
    for year in range(last.year, first.year - 1, -1):
        labels.append(str(year))
        for q in range(4, 0, -1):
            label = f"{year}-Q{q}"
            period = periods.parse(label)
            if period.start <= last and period.end > first:
                labels.append(label)
    months = []
    year, month = last.year, last.month
    while (year, month) >= (first.year, first.month) and len(months) < 18:
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return labels + months


def trend_quarters(period: str | None, count: int = 6) -> list[str]:
    """The ``count`` quarters ending with the quarter in which ``period`` ends, oldest first."""
    if not period:
        return []
    chosen = periods.parse(period)
    last = periods.parse(periods.quarter_of(date.fromordinal(chosen.end.toordinal() - 1)))
    quarters = [last]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return [q.label for q in reversed(quarters)]


ALL = ""


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class ReportForm(Form):
    """Period, agency subtree, domains and method options of a report."""

    period = SelectField(_l("Period"), validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    agency = SelectField(_l("Agency (with its subordinate units)"), validate_choice=False)
    service_area = SelectField(_l("Service area"), validate_choice=False)
    channel = SelectField(_l("Channel"), choices=options([
        ("all", _l("All channels")), ("kiosk", _l("Kiosk at the counter")),
        ("qr", _l("QR code on a phone")),
        ("import", _l("Paper or telephone survey (imported)"))]))
    questionnaire = SelectField(_l("Questionnaire"), validate_choice=False)
    weights = SelectField(_l("Weights"), choices=options([
        ("dossiers", _l("Weighted to dossiers handled")), ("none", _l("Unweighted"))]))
    variance = SelectField(_l("Design"), choices=options([
        ("design", _l("Citizens sampled in every counter (default)")),
        ("counters", _l("Counters as a sample of counters (few degrees of freedom)"))]))

    def set_choices(self, period_labels: list[str], agencies: list[tuple[str, str]],
                    areas: list[tuple[str, str]], questionnaires: list[str],
                    whole_province: bool) -> None:
        """Fill the pickers with what exists and what the user may see."""
        self.period.choices = options([(p, p) for p in period_labels]
                                      + [("custom", _l("Custom range"))])
        self.agency.choices = options(([(ALL, _l("Whole province"))] if whole_province else [])
                                      + agencies)
        self.service_area.choices = options([(ALL, _l("All service areas"))] + areas)
        self.questionnaire.choices = options([(q, q) for q in questionnaires])

    def add_period(self, label: str) -> None:
        """Select ``label`` in the period picker (offering it when it is a custom range)."""
        if label not in {c.value for c in self.period.choices}:
            self.period.choices.insert(0, SelectChoice(label, label))
        self.period.data = label
        chosen = periods.parse(label)
        if chosen.kind == "custom":
            self.date_from.data = chosen.start
            self.date_to.data = date.fromordinal(chosen.end.toordinal() - 1)

    def custom_period(self) -> str | None:
        """The ``from..to`` label of the dates given (None when no date is given).

        Dates always win over the period picker; raise ``FilterError`` when a date is not a
        date, only one of the two is given, or the range ends before it starts.
        """
        given = {name: " ".join(field.raw_data or []).strip()
                 for name, field in (("from", self.date_from), ("to", self.date_to))}
        if not any(given.values()):
            return None
        for name, field in (("from", self.date_from), ("to", self.date_to)):
            if given[name] and field.data is None:
                raise FilterError(f"invalid date {given[name]!r}", "date", given[name])
        if not (self.date_from.data and self.date_to.data):
            raise FilterError("give both dates of a custom range", "one_date")
        if self.date_to.data < self.date_from.data:
            raise FilterError("the range ends before it starts", "range")
        return f"{self.date_from.data.isoformat()}..{self.date_to.data.isoformat()}"

    def to_filters(self, default_period: str, default_agency: str | None) -> ReportFilters:
        """The filters this form asks for, with defaults filled in (dates: a custom range)."""
        period = self.custom_period() or self.period.data or default_period
        if period == "custom":
            raise FilterError("give both dates of a custom range", "one_date")
        return ReportFilters(
            period=period,
            agency=self.agency.data or default_agency,
            service_area=self.service_area.data or None,
            channel=self.channel.data or "all",
            questionnaire=self.questionnaire.data or "sipas",
            weights=self.weights.data or "dossiers",
            variance=self.variance.data or "design")


@dataclass
class Request:
    """A checked report request: the form (for the page) and the filters it asks for."""

    form: ReportForm
    filters: ReportFilters
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
    agency = agency_by_code(db.session, code) if code else None
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
    labels = period_choices(db.session)
    form.set_choices(labels, [(a.code, "\u00a0\u00a0" * depth[a.id] + a.name) for a in agencies],
                     [tuple(a) for a in areas], list(codes),
                     visible_agency_ids(current_user) is None)
    return form


def error_text(exc: FilterError) -> str:
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
        filters = form.to_filters(default_period(db.session), default_agency())
        check_agency_access(filters.agency)
        check(db.session, filters)
    except FilterError as exc:
        error = error_text(exc)
        filters = ReportFilters(period=default_period(db.session), agency=default_agency())
    if error is None:
        if filters.period:
            form.add_period(filters.period)
        form.agency.data = filters.agency or ""
    return Request(form, filters, error)
