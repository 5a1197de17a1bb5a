"""The one number format of the reports: the page, the PDF, the XLSX texts and the charts."""
from __future__ import annotations

import math
from functools import lru_cache

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import get_locale

MINUS = "\u2212"  # the one minus sign of the page, the PDF, the XLSX texts and the charts


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float | None, digits: int = 1, locale: str | None = None,
                  sign: bool = False) -> str:
    """``value`` with ``digits`` decimals in ``locale``'s separators (Babel's symbols, groups of
    three as Babel's ``#,##0.0`` pattern writes them), or an en dash.

    A value that rounds to zero is "0,0" (never "-0,0"); negative numbers carry ``MINUS``;
    with ``sign`` a positive number gets "+" (changes: "+1,2", "−0,8", "0,0").
    """
    if _missing(value):
        return "–"
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # drops the sign of -0.0
    group, decimal = _symbols(locale or "vi")
    text = f"{abs(rounded):,.{max(digits, 0)}f}".translate({44: group, 46: decimal})
    if rounded < 0:
        return MINUS + text
    return "+" + text if sign and rounded > 0 else text


@lru_cache(maxsize=8)
def _symbols(name: str) -> tuple[str, str]:
    """The group and decimal separators of locale ``name`` (Babel's CLDR data)."""
    locale = Locale.parse(name)
    return get_group_symbol(locale), get_decimal_symbol(locale)


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
