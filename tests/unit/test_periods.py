"""Reporting periods."""
from datetime import date

import pytest

from survey import periods


@pytest.mark.parametrize("text,start,end", [
    ("2026", date(2026, 1, 1), date(2027, 1, 1)),
    ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-02", date(2026, 2, 1), date(2026, 3, 1)),
    ("2026-01-15..2026-02-20", date(2026, 1, 15), date(2026, 2, 21)),
])
def test_periods_are_half_open_date_ranges(text, start, end):
    period = periods.parse(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text,previous", [("2026", "2025"), ("2026-Q1", "2025-Q4"),
                                           ("2026-01", "2025-12")])
def test_previous_period(text, previous):
    assert periods.parse(text).previous().label == previous


@pytest.mark.parametrize("bad", ["", "2026-Q5", "2026-13", "26", "2026-02-30..2026-03-01",
                                 "2026-03-01..2026-02-01"])
def test_bad_periods_are_refused_with_a_reason(bad):
    with pytest.raises(periods.PeriodError):
        periods.parse(bad)


def test_year_contains_its_quarters():
    assert periods.parse("2026").contains(periods.parse("2026-Q3"))
    assert not periods.parse("2026-Q1").contains(periods.parse("2026-04"))
