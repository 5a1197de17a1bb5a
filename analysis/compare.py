"""Comparisons: differences between periods or units, and rankings with rank bands.

- Same design (two domains of one design, e.g. two periods in one data set): the difference is
  linearised as z_A − z_B, so the covariance through shared PSUs is accounted for.
- Independent samples (two separate designs): SE = √(V_A + V_B).
- Rankings: unit i's rank band runs from 1 + (number of units significantly better than i) to
  N − (number of units significantly worse than i), each pair compared with a two-sided test at
  ``level`` (SE of a difference √(se_i² + se_j²), i.e. units treated as independent, which holds
  for units that are strata or separate samples). Units whose difference is not significant
  therefore share ranks in their bands.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from . import domains, intervals
from .columns import missing
from .design import DesignError, SurveyDesign, numeric_column
from .estimators import domain_codes, matches


@dataclass
class Difference:
    """A difference A − B with its SE, interval and two-sided p-value."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    level: float

    def to_dict(self) -> dict:
        """As a plain dict."""
        return asdict(self)


def _difference(diff: float, se: float, df: float, level: float) -> Difference:
    low, high = intervals.wald(diff, se, df, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.float64(abs(diff)) / np.float64(se)
    if not np.isfinite(stat):
        p = float("nan") if not (se == 0 and diff != 0) else 0.0
    else:
        p = _two_sided_p(stat, df)
    return Difference(float(diff), float(se), float(low), float(high), p, float(df), level)


def _two_sided_p(stat: float, df: float) -> float:
    """2·P(T > stat) for T normal (``df`` infinite) or Student t with ``df`` degrees of freedom.

    scipy is imported here, on first use, not with the module: comparisons are the only part of
    ``analysis`` the ``sipas`` command line never needs.
    """
    from scipy import special

    if np.isinf(df):
        return float(2 * special.ndtr(-stat))
    return float(2 * special.stdtr(df, -stat))


def difference(estimate_a, se_a, estimate_b, se_b, level: float = 0.95,
               df: float = np.inf) -> Difference:
    """A − B for independent samples: SE = √(se_A² + se_B²), normal (or t_df) interval."""
    return _difference(float(estimate_a) - float(estimate_b),
                       float(np.hypot(se_a, se_b)), df, level)


def design_difference(design: SurveyDesign, column: str, by: str, a, b,
                      value=None, level: float = 0.95) -> Difference:
    """Mean (or, with ``value``, share) in domain A minus domain B of one design: z_A − z_B."""
    if value is None:
        y = numeric_column(design.frame, column, "variable")
    else:
        values = design.column(column)
        y = np.where(~missing(values), matches(values, value).astype(float), np.nan)
    g, labels = domain_codes(design, by)
    z = np.zeros(design.n)
    estimates = []
    for sign, label in ((1.0, a), (-1.0, b)):
        if str(label) not in labels:
            raise DesignError(f"column {by!r}: empty domain {label!r}", column=by)
        inside = (g == labels.index(str(label))) & np.isfinite(y)
        w = design.weights * inside
        y0 = np.where(inside, y, 0.0)
        mean = (w * y0).sum() / w.sum()
        z += sign * w * (y0 - mean) / w.sum()
        estimates.append(mean)
    se = float(np.sqrt(design.variance(z)))
    return _difference(estimates[0] - estimates[1], se, design.df, level)


def sipas_difference(design: SurveyDesign, structure, by, a, b,
                     level: float = 0.95) -> pd.DataFrame:
    """Every SIPAS measure in domain A minus domain B of one design (same-design z_A − z_B).

    Share measures in percentage points, mean scores on the 1–5 scale; ``significant`` is
    p < 1 − ``level``.
    """
    from . import sipas
    structure = sipas.load_structure(structure)
    k = len(structure.criteria)
    if design.calibration:
        ra, rb = (sipas.domain_result(design, structure, by, label) for label in (a, b))
        psu = np.union1d(ra["psu"], rb["psu"])
        z = np.zeros((len(psu), ra["z"].shape[1]))
        z[np.searchsorted(psu, ra["psu"])] += ra["z"]
        z[np.searchsorted(psu, rb["psu"])] -= rb["z"]
        var = design.layout.variance_from_cells(psu, z)
        shares_a, shares_b = (np.concatenate([r["share"], r["mean"]]) for r in (ra, rb))
    else:
        g, labels = domain_codes(design, by)
        for label in (a, b):
            if str(label) not in labels:
                name = by if isinstance(by, str) else "by"
                raise DesignError(f"column {name!r}: empty domain {label!r}", column=name)
        shares_a, shares_b, var = domains.domain_difference(
            design, structure, g, labels.index(str(a)), labels.index(str(b)))
    codes = [e.code for e in structure.elements]
    levels = ["criterion"] * k + ["element"] * len(codes) + ["index"] + ["mean"] * k
    measures = structure.criteria + codes + ["SIPAS"] + structure.criteria
    scale = np.array([100.0] * (len(levels) - k) + [1.0] * k)
    est_a, est_b = shares_a * scale, shares_b * scale
    rows = []
    for i in range(len(levels)):
        d = _difference(est_a[i] - est_b[i], np.sqrt(var[i]) * scale[i], design.df, level)
        result = d.to_dict()
        result["conf_level"] = result.pop("level")
        rows.append({"level": levels[i], "measure": measures[i], "a": str(a), "b": str(b),
                     "estimate_a": est_a[i], "estimate_b": est_b[i], **result})
    table = pd.DataFrame(rows).rename(columns={"estimate": "difference"})
    table["significant"] = table["p_value"] < 1 - level   # NaN p-values are not significant
    return table


@dataclass
class Ranking:
    """Units ranked by estimate, with rank bands (see the module docstring for the rule)."""

    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Columns unit, estimate, se, rank, rank_low, rank_high, band."""
        return self.frame.copy()


def _ranking(units, est: np.ndarray, se: np.ndarray, ok: np.ndarray, score: np.ndarray,
             better: np.ndarray, worse: np.ndarray) -> Ranking:
    """Ranks and plausible-rank bands from who is clearly better or worse than whom."""
    both = ok[None, :] & ok[:, None]
    better, worse = better & both, worse & both
    rank_ = 1 + ((score[None, :] > score[:, None]) & both).sum(axis=1)
    n_ok = int(ok.sum())
    low = 1 + better.sum(axis=1)
    high = n_ok - worse.sum(axis=1)
    frame = pd.DataFrame({"unit": list(units), "estimate": est, "se": se,
                          "rank": np.where(ok, rank_, np.nan),
                          "rank_low": np.where(ok, low, np.nan),
                          "rank_high": np.where(ok, high, np.nan)})
    frame["band"] = [f"{int(lo)}–{int(hi)}" if o else "" for lo, hi, o in zip(low, high, ok)]
    return Ranking(frame.sort_values(["rank", "unit"], na_position="last",
                                     kind="stable").reset_index(drop=True))


def rank(units, estimates, ses, level: float = 0.95, df: float = np.inf,
         higher_is_better: bool = True) -> Ranking:
    """Rank units by estimate with rank bands of units not significantly different."""
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    sign = 1.0 if higher_is_better else -1.0
    ok = np.isfinite(est) & np.isfinite(se)
    crit = float(intervals.quantile(level, df))
    score = np.where(ok, sign * est, 0.0)
    gap = score[None, :] - score[:, None]            # j minus i, "better" positive
    sd = np.sqrt(np.where(ok, se, 0.0)[:, None] ** 2 + np.where(ok, se, 0.0)[None, :] ** 2)
    return _ranking(units, est, se, ok, score, gap > crit * sd, -gap > crit * sd)


def rank_by_intervals(units, estimates, ci_low, ci_high, ses=None,
                      usable=None) -> Ranking:
    """Rank units (higher is better) counting two units as different only when their
    intervals do not overlap, so the bands agree with the intervals a report displays.

    ``usable`` marks the units to rank (default: those with a finite interval).
    """
    est = np.asarray(estimates, dtype=float)
    low = np.asarray(ci_low, dtype=float)
    high = np.asarray(ci_high, dtype=float)
    se = np.full(len(est), np.nan) if ses is None else np.asarray(ses, dtype=float)
    ok = np.isfinite(est) & np.isfinite(low) & np.isfinite(high)
    if usable is not None:
        ok &= np.asarray(usable, dtype=bool)
    score = np.where(ok, est, 0.0)
    better = low[None, :] > high[:, None]            # j clearly above i
    worse = high[None, :] < low[:, None]             # j clearly below i
    return _ranking(units, est, se, ok, score, better, worse)
