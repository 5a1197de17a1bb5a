"""The one number format of the reports: the page, the PDF, the XLSX texts and the charts."""
from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import parse_pattern
from flask_babel import get_locale

MINUS = "\u2212"  # the one minus sign of the page, the PDF, the XLSX texts and the charts


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float | None, digits: int = 1, locale: str | None = None,
                  sign: bool = False) -> str:
    """``value`` with ``digits`` decimals in ``locale``'s separators (Babel), or an en dash.

    A value that rounds to zero is "0,0" (never "-0,0"); negative numbers carry ``MINUS``;
    with ``sign`` a positive number gets "+" (changes: "+1,2", "−0,8", "0,0").
    """
    if _missing(value):
        return "–"
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # drops the sign of -0.0
    text = _pattern(digits).apply(Decimal(str(abs(rounded))), _locale(locale or "vi"))
    if rounded < 0:
        return MINUS + text
    return "+" + text if sign and rounded > 0 else text


@lru_cache(maxsize=16)
def _pattern(digits: int):
    """Babel's parsed pattern of ``digits`` decimals (parsed once, not per number)."""
    return parse_pattern("#,##0" + ("." + "0" * digits if digits > 0 else ""))


@lru_cache(maxsize=8)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def current_locale() -> str:
    """The reader's locale (Vietnamese outside a request)."""
    locale = get_locale()
    return str(locale) if locale else "vi"


def fmt(value: float | None, digits: int = 1, sign: bool = False) -> str:
    """A number as the reader's language writes it (decimal comma in Vietnamese), or an en dash.

    The one number formatter of the page, the PDF and the charts; see ``format_number``.
    """
    return format_number(value, digits, current_locale(), sign)


def fmt_p(value: float | None) -> str:
    """A p-value: three decimals, '< 0,001' below that."""
    if _missing(value):
        return "–"
    return "< " + fmt(0.001, 3) if value < 0.001 else fmt(value, 3)
