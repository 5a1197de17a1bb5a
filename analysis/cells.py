"""The design of counter data: weighting cells, weights N/n, stratum = cell, fpc = N.

Every counter is observed; what is sampled is which citizens answer among those a cell served
(ESTIMATION.md, "The design of counter data"). A weighting cell is (quarter, agency, service
area) with N = dossiers handled and n = responses counted. Then

- weight w = N/n, stratum = the cell, each respondent its own unit, fpc = N
  (R: ``svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~weight)``);
- cells with fewer than ``min_responses`` responses are merged with the agency's other small
  cells of that quarter; if the merged cell is still too small, with the agency's whole quarter
  (N and n summed; a member without a total brings its n as N);
- a cell without a total has weight 1 and no fpc; a cell with more responses than dossiers keeps
  w = N/n but has no fpc (fpc = ∞, sampling fraction 0) and is flagged ``over_covered``;
- no totals at all: every weight 1, the same strata, no fpc (``weighted`` is False).

``counters_as_sample`` is the analyst's explicit alternative: strata = agency, PSU = counter.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .design import DesignError, SurveyDesign

CELL = ("quarter", "agency", "service_area")
MIN_RESPONSES = 2
SMALL, WHOLE = "*small", "*"
UNIT_WEIGHT = "unit_weight"
CELL_FLAGS = ("ok", "merged_small", "merged_agency", "over_covered", "no_total")


@dataclass
class CellPlan:
    """The cells of a counter-data design and the respondent columns they give.

    ``frame``: the responses with ``weight``, ``stratum``, ``fpc``, ``has_total`` (the
    stratum's weight comes from dossier totals), ``cell_flag`` (the stratum's flag) and
    ``unit_weight`` (1) added;
    ``cells``: one row per original cell (keys, ``responses``, ``dossiers``, ``stratum``,
    ``flag``); ``strata``: one row per stratum (``responses``, ``dossiers``, ``weight``,
    ``fpc``, ``has_total``, ``flag``).
    """

    frame: pd.DataFrame
    cells: pd.DataFrame
    strata: pd.DataFrame
    weighted: bool
    min_responses: int
    count: str | None = None
    sums: object = None
    notes: dict = field(default_factory=dict)
    cell: tuple[str, ...] = CELL

    def counts(self, frame: pd.DataFrame | None = None) -> np.ndarray:
        """Responses per row of ``frame`` (the plan's): 1, or the ``count`` column of slices."""
        frame = self.frame if frame is None else frame
        return row_counts(frame, self.count)

    def design(self, weighted: bool = True, lonely_psu: str = "adjust"):
        """The default design; ``weighted`` False gives every response weight 1 (same strata).
        A plan of slices (``sums``) gives the same design over them (``slices.SliceDesign``)."""
        if self.sums is not None:
            from .slices import SliceDesign
            return SliceDesign(self.sums, self.frame, weights="weight" if weighted
                               else UNIT_WEIGHT, strata="stratum", fpc="fpc",
                               lonely_psu=lonely_psu)
        return SurveyDesign(self.frame, weights="weight" if weighted else UNIT_WEIGHT,
                            strata="stratum", fpc="fpc", lonely_psu=lonely_psu)

    def counters_as_sample(self, weighted: bool = True, lonely_psu: str = "adjust"
                           ) -> SurveyDesign:
        """Strata = agency, PSU = counter, the same weights: counters as a sample of clusters."""
        if self.sums is not None:
            raise DesignError("counters as a sample needs the response rows, not slices")
        return SurveyDesign(self.frame, weights="weight" if weighted else UNIT_WEIGHT,
                            strata="agency", clusters="counter", lonely_psu=lonely_psu)

    def cell_table(self) -> pd.DataFrame:
        """One row per original cell with its stratum, flag and coverage (responses per 100
        dossiers, NaN without a total)."""
        table = self.cells.drop(columns=["label"]).copy()
        table["coverage"] = np.where(table["has_total"], 100.0 * table["responses"]
                                     / table["dossiers"].where(table["has_total"]), np.nan)
        return table

    def summary(self) -> dict:
        """Counts an analyst needs: cells, strata, merges, cells without total or over-covered."""
        cells, strata = self.cells, self.strata
        counts = self.counts()
        return {
            "responses": int(counts.sum()),
            "cells": len(cells),
            "strata": len(strata),
            "merged_cells": int(cells["flag"].isin(["merged_small", "merged_agency"]).sum()),
            "merged_into_agency": int((cells["flag"] == "merged_agency").sum()),
            "cells_with_total": int(cells["has_total"].sum()),
            "cells_without_total": int((~cells["has_total"]).sum()),
            "responses_without_total": int(counts[~self.frame["has_total"].to_numpy(bool)]
                                           .sum()),
            "over_covered": sorted(cells.loc[cells["flag"] == "over_covered", "label"]),
            "lonely_strata": sorted(strata.index[strata["responses"] < 2]),
            "dossiers": float(cells.loc[cells["has_total"], "dossiers"].sum()),
            "weighted": self.weighted,
            "df": int(counts.sum() - len(strata)),
        }


def _label(keys: tuple) -> str:
    return "|".join(str(k) for k in keys)


def row_counts(frame: pd.DataFrame, count: str | None) -> np.ndarray:
    """Responses per row: 1 for respondent rows, the ``count`` column for slices."""
    if count is None:
        return np.ones(len(frame))
    return frame[count].to_numpy(dtype=float)


def _cell_table(frame: pd.DataFrame, totals: pd.DataFrame, cell: list[str],
                count: str | None) -> pd.DataFrame:
    counts = frame.assign(_n=row_counts(frame, count)).groupby(cell, sort=True)["_n"].sum()
    counts = counts.rename("responses").reset_index()
    counts["responses"] = counts["responses"].astype(np.int64)
    if totals is None or totals.empty:
        counts["dossiers"] = np.nan
    else:
        known = totals[cell + ["dossiers"]].copy()
        known["dossiers"] = pd.to_numeric(known["dossiers"], errors="coerce")
        known = known.groupby(cell, as_index=False)["dossiers"].sum(min_count=1)
        counts = counts.merge(known, on=cell, how="left")
    counts.loc[~(counts["dossiers"] > 0), "dossiers"] = np.nan
    counts["has_total"] = counts["dossiers"].notna()
    counts["label"] = [_label(k) for k in counts[cell].itertuples(index=False)]
    return counts


def _merge_small(cells: pd.DataFrame, group: list[str], minimum: int) -> pd.DataFrame:
    """Stratum label and flag per cell after merging the small cells of each group: the small
    cells pooled when together they reach ``minimum``, else the whole group pooled."""
    cells = cells.copy()
    small = (cells["responses"] < minimum).to_numpy()
    group_id = cells.groupby(group, sort=False).ngroup().to_numpy()
    small_total = np.bincount(group_id, weights=np.where(small, cells["responses"], 0))
    has_small = np.bincount(group_id, weights=small.astype(float)) > 0
    pooled_small = small & (small_total[group_id] >= minimum)
    whole = has_small[group_id] & (small_total[group_id] < minimum)
    prefix = cells[group[0]].astype(str)
    for name in group[1:]:
        prefix = prefix + "|" + cells[name].astype(str)
    cells["stratum"] = np.where(pooled_small, prefix + f"|{SMALL}",
                                np.where(whole, prefix + f"|{WHOLE}", cells["label"]))
    cells["flag"] = np.where(pooled_small, "merged_small",
                             np.where(whole, "merged_agency", "ok"))
    return cells


def _strata(cells: pd.DataFrame) -> pd.DataFrame:
    """N, n, weight and fpc per stratum (members without a total bring their n as N)."""
    population = cells["dossiers"].where(cells["has_total"], cells["responses"])
    grouped = cells.assign(population=population).groupby("stratum")
    strata = pd.DataFrame({"responses": grouped["responses"].sum(),
                           "dossiers": grouped["population"].sum(),
                           "has_total": grouped["has_total"].all()})
    strata["weight"] = np.where(strata["has_total"], strata["dossiers"] / strata["responses"],
                                1.0)
    over = strata["has_total"] & (strata["responses"] > strata["dossiers"])
    strata["fpc"] = np.where(strata["has_total"] & ~over, strata["dossiers"], np.inf)
    strata["flag"] = np.where(~strata["has_total"], "no_total",
                              np.where(over, "over_covered", "ok"))
    return strata


def counter_design(frame: pd.DataFrame, totals: pd.DataFrame | None,
                   cell: tuple[str, ...] = CELL,
                   min_responses: int = MIN_RESPONSES, count: str | None = None,
                   sums=None) -> CellPlan:
    """The cells, weights, strata and fpc of counter data (see the module docstring).

    ``frame``: one row per counted response with the ``cell`` columns; ``totals``: the cell
    columns and ``dossiers`` (absent cells have no total). The last cell column is merged
    over (small cells of one (quarter, agency) are pooled). ``count``: the column of
    responses per row when the rows are slices (``sums``, ``analysis.slices.SliceSums`` in
    the same order), so the plan's ``design`` runs on the slices.
    """
    cell = list(cell)
    for name in cell:
        if name not in frame.columns:
            raise DesignError(f"missing column {name!r} (weighting cell)", column=name)
    if frame.empty:
        raise DesignError("no data: no responses in the period")
    if min_responses < 1:
        raise DesignError(f"min_responses must be at least 1, not {min_responses}")
    cells = _merge_small(_cell_table(frame, totals, cell, count), cell[:-1], min_responses)
    strata = _strata(cells)
    weighted = bool(cells["has_total"].any())
    if not weighted:
        strata["weight"], strata["fpc"] = 1.0, np.inf
    over = strata.index[strata["flag"] == "over_covered"]
    cells.loc[cells["stratum"].isin(over) & (cells["flag"] == "ok"), "flag"] = "over_covered"
    cells.loc[~cells["has_total"] & (cells["flag"] == "ok"), "flag"] = "no_total"
    stratum = frame[cell].merge(cells[cell + ["stratum"]], on=cell, how="left")["stratum"]
    out = frame.copy()
    out["stratum"] = stratum.to_numpy()
    out["weight"] = strata["weight"].reindex(out["stratum"]).to_numpy()
    out["fpc"] = strata["fpc"].reindex(out["stratum"]).to_numpy()
    out[UNIT_WEIGHT] = 1.0
    out["has_total"] = strata["has_total"].reindex(out["stratum"]).to_numpy(dtype=bool)
    out["cell_flag"] = strata["flag"].reindex(out["stratum"]).to_numpy()
    return CellPlan(out, cells, strata, weighted, min_responses, count, sums, cell=tuple(cell))


def concat_plans(plans: list[CellPlan]) -> CellPlan | None:
    """Plans of data with no merge group in common (the cell columns but the last: an
    agency's quarter) as one plan, e.g. two periods without a quarter in common.

    Cells are merged, weighted and given an fpc within their group, so when each plan's totals
    held only its own groups' cells, the result is :func:`counter_design` over the pooled
    responses and totals (cells and strata in its order). None when a group is in two plans
    or the plans differ in cell columns, minimum or ``count``: pool the data and call
    :func:`counter_design`.
    """
    if not plans:
        raise DesignError("no plans to concatenate")
    first = plans[0]
    if any((p.cell, p.min_responses, p.count, p.sums is None)
           != (first.cell, first.min_responses, first.count, first.sums is None)
           for p in plans):
        return None
    group = list(first.cell[:-1])
    seen: set[tuple] = set()
    for plan in plans:
        groups = set(plan.cells[group].itertuples(index=False, name=None))
        if groups & seen:
            return None
        seen |= groups
    cells = pd.concat([p.cells for p in plans], ignore_index=True)
    cells = cells.sort_values(list(first.cell), kind="stable").reset_index(drop=True)
    strata = pd.concat([p.strata for p in plans]).sort_index()
    frame = pd.concat([p.frame for p in plans], ignore_index=True)
    sums = None
    if first.sums is not None:
        from .slices import SliceSums
        sums = SliceSums.concat([p.sums for p in plans])
    return CellPlan(frame, cells, strata, any(p.weighted for p in plans), first.min_responses,
                    first.count, sums, cell=first.cell)


def coverage(frame: pd.DataFrame, by: str | None, count: str | None = None) -> pd.DataFrame:
    """Responses per 100 dossiers of each unit of ``by`` (one row "ALL" when ``by`` is None).

    A unit's dossiers are Σ w over its responses in cells with a total (exact for agencies
    and service areas, an estimate for a counter or channel); NaN when none has a total.
    ``count``: the column of responses per row when the rows are slices.
    """
    if by:
        code, units = pd.factorize(frame[by].astype(str), sort=True)
    else:
        code = np.zeros(len(frame), dtype=np.int64)
        units = np.array(["ALL"] if len(frame) else [], dtype=object)
    keep = code >= 0    # a unit that is missing is no unit (as pandas' groupby leaves it out)
    known = frame["has_total"].to_numpy(dtype=bool)[keep]
    n = row_counts(frame, count)[keep]
    weight = frame["weight"].to_numpy(float)[keep]
    size = len(units)
    responses = np.bincount(code[keep], weights=known * n, minlength=size)
    dossiers = np.bincount(code[keep], weights=np.where(known, weight * n, 0.0), minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(dossiers > 0, 100.0 * responses / dossiers, np.nan)
    return pd.DataFrame({"by": np.asarray(units, dtype=object), "dossiers": dossiers,
                         "coverage": share})
