"""Every table of a SIPAS report from one design: the whole, each breakdown, coverage, the
flagged-responses sensitivity line, model-based estimates for small units and rankings.

Breakdowns (service area, agency, counter, channel) and a report's own domain (a service area
or channel filter) are *domains* of the full design: rows outside get the label ``OUTSIDE``
and every stratum stays in the variance. Nothing here formats a number.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import compare, reliability, sipas, small_area
from .cells import coverage
from .design import SurveyDesign

OUTSIDE = "__outside__"
INSIDE = "__inside__"
WHOLE = "ALL"
SHARE_LEVELS = ("criterion", "element", "index")


@dataclass
class ReportTables:
    """The numbers of one report period (records as ``sipas.FIELDS`` plus extra columns)."""

    overall: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    sensitivity: dict = field(default_factory=dict)
    rankings: dict[str, pd.DataFrame] = field(default_factory=dict)


def _domain(values, inside: np.ndarray | None) -> np.ndarray:
    """One domain label per row: the unit inside the report's domain, OUTSIDE elsewhere."""
    labels = np.asarray(values).astype(str).astype(object)
    return labels if inside is None else np.where(inside, labels, OUTSIDE)


def _domains(design: SurveyDesign, structure, by: np.ndarray, ci: str, level: float
             ) -> pd.DataFrame:
    """The per-domain records of ``by`` (OUTSIDE left out, no "ALL" rows)."""
    frame = sipas.indices(design, structure, by=by, ci=ci, level=level,
                          overall=False).to_frame()
    return frame[frame["by"] != OUTSIDE].reset_index(drop=True)


def overall_table(design: SurveyDesign, structure, inside: np.ndarray | None = None,
                  ci: str = "logit", level: float = 0.95) -> pd.DataFrame:
    """Records of the report's whole domain (all rows, or the ``inside`` domain as "ALL")."""
    structure = sipas.load_structure(structure)
    if inside is None:
        return sipas.indices(design, structure, ci=ci, level=level).to_frame()
    domains = _domains(design, structure, _domain(np.full(design.n, INSIDE), inside), ci, level)
    return domains.assign(by=WHOLE)


def with_coverage(table: pd.DataFrame, frame: pd.DataFrame, by: str | None,
                  inside: np.ndarray | None, low: float, count: str | None = None
                  ) -> pd.DataFrame:
    """Add ``dossiers``, ``coverage`` (responses per 100 dossiers) and ``low_coverage``
    (``count``: the column of responses per row when ``frame`` holds slices)."""
    rows = frame if inside is None else frame[inside]
    cover = coverage(rows, by, count).set_index("by") if len(rows) else pd.DataFrame(
        columns=["dossiers", "coverage"])
    keys = table["by"].astype(str)
    if by is None:
        keys = pd.Series(WHOLE, index=table.index)
    table = table.copy()
    table["dossiers"] = cover["dossiers"].reindex(keys).to_numpy(dtype=float)
    table["coverage"] = cover["coverage"].reindex(keys).to_numpy(dtype=float)
    table["low_coverage"] = table["coverage"] < low
    return table


def cell_notes(frame: pd.DataFrame, by: str | None, inside: np.ndarray | None) -> pd.Series:
    """Per unit: the weighting-cell problems among its responses ("no_total", "over_covered")."""
    chosen = slice(None) if inside is None else np.asarray(inside, dtype=bool)
    flags = frame["cell_flag"].to_numpy()[chosen]
    key = frame[by].astype(str).to_numpy()[chosen] if by else np.full(len(flags), WHOLE)
    found: dict[str, list[str]] = {}
    for unit, flag in sorted({(u, f) for u, f in zip(key, flags) if f != "ok"}):
        found.setdefault(unit, []).append(flag)
    units = pd.unique(key)
    return pd.Series([",".join(found.get(u, ())) for u in units], index=units, dtype=object)


