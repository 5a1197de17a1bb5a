"""Turning report tables into what people read: labels, cells with CI, n and flags, and the
report as rows ready to show (the page, the XLSX and the PDF all read ``ReportView``)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from analysis import reliability

from .. import queries
from ..models import Agency, Counter, ServiceArea
from . import notes
from .compute import Report

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
                 "province": self.agencies, "counter": self.counters,
                 "channel": self.channels}[breakdown]
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
    return {"kiosk": _("Kiosk at the counter"), "qr": _("QR code on a phone"),
            "import": _("Paper or telephone survey (imported)")}


def records(table: pd.DataFrame) -> list[dict]:
    """The rows of ``table`` as dicts of Python values, like ``to_dict("records")`` but a
    column at a time (pandas converts each value of each row on its own)."""
    columns = list(table.columns)
    return [dict(zip(columns, row)) for row in zip(*(table[c].tolist() for c in columns))]


def records_by(table: pd.DataFrame, level: str | None = None) -> dict[tuple[str, str], dict]:
    """Index records keyed by (unit, measure), optionally of one level only."""
    if table is None or table.empty:
        return {}
    if level:
        table = table[table["level"] == level]
    return {(str(r["by"]), str(r["measure"])): r for r in records(table)}


def indices_only(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the SIPAS, element and criterion indices (not the mean scores)."""
    if table is None or table.empty:
        return pd.DataFrame(columns=list(table.columns) if table is not None else [])
    return table[table["level"].isin(["index", "element", "criterion"])]


def breakdown_rows(table: pd.DataFrame, breakdown: str, names: Labels,
                   measures: list[str]) -> list[dict]:
    """Rows of units, each with a cell per measure; sorted by SIPAS index, suppressed last."""
    table = indices_only(table)
    if table.empty:
        return []
    units = sorted({str(unit) for unit in table["by"]})
    keyed = records_by(table[table["measure"].isin(measures)])
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


@dataclass
class ElementRow:
    """An element with its index; its criteria with index and mean score (1–5)."""

    code: str
    name: str
    cell: Cell
    criteria: list[tuple[str, str, Cell, Cell]]


@dataclass
class ReportView:
    """Rows of every section of one report."""

    report: Report
    labels: Labels
    headline: Cell
    elements: list[ElementRow]
    measures: list[str]
    breakdowns: dict[str, list[dict]]
    change: list[dict]
    ranking: list[dict]
    unranked: list[dict]
    counter_ranking: list[dict]
    counter_unranked: list[dict]
    trend: list[tuple[str, Cell]]
    heat_rows: list[str]
    heat_columns: list[str]
    heat_grid: list[list[Cell]]
    province_ranking: list[dict] = ()
    province_unranked: list[dict] = ()

    @property
    def weighting(self) -> dict:
        """Totals, design size and Kish effect of the current period."""
        return self.report.current.weighting

    @property
    def previous_weighting(self) -> dict:
        """Totals of the previous period (for the change table)."""
        return self.report.previous_weighting or {}

    @property
    def weighting_warning(self) -> str:
        """Warning shown next to the headline when cells of the period have no total."""
        return notes.weighting_warning(self.report.filters, self.weighting)

    @property
    def change_warning(self) -> str:
        """Warning on the change table when the two periods are weighted differently."""
        if not self.change:
            return ""
        return notes.change_warning(self.report.filters, self.weighting, self.previous_weighting)

    @property
    def weighted_in_fact(self) -> bool:
        """Whether any cell of the period is weighted by a dossier total."""
        return self.report.filters.weighted and \
            notes.weighting_status(self.weighting) in ("full", "partial", "empty")

    @property
    def sensitivity(self) -> Cell:
        """The SIPAS index without the flagged responses (a sensitivity line)."""
        return cell(self.report.current.sensitivity)

    def notes(self) -> list[str]:
        """The method note of this report, with the weighting warnings."""
        return notes.method_notes(self.report.filters, self.weighting,
                            self.previous_weighting if self.change else None,
                            self.report.current.sensitivity)


