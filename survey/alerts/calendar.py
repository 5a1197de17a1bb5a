"""The one-stop calendar: opening hours, working days and holidays, in local time.

Settings (``config.py``): ``WORKING_HOURS`` "07:30-11:30,13:30-17:00", ``WORKING_DAYS`` "1-5"
(ISO weekdays, ranges and single days), ``HOLIDAYS`` "2027-01-01,2027-02-15:2027-02-19". Used
to tell a silent tablet from a closed office and to find ratings given outside opening hours.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants from the local start of ``start`` to the local end of ``end``
    (half-open), the range stored times are compared with."""
    low = datetime.combine(start, time(), LOCAL_TZ).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ).astimezone(UTC)
    return low, high


class CalendarError(ValueError):
    """A working-hours setting that cannot be read; the message names it."""


def _clock(text: str, setting: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise CalendarError(f"{setting}: {text!r} is not a time like 07:30") from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CalendarError(f"HOLIDAYS: {text!r} is not a date like 2027-01-01") from None


@dataclass(frozen=True)
class Calendar:
    """Opening intervals of a working day, the working weekdays and the holidays."""

    intervals: tuple[tuple[time, time], ...]
    weekdays: frozenset[int]
    holidays: frozenset[date]

    @classmethod
    def parse(cls, hours: str, days: str, holidays: str = "") -> Calendar:
        """A calendar from the three settings; ``CalendarError`` names a bad one."""
        intervals = []
        for part in filter(None, (p.strip() for p in hours.split(","))):
            if "-" not in part:
                raise CalendarError(f"WORKING_HOURS: {part!r} is not an interval like 07:30-11:30")
            start, end = (_clock(x, "WORKING_HOURS") for x in part.split("-", 1))
            if end <= start:
                raise CalendarError(f"WORKING_HOURS: {part!r} ends before it starts")
            intervals.append((start, end))
        weekdays = set()
        for part in filter(None, (p.strip() for p in days.split(","))):
            try:
                low, _, high = part.partition("-")
                span = range(int(low), int(high or low) + 1)
            except ValueError:
                raise CalendarError(f"WORKING_DAYS: {part!r} is not like 1-5") from None
            if not span or min(span) < 1 or max(span) > 7:
                raise CalendarError(f"WORKING_DAYS: {part!r} is outside 1 (Monday)–7 (Sunday)")
            weekdays.update(span)
        closed = set()
        for part in filter(None, (p.strip() for p in holidays.split(","))):
            first, _, last = part.partition(":")
            start, end = _day(first), _day(last or first)
            while start <= end:
                closed.add(start)
                start += timedelta(days=1)
        if not intervals or not weekdays:
            raise CalendarError("WORKING_HOURS and WORKING_DAYS must name at least one period")
        return cls(tuple(sorted(intervals)), frozenset(weekdays), frozenset(closed))

    @classmethod
    def from_config(cls, config) -> Calendar:
        """The calendar of an app's settings."""
        return cls.parse(config["WORKING_HOURS"], config["WORKING_DAYS"], config["HOLIDAYS"])

    def is_working_day(self, day: date) -> bool:
        """Whether the one-stop counters open on ``day``."""
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware, any zone; naive = UTC) falls in opening hours."""
        local = _local(moment)
        if not self.is_working_day(local.date()):
            return False
        clock = local.time()
        return any(start <= clock < end for start, end in self.intervals)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Opening hours elapsed from ``start`` to ``end`` (0 when ``end`` is not later)."""
        start, end = _local(start), _local(end)
        total, day = 0.0, start.date()
        while day <= end.date():
            if self.is_working_day(day):
                for opens, closes in self.intervals:
                    low = max(start, datetime.combine(day, opens, LOCAL_TZ))
                    high = min(end, datetime.combine(day, closes, LOCAL_TZ))
                    if high > low:
                        total += (high - low).total_seconds() / 3600
            day += timedelta(days=1)
        return total

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """The close of the ``days``-th working day after ``moment``'s day (aware, UTC): a
        deadline of "N working days" counted as the one-stop offices count them (the day
        itself does not count; weekends and holidays are skipped)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day, left = _local(moment).date(), days
        while left > 0 or not self.is_working_day(day):
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        closes = max(end for _start, end in self.intervals)
        return datetime.combine(day, closes, LOCAL_TZ).astimezone(UTC)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ)
