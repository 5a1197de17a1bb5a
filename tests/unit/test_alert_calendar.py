"""The one-stop calendar: opening hours counted by hand on a known week."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from survey.alerts.calendar import LOCAL_TZ, Calendar, CalendarError

HOURS = "07:30-11:30,13:30-17:00"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=LOCAL_TZ)   # 2026-11-16 is a Monday


def test_working_hours_between_counts_only_opening_hours():
    calendar = Calendar.parse(HOURS, "1-5", "2026-11-18")
    # Monday 10:00 → Tuesday 14:00: Mon 1.5 + 3.5, Tue 4 + 0.5 = 9.5 hours
    assert calendar.working_hours_between(at(16, 10), at(17, 14)) == 9.5
    # Tuesday 17:00 → Thursday 08:30 across the Wednesday holiday: 1 hour
    assert calendar.working_hours_between(at(17, 17), at(19, 8, 30)) == 1.0
    # Friday 16:00 → Monday 08:00 over the weekend: 1 + 0.5
    assert calendar.working_hours_between(at(20, 16), at(23, 8)) == 1.5
    assert calendar.working_hours_between(at(23, 8), at(20, 16)) == 0.0


def test_is_open_knows_lunch_weekends_and_holidays():
    calendar = Calendar.parse(HOURS, "1-5,6", "2026-11-18:2026-11-19")
    assert calendar.is_open(at(16, 7, 30)) and not calendar.is_open(at(16, 12))
    assert calendar.is_open(at(21, 9)) and not calendar.is_open(at(22, 9))   # Sat open, Sun not
    assert not calendar.is_open(at(19, 9))
    assert calendar.is_working_day(date(2026, 11, 20))
    utc_evening = datetime(2026, 11, 16, 1, 0)                    # naive UTC = 08:00 local
    assert calendar.is_open(utc_evening)


@pytest.mark.parametrize("hours, days, holidays, named", [
    ("7-11", "1-5", "", "WORKING_HOURS"), ("11:30-07:30", "1-5", "", "WORKING_HOURS"),
    (HOURS, "0-5", "", "WORKING_DAYS"), (HOURS, "mon", "", "WORKING_DAYS"),
    (HOURS, "1-5", "2026-13-01", "HOLIDAYS"), ("", "1-5", "", "WORKING_HOURS")])
def test_bad_settings_are_named(hours, days, holidays, named):
    with pytest.raises(CalendarError, match=named):
        Calendar.parse(hours, days, holidays)