def _elements(report: Report, names: Labels) -> list[ElementRow]:
    overall = report.current.overall
    elements = records_by(overall, "element")
    criteria_index = records_by(overall, "criterion")
    means = records_by(overall, "mean")
    rows = []
    for code, name, criteria in names.elements:
        rows.append(ElementRow(code, name, cell(elements.get(("ALL", code))), [
            (c, label, cell(criteria_index.get(("ALL", c))), cell(means.get(("ALL", c))))
            for c, label in criteria]))
    return rows


def _change(report: Report, names: Labels) -> list[dict]:
    if report.change is None or report.change.empty:
        return []
    rows = []
    for record in records(report.change):
        now = cell({**record, "estimate": record["current"], "ci_low": None, "ci_high": None})
        before = cell({"estimate": record["previous"], "n": record["n_previous"],
                       "flag": record["flag_previous"]})
        comparable = now.shown and before.shown
        p_value = record.get("p_value")
        rows.append({
            "measure": record["measure"], "name": names.measures.get(record["measure"],
                                                                      record["measure"]),
            "level": record["level"], "current": now, "previous": before,
            "difference": record["difference"] if comparable else None,
            "ci_low": record["ci_low"] if comparable else None,
            "ci_high": record["ci_high"] if comparable else None,
            "p_value": p_value if comparable else None,
            "significant": bool(comparable and record.get("significant"))})
    rows.sort(key=lambda r: r["level"] != "index")
    return rows


def _ranking(table, names: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """Ranked units (best first) and the units left out, each with its reason."""
    if table is None or table.empty:
        return [], []
    rows, unranked = [], []
    for record in records(table):
        ranks = {k: _rank(record.get(k)) for k in ("rank", "rank_low", "rank_high")}
        row = {**record, **ranks, "name": names.get(record["by"], record["by"]),
               "cell": cell(record), "model_based": record.get("basis") == "model"}
        (rows if ranks["rank"] is not None else unranked).append(row)
    if len(rows) < 2:  # one unit alone is not a ranking
        unranked = [{**r, "reason": r.get("reason") or "alone"} for r in rows] + unranked
        rows = []
    rows.sort(key=lambda r: (r["rank"], -(r["cell"].estimate or 0)))
    for row in unranked:
        row["reason_text"] = reason_text(row.get("reason") or "")
    return rows, unranked


def reason_text(code: str) -> str:
    """Why an agency is not ranked, in the reader's language."""
    return {"few": _("too few answers"),
            "no_interval": _("no confidence interval can be estimated"),
            "alone": _("no other agency to compare with")}.get(code, code)


def _rank(value) -> int | None:
    """A rank as an integer, None when the unit could not be ranked (no standard error)."""
    try:
        return None if value is None or math.isnan(value) else int(value)
    except (TypeError, ValueError):
        return None


def _heat(report: Report, names: Labels) -> tuple[list[str], list[str], list[list[Cell]]]:
    table = report.current.breakdowns.get("service_area")
    criteria = [c for _, _, crit in names.elements for c, _ in crit]
    if table is None or table.empty:
        return criteria, [], []
    units = sorted(set(table["by"]))
    grid = matrix(table, criteria, units)
    return criteria, [names.areas.get(u, u) for u in units], grid


def report_view(report: Report, names: Labels) -> ReportView:
    """Assemble every section of ``report`` with ``names``."""
    keyed = records_by(report.current.overall, "index")
    measures = ["SIPAS"] + [code for code, _, _ in names.elements]
    breakdowns = {b: breakdown_rows(t, b, names, measures)
                  for b, t in report.current.breakdowns.items()}
    trend = [(r["period"], cell(r)) for r in report.trend.to_dict("records")] \
        if report.trend is not None and not report.trend.empty else []
    rows, columns, grid = _heat(report, names)
    ranked, unranked = _ranking(report.ranking, names.agencies)
    counters, counters_left = _ranking(report.current.rankings.get("counter"), names.counters)
    provinces, provinces_left = _ranking(report.current.rankings.get("province"),
                                         names.agencies)
    return ReportView(report, names, cell(keyed.get(("ALL", "SIPAS"))),
                      _elements(report, names), measures, breakdowns, _change(report, names),
                      ranked, unranked, counters, counters_left, trend, rows, columns, grid,
                      provinces, provinces_left)
