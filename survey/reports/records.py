"""The report as flat records (CSV and JSON): the record format of ``python -m analysis sipas``.

Fields: ``section`` (overall | service_area | agency | counter | channel | sensitivity |
change | ranking | counter_ranking | trend), ``period``, then ``by, level, measure, estimate,
se, ci_low, ci_high, n, n_eff, deff, flag`` as ``python -m analysis sipas`` writes them.
Unit records add ``dossiers``, ``coverage`` (responses per 100 dossiers), ``low_coverage``,
``cell_notes`` (no_total, over_covered, no_responses) and, for the SIPAS index of agencies and
counters, ``model_estimate``, ``model_ci_low``, ``model_ci_high``, ``model_method``.
``sensitivity`` is the SIPAS index without the flagged responses. ``change`` records add
``current``, ``previous`` and ``p_value`` (``estimate`` is the difference); ranking records add
``rank``, ``rank_low``, ``rank_high``, ``band``, ``basis`` (direct | model) and ``reason``.
"""
from __future__ import annotations

import json
import math

import pandas as pd

from .build import Report

BASE = ["section", "period", "by", "level", "measure", "estimate", "se", "ci_low", "ci_high",
        "n", "n_eff", "deff", "flag"]
EXTRA = ["current", "previous", "p_value", "rank", "rank_low", "rank_high", "band", "basis",
         "reason", "dossiers", "coverage", "low_coverage", "cell_notes", "model_estimate",
         "model_ci_low", "model_ci_high", "model_method"]


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _section(table: pd.DataFrame, section: str, period: str | None) -> list[dict]:
    if table is None or table.empty:
        return []
    rows = table.to_dict("records")
    return [{"section": section, "period": period, **r} for r in rows]


def _change(report: Report) -> list[dict]:
    if report.change is None or report.change.empty:
        return []
    return [{"section": "change", "period": report.filters.period, "by": "ALL",
             "level": r["level"], "measure": r["measure"], "estimate": r["difference"],
             "se": r["se"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": r["n"],
             "flag": r["flag"], "current": r["current"], "previous": r["previous"],
             "p_value": r["p_value"]} for r in report.change.to_dict("records")]


def _ranking(table: pd.DataFrame | None, section: str, period: str | None) -> list[dict]:
    if table is None or table.empty:
        return []
    return [{"section": section, "period": period, "by": r["by"], "level": "index",
             "measure": "SIPAS", **{k: r.get(k) for k in (
                 "estimate", "se", "ci_low", "ci_high", "n", "flag", "rank", "rank_low",
                 "rank_high", "band", "basis", "reason")}} for r in table.to_dict("records")]


def _sensitivity(report: Report) -> list[dict]:
    record = report.current.sensitivity
    if not record:
        return []
    return [{**record, "section": "sensitivity", "period": report.filters.period, "by": "ALL"}]


def _trend(report: Report) -> list[dict]:
    if report.trend is None or report.trend.empty:
        return []  # the page's report has no trend; exports and the CLI compute it
    return [{"section": "trend", "period": r["period"], "by": "ALL", "level": "index",
             "measure": "SIPAS", **{k: r.get(k) for k in (
                 "estimate", "se", "ci_low", "ci_high", "n", "flag")}}
            for r in report.trend.to_dict("records")]


def report_records(report: Report) -> list[dict]:
    """Every number of ``report`` as one record each."""
    period = report.filters.period
    rows = _section(report.current.overall, "overall", period)
    for name, table in report.current.breakdowns.items():
        rows += _section(table, name, period)
    rows += _sensitivity(report) + _change(report)
    rows += _ranking(report.ranking, "ranking", period)
    rows += _ranking(report.current.rankings.get("counter"), "counter_ranking", period)
    rows += _trend(report)
    return [{k: _clean(r.get(k)) for k in BASE + EXTRA if k in r or k in BASE} for r in rows]


def to_json(report: Report) -> str:
    """The records as a JSON list."""
    return json.dumps(report_records(report), ensure_ascii=False, indent=1)


BOM = "\ufeff"  # UTF-8 byte order mark: Excel then reads the Vietnamese names right


def to_csv(report: Report) -> str:
    """The records as CSV (full precision, so the numbers equal the page's), with a BOM."""
    frame = pd.DataFrame(report_records(report), columns=BASE + EXTRA)
    return BOM + frame.to_csv(index=False, float_format="%.17g")
