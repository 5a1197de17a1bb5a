"""What a report is about: period, agency subtree, domains (service area, channel), options."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import periods
from ..models import Agency, PopulationTotal, Questionnaire, Response, ServiceArea

CHANNELS = ("all", "kiosk", "qr")
WEIGHTS = ("dossiers", "none")
VARIANCES = ("design", "counters")


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
