"""The report as rows ready to show: the page, the XLSX and the PDF all read this."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .build import Report
from .present import Cell, Labels, breakdown_rows, cell, matrix, records_by

SIGNIFICANCE = 0.05


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
        from .notes import weighting_warning

        return weighting_warning(self.report.filters, self.weighting)

    @property
    def change_warning(self) -> str:
        """Warning on the change table when the two periods are weighted differently."""
        from .notes import change_warning

        if not self.change:
            return ""
        return change_warning(self.report.filters, self.weighting, self.previous_weighting)

    @property
    def weighted_in_fact(self) -> bool:
        """Whether any cell of the period is weighted by a dossier total."""
        from .notes import weighting_status

        return self.report.filters.weighted and \
            weighting_status(self.weighting) in ("full", "partial", "empty")

    @property
    def sensitivity(self) -> Cell:
        """The SIPAS index without the flagged responses (a sensitivity line)."""
        return cell(self.report.current.sensitivity)

    def notes(self) -> list[str]:
        """The method note of this report, with the weighting warnings."""
        from .notes import method_notes

        return method_notes(self.report.filters, self.weighting,
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
    for record in report.change.to_dict("records"):
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
            "significant": bool(comparable and p_value is not None
                                and not math.isnan(p_value) and p_value < SIGNIFICANCE)})
    rows.sort(key=lambda r: r["level"] != "index")
    return rows


def _ranking(table, names: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """Ranked units (best first) and the units left out, each with its reason."""
    if table is None or table.empty:
        return [], []
    rows, unranked = [], []
    for record in table.to_dict("records"):
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
    from flask_babel import gettext as _

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
    return ReportView(report, names, cell(keyed.get(("ALL", "SIPAS"))),
                      _elements(report, names), measures, breakdowns, _change(report, names),
                      ranked, unranked, counters, counters_left, trend, rows, columns, grid)