def add_model_estimates(table: pd.DataFrame, parents: dict[str, str] | None,
                        parent_table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Model-based SIPAS index of each unit, shrunk toward its parent (``small_area.shrink``).

    ``parents`` maps a unit to its parent's ``by`` in ``parent_table`` (None: every unit's
    parent is the whole, "ALL"). Columns ``model_estimate``, ``model_ci_low``,
    ``model_ci_high``, ``model_method`` (percent), on the index rows only.
    """
    size = len(table)
    columns = {name: np.full(size, np.nan) for name in ("model_estimate", "model_ci_low",
                                                         "model_ci_high")}
    columns["model_method"] = np.full(size, "", dtype=object)
    rows = np.flatnonzero((table["level"] == "index").to_numpy(dtype=bool))
    parent_index = parent_table[parent_table["level"] == "index"].set_index("by")
    if len(rows) and not parent_index.empty:
        units = table["by"].to_numpy()[rows].astype(str)
        parent = parent_index.reindex([(parents or {}).get(u, WHOLE) for u in units])
        usable = parent["estimate"].notna().to_numpy()
        rows, parent = rows[usable], parent[usable]
        if len(rows):
            direct = {k: table[k].to_numpy(float)[rows] for k in ("estimate", "se", "n")}
            fitted = small_area.shrink(direct["estimate"] / 100, direct["se"] / 100,
                                       direct["n"], parent["estimate"].to_numpy(float) / 100,
                                       parent["se"].to_numpy(float) / 100, level=level)
            for name in ("estimate", "ci_low", "ci_high"):
                columns[f"model_{name}"][rows] = 100 * fitted[name].to_numpy()
            columns["model_method"][rows] = fitted["method"].to_numpy()
    return table.assign(**columns)


def ranking(table: pd.DataFrame, model: str = "small") -> pd.DataFrame:
    """Units of an index table ranked by SIPAS with rank bands (``compare.rank_by_intervals``).

    ``model``: "small" ranks units with fewer than ``reliability.MIN_N_RELIABLE`` answers on
    their model-based estimate and the others on the direct one; "all" uses the model-based
    estimate for every unit; "none" only direct estimates. Units that cannot be ranked keep
    ``rank`` NaN and a ``reason`` (``reliability.rank_reason``).
    """
    index = table[table["level"] == "index"].reset_index(drop=True)
    if index.empty:
        return pd.DataFrame()
    has_model = index.get("model_estimate", pd.Series(np.nan, index=index.index)).notna()
    if model == "all":
        use_model = has_model
    elif model == "small":
        use_model = has_model & (index["n"] < reliability.MIN_N_RELIABLE)
    else:
        use_model = pd.Series(False, index=index.index)
    pick = {k: np.where(use_model, index.get(f"model_{k}", np.nan), index[k]).astype(float)
            for k in ("estimate", "ci_low", "ci_high")}
    reasons = [reliability.rank_reason(n, se, lo, hi, flag, model=m) for n, se, lo, hi, flag, m
               in zip(index["n"], index["se"], pick["ci_low"], pick["ci_high"], index["flag"],
                      use_model)]
    ranked = compare.rank_by_intervals(range(len(index)), pick["estimate"], pick["ci_low"],
                                       pick["ci_high"], index["se"].to_numpy(float),
                                       usable=[r is None for r in reasons]
                                       ).to_frame().set_index("unit")
    out = pd.DataFrame({"by": index["by"].astype(str), "n": index["n"], "flag": index["flag"],
                        "se": index["se"], **pick, "basis": np.where(use_model, "model",
                                                                     "direct"),
                        "reason": [r or "" for r in reasons]})
    out = out.join(ranked[["rank", "rank_low", "rank_high", "band"]])
    return out.sort_values(["rank", "estimate"], ascending=[True, False], na_position="last",
                           kind="stable").reset_index(drop=True)


def breakdown_table(design: SurveyDesign, structure, column: str,
                    inside: np.ndarray | None = None, ci: str = "logit",
                    level: float = 0.95) -> pd.DataFrame:
    """Records per unit of ``column`` inside the report's domain (a domain of the design)."""
    structure = sipas.load_structure(structure)
    return _domains(design, structure, _domain(design.column(column), inside), ci, level)


def sensitivity(design: SurveyDesign, structure, column: str, value,
                inside: np.ndarray | None = None, ci: str = "logit",
                level: float = 0.95) -> dict:
    """The SIPAS index record of the rows where ``column == value`` (e.g. status "valid":
    the index without the flagged responses), a domain of the same design; {} if empty."""
    structure = sipas.load_structure(structure)
    keep = (design.frame[column] == value).to_numpy()
    mask = keep if inside is None else keep & inside
    if not mask.any():
        return {}
    rows = _domains(design, structure, _domain(np.full(design.n, INSIDE), mask), ci, level)
    index = rows[rows["level"] == "index"]
    return index.iloc[0].to_dict() if len(index) else {}


def period_change(design: SurveyDesign, structure, column: str, current, previous,
                  inside: np.ndarray | None = None, level: float = 0.95) -> pd.DataFrame:
    """Every measure in period ``current`` minus ``previous``: the periods are domains of one
    design (``compare.sipas_difference``); empty when either period has no row."""
    structure = sipas.load_structure(structure)
    by = _domain(design.column(column), inside)
    if str(current) not in set(by) or str(previous) not in set(by):
        return pd.DataFrame()
    return compare.sipas_difference(design, structure, by, str(current), str(previous),
                                    level=level)
