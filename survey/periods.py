"""Reporting periods: a year ``2026``, a quarter ``2026-Q1``, a month ``2026-03`` or a custom
range ``2026-01-15..2026-02-20``; each is a half-open range of survey dates."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


class PeriodError(ValueError):
    """A period string that is not one of the accepted forms."""


@dataclass(frozen=True)
class Period:
    """A labelled range of survey dates, ``start`` included and ``end`` excluded."""

    label: str
    kind: str
    start: date
    end: date

    def contains(self, other: Period) -> bool:
        """Whether ``other`` lies entirely inside this period."""
        return self.start <= other.start and other.end <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "year":
            return parse(str(self.start.year - 1))
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            year, q = (self.start.year, q - 1) if q > 1 else (self.start.year - 1, 4)
            return parse(f"{year}-Q{q}")
        if self.kind == "month":
            last = self.start - timedelta(days=1)
            return parse(f"{last.year}-{last.month:02d}")
        length = self.end - self.start
        start = self.start - length
        return parse(f"{start.isoformat()}..{(self.start - timedelta(days=1)).isoformat()}")


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse(text: str) -> Period:
    """Parse a period string; raise ``PeriodError`` saying which forms are accepted."""
    text = (text or "").strip()
    if m := _YEAR.match(text):
        year = int(m[1])
        return Period(text, "year", date(year, 1, 1), date(year + 1, 1, 1))
    if m := _QUARTER.match(text):
        year, q = int(m[1]), int(m[2])
        return Period(text, "quarter", _month_start(year, 3 * q - 2), _month_start(year, 3 * q + 1))
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        return Period(text, "month", date(year, month, 1), _month_start(year, month + 1))
    if m := _RANGE.match(text):
        try:
            start, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as exc:
            raise PeriodError(f"invalid date in period {text!r}: {exc}") from None
        if last < start:
            raise PeriodError(f"period {text!r} ends before it starts")
        return Period(text, "custom", start, last + timedelta(days=1))
    raise PeriodError(
        f"unknown period {text!r}: use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")


def quarter_of(day: date) -> str:
    """The quarter label of a date, e.g. ``2026-Q4``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def is_valid(text: str) -> bool:
    """Whether ``text`` is a period string."""
    try:
        parse(text)
    except PeriodError:
        return False
    return True
