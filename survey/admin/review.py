"""Data-quality review: the flagged-response list, per-counter/device patterns and the actions.

The writes (flag by hand, exclude, restore) live in ``survey.responses``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ..models import Agency, Counter, Response, ResponseFlag
from ..periods import Period

IDENTICAL_MIN_ITEMS = 3
SHARE_ALERT = 0.5
SHARE_MIN_RESPONSES = 5
BUSY_FACTOR = 3.0
BUSY_MIN = 10


@dataclass
class Filters:
    """What the flagged-response list is restricted to."""

    status: str = "flagged"
    agency_ids: list[int] | None = None
    counter_id: int | None = None
    kind: str | None = None
    period: Period | None = None


def review_query(filters: Filters) -> sa.Select:
    """Responses matching ``filters``, newest first, with their flags loaded."""
    query = (sa.select(Response).options(selectinload(Response.flags),
                                         selectinload(Response.answers))
             .order_by(Response.received_at.desc(), Response.id.desc()))
    if filters.status != "all":
        query = query.where(Response.status == filters.status)
    if filters.agency_ids is not None:
        query = query.where(Response.agency_id.in_(filters.agency_ids))
    if filters.counter_id:
        query = query.where(Response.counter_id == filters.counter_id)
    if filters.kind:
        query = query.where(Response.id.in_(
            sa.select(ResponseFlag.response_id).where(ResponseFlag.kind == filters.kind)))
    if filters.period is not None:
        query = query.where(Response.survey_date >= filters.period.start,
                            Response.survey_date < filters.period.end)
    return query


def flag_kinds(session: Session) -> list[str]:
    """Every flag kind recorded so far, plus ``manual``."""
    kinds = set(session.scalars(sa.select(ResponseFlag.kind).distinct())) | {"manual"}
    return sorted(kinds)


@dataclass
class Pattern:
    """Responses of one counter (or one device of it) in the window, and how alike they are."""

    counter: Counter
    device: str | None = None
    total: int = 0
    identical: int = 0
    per_day: dict[date, int] = field(default_factory=dict)

    @property
    def share_identical(self) -> float:
        """Share of responses whose answers are all the same value."""
        return self.identical / self.total if self.total else 0.0

    @property
    def max_per_day(self) -> int:
        """Responses on the busiest day."""
        return max(self.per_day.values(), default=0)

    def series(self, days: list[date]) -> list[int]:
        """Responses on each of ``days`` (0 where there were none)."""
        return [self.per_day.get(day, 0) for day in days]

    @property
    def mean_per_day(self) -> float:
        """Mean responses per day with at least one response."""
        return self.total / len(self.per_day) if self.per_day else 0.0


def identical(item_values: str | None) -> bool:
    """Whether a response gave at least ``IDENTICAL_MIN_ITEMS`` answers, all the same value."""
    answered = [c for c in item_values or "" if c != "-"]
    return len(answered) >= IDENTICAL_MIN_ITEMS and len(set(answered)) == 1


def _add(pattern: Pattern, day: date, same: bool) -> None:
    pattern.total += 1
    pattern.identical += int(same)
    pattern.per_day[day] = pattern.per_day.get(day, 0) + 1


def _order(pattern: Pattern) -> tuple[float, int]:
    return -pattern.share_identical, -pattern.max_per_day


def patterns(session: Session, start: date, end: date,
             agency_ids: list[int] | None = None) -> tuple[list[Pattern], list[Pattern]]:
    """Per-counter and per-device patterns of the responses received from ``start`` to ``end``."""
    query = (sa.select(Response.counter_id, Response.client_id, Response.survey_date,
                       Response.item_values)
             .where(Response.survey_date >= start, Response.survey_date < end))
    if agency_ids is not None:
        query = query.where(Response.agency_id.in_(agency_ids))
    by_counter: dict[int, Pattern] = {}
    by_device: dict[tuple[int, str], Pattern] = {}
    counters = {c.id: c for c in session.scalars(sa.select(Counter))}
    for counter_id, device, day, values in session.execute(query):
        counter, dev, same = counters[counter_id], device or "—", identical(values)
        _add(by_counter.setdefault(counter_id, Pattern(counter)), day, same)
        _add(by_device.setdefault((counter_id, dev), Pattern(counter, dev)), day, same)
    return sorted(by_counter.values(), key=_order), sorted(by_device.values(), key=_order)


def suspicious(pattern: Pattern, typical_per_day: float) -> list[str]:
    """Why a pattern stands out: ``identical`` answers and/or a ``busy`` day."""
    reasons = []
    if pattern.total >= SHARE_MIN_RESPONSES and pattern.share_identical >= SHARE_ALERT:
        reasons.append("identical")
    if pattern.max_per_day >= max(BUSY_MIN, BUSY_FACTOR * typical_per_day):
        reasons.append("busy")
    return reasons


def typical_per_day(rows: list[Pattern]) -> float:
    """The median of the counters' mean responses per day."""
    return median([p.mean_per_day for p in rows]) if rows else 0.0


def last_days(start: date, end: date, limit: int = 31) -> list[date]:
    """The last ``limit`` days of the window ``start``..``end`` (end excluded), oldest first."""
    count = min(limit, (end - start).days)
    return [end - timedelta(days=count - i) for i in range(count)]


def default_window(days: int, today: date) -> tuple[date, date]:
    """The last ``days`` days up to and including ``today``."""
    return today - timedelta(days=days - 1), today + timedelta(days=1)


def agency_subtree(session: Session, agency_id: int) -> list[int] | None:
    """Ids of an agency and its descendants (None when no agency is chosen)."""
    agency = session.get(Agency, agency_id) if agency_id else None
    return agency.subtree_ids() if agency else None
