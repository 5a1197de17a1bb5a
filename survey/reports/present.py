"""Turning report tables into what people read: labels, cells with CI, n and flag, pivots."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from analysis import reliability

from .. import queries
from ..models import Agency, Counter, ServiceArea

SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Cell:
    """One estimate as shown: number (unless suppressed), interval, n, reliability flag, and
    where the record has them coverage, weighting-cell notes and the model-based estimate."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    flag: str
    coverage: float | None = None
    low_coverage: bool = False
    notes: tuple[str, ...] = ()
    model: tuple[float, float | None, float | None] | None = None

    @property
    def shown(self) -> bool:
        """Whether the number may be shown (n ≥ 10 and an estimate exists)."""
        return self.flag != SUPPRESSED and self.estimate is not None

    @property
    def flags(self) -> list[str]:
        """The individual flags (``low_n``, ``wide``…)."""
        parts = (self.flag or "").replace(";", ",").split(",")
        found = [f.strip() for f in parts if f.strip() and f.strip() != "ok"]
        # the flags of ``analysis`` are exclusive (no_df wins over low_n): few answers are
        # marked whenever n is below the reliable size, whatever the flag
        if self.flag != SUPPRESSED and 0 < self.n < reliability.MIN_N_RELIABLE \
                and "low_n" not in found:
            found.append("low_n")
        return found


def _number(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def cell(record: dict | None) -> Cell:
    """A ``Cell`` from an index record (a missing record is a suppressed empty cell)."""
    if not record:
        return Cell(None, None, None, 0, SUPPRESSED)
    n = _number(record.get("n"))
    model = _number(record.get("model_estimate"))
    notes = tuple(v for v in _text(record.get("cell_notes")).split(",") if v)
    return Cell(_number(record.get("estimate")), _number(record.get("ci_low")),
                _number(record.get("ci_high")), int(n or 0), _text(record.get("flag")),
                _number(record.get("coverage")), _text(record.get("low_coverage")) == "True",
                notes, None if model is None else (model, _number(record.get("model_ci_low")),
                                                   _number(record.get("model_ci_high"))))


@dataclass
class Labels:
    """Names of measures and units in the reader's language."""

    measures: dict[str, str]
    elements: list[tuple[str, str, list[tuple[str, str]]]]
    agencies: dict[str, str]
    areas: dict[str, str]
    counters: dict[str, str]
    channels: dict[str, str]

    def unit(self, breakdown: str, code: str) -> str:
        """The name of a unit of ``breakdown`` (service_area, agency, counter or channel)."""
        names = {"service_area": self.areas, "agency": self.agencies,
                 "counter": self.counters, "channel": self.channels}[breakdown]
        return names.get(code, code)


def labels(session: Session, questionnaire_code: str, locale: str) -> Labels:
    """Labels for one questionnaire and the province's units."""
    lang = "en" if locale.startswith("en") else "vi"
    questionnaire = queries.latest_questionnaire(session, questionnaire_code)
    elements = []
    measures = {"SIPAS": "SIPAS"}
    for element in questionnaire.definition["elements"]:
        criteria = [(c["code"], c["label"][lang]) for c in element["criteria"]]
        elements.append((element["code"], element["label"][lang], criteria))
        measures[element["code"]] = element["label"][lang]
        measures.update(dict(criteria))
    area_name = ServiceArea.name_en if lang == "en" else ServiceArea.name_vi
    counters = {code: f"{agency} – {name}" for code, name, agency in session.execute(
        sa.select(Counter.code, Counter.name, Agency.name).join(Agency))}
    return Labels(
        measures, elements,
        dict(session.execute(sa.select(Agency.code, Agency.name)).all()),
        dict(session.execute(sa.select(ServiceArea.code, area_name)).all()), counters,
        channel_names())


def channel_names() -> dict[str, str]:
    """The collection channels in the reader's language."""
    from flask_babel import gettext as _

    return {"kiosk": _("Kiosk at the counter"), "qr": _("QR code on a phone"),
            "import": _("Imported from paper forms")}


def records_by(table: pd.DataFrame, level: str | None = None) -> dict[tuple[str, str], dict]:
    """Index records keyed by (unit, measure), optionally of one level only."""
    if table is None or table.empty:
        return {}
    if level:
        table = table[table["level"] == level]
    return {(str(r["by"]), str(r["measure"])): r for r in table.to_dict("records")}


def indices_only(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the SIPAS, element and criterion indices (not the mean scores)."""
    if table is None or table.empty:
        return pd.DataFrame(columns=list(table.columns) if table is not None else [])
    return table[table["level"].isin(["index", "element", "criterion"])]


def breakdown_rows(table: pd.DataFrame, breakdown: str, names: Labels,
                   measures: list[str]) -> list[dict]:
    """Rows of units, each with a cell per measure; sorted by SIPAS index, suppressed last."""
    keyed = records_by(indices_only(table))
    units = sorted({unit for unit, _ in keyed})
    rows = []
    for unit in units:
        cells = [cell(keyed.get((unit, m))) for m in measures]
        rows.append({"code": unit, "name": names.unit(breakdown, unit), "cells": cells})
    rows.sort(key=lambda r: (not r["cells"][0].shown, -(r["cells"][0].estimate or 0)))
    return rows


def matrix(table: pd.DataFrame, rows: list[str], units: list[str]) -> list[list[Cell]]:
    """A grid of cells: one row per measure, one column per unit (for the heat map)."""
    keyed = records_by(indices_only(table))
    return [[cell(keyed.get((unit, measure))) for unit in units] for measure in rows]


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
    from babel.numbers import format_decimal

    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # drops the sign of -0.0
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    text = format_decimal(abs(rounded), format=pattern, locale=locale or "vi")
    if rounded < 0:
        return MINUS + text
    return "+" + text if sign and rounded > 0 else text


def current_locale() -> str:
    """The reader's locale (Vietnamese outside a request)."""
    from flask_babel import get_locale

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
