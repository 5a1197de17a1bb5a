"""The report's number format against Babel's own formatting of the same rounded value."""
from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.reports.numbers import MINUS, format_number


def _babel(value: float, digits: int, locale: str) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    rounded = round(value, digits)
    text = format_decimal(Decimal(str(abs(rounded))), format=pattern, locale=locale)
    return (MINUS + text) if rounded < 0 else text


@settings(max_examples=400, deadline=None)
@given(value=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
       digits=st.integers(min_value=0, max_value=3), locale=st.sampled_from(["vi", "en"]))
def test_matches_babel(value, digits, locale):
    assert format_number(value, digits, locale) == _babel(value, digits, locale)


@pytest.mark.parametrize("value, digits, locale, sign, expected", [
    (1234567.25, 1, "vi", False, "1.234.567,2"),
    (1234567.25, 1, "en", False, "1,234,567.2"),
    (78.35, 1, "vi", False, "78,3"),
    (-0.04, 1, "vi", False, "0,0"),
    (-0.04, 1, "vi", True, "0,0"),
    (-3.26, 1, "vi", True, "\u22123,3"),
    (2.5, 1, "vi", True, "+2,5"),
    (0.0005, 3, "vi", False, "0,001"),
    (999.96, 1, "vi", False, "1.000,0"),
    (12.0, 0, "vi", False, "12"),
    (None, 1, "vi", False, "–"),
    (float("nan"), 1, "vi", False, "–"),
])
def test_known_texts(value, digits, locale, sign, expected):
    assert format_number(value, digits, locale, sign) == expected
