"""The figures the national public-service portal scores a unit on (Decision 766/QĐ-TTg), from
counts: how many of its dossiers were rated, how many ratings were satisfied, how far that is
from the target, and how many follow-ups were handled on time.

Every share comes with a 95 % Wilson score interval (``proportion``; R
``prop.test(x, n, correct = FALSE)$conf.int``). A satisfied rating is ``analysis.ratings``'s
rule. Attainment is the satisfied share over the target, at most 100 %, and 0 when nobody
rated (the portal gives no points for a unit without ratings).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .followup import share_interval
from .ratings import satisfied

LEVEL = 0.95


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``total`` as a share (0–1) with its interval.

    ``share`` is None when there is no total (or it is 0); ``over`` marks a count above its
    total (the total is wrong): the share is shown, without an interval.
    """

    count: float
    total: float | None
    share: float | None
    low: float | None
    high: float | None
    over: bool = False


def proportion(count: float, total: float | None, level: float = LEVEL) -> Proportion:
    """``count / total`` with the Wilson score interval at ``level``.

    Wilson (1927): centre (p + z²/2n) / (1 + z²/n), half-width
    z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²): ``followup.share_interval``, the one Wilson
    interval of the library.
    """
    count = float(count)
    if total is None or float(total) <= 0:
        return Proportion(count, total, None, None, None, over=count > 0 and total is not None)
    total = float(total)
    if count > total:
        return Proportion(count, total, count / total, None, None, over=True)
    share, low, high = share_interval(count, total, level)
    return Proportion(count, total, share, low, high)


def attainment(satisfied_share: Proportion, target: float) -> float:
    """Points earned against ``target`` (0–1): share / target, at most 1; 0 without ratings."""
    if not satisfied_share.total or satisfied_share.share is None:
        return 0.0
    return min(satisfied_share.share / float(target), 1.0)


def rating_counts(units: np.ndarray, overall: np.ndarray, criteria_mean: np.ndarray,
                  counts: np.ndarray) -> pd.DataFrame:
    """Ratings and satisfied ratings per unit, from answer patterns and how often each occurs.

    ``units``, ``overall`` (the overall question, NaN when unanswered), ``criteria_mean``
    (mean of the answered criteria, NaN when none) and ``counts`` (responses with that
    pattern) are parallel arrays; a pattern that is no rating (``ratings.satisfied`` NaN)
    counts in neither column. Returns columns ``unit``, ``ratings``, ``satisfied``.
    """
    flags = satisfied(overall, criteria_mean)
    counts = np.asarray(counts, dtype=float)
    rated = ~np.isnan(flags)
    frame = pd.DataFrame({"unit": np.asarray(units, dtype=object),
                          "ratings": np.where(rated, counts, 0.0),
                          "satisfied": np.where(rated, np.nan_to_num(flags) * counts, 0.0)})
    if frame.empty:
        return pd.DataFrame({"unit": pd.Series(dtype=object), "ratings": pd.Series(dtype=int),
                             "satisfied": pd.Series(dtype=int)})
    out = frame.groupby("unit", sort=True, as_index=False)[["ratings", "satisfied"]].sum()
    return out.astype({"ratings": int, "satisfied": int})


@dataclass(frozen=True)
class PortalRow:
    """One unit's portal figures for a period.

    ``dossiers`` N (None: no total recorded), ``rated`` n (counted responses), ``ratings`` (those
    that are a rating), ``rated_share`` n/N, ``satisfied_share`` satisfied/ratings, ``target`` and
    ``attainment`` (0–1).
    """

    unit: str
    dossiers: float | None
    rated: int
    ratings: int
    satisfied: int
    rated_share: Proportion
    satisfied_share: Proportion
    target: float
    attainment: float


def portal_row(unit: str, dossiers: float | None, rated: int, ratings: int, satisfied: int,
               target: float, level: float = LEVEL) -> PortalRow:
    """The portal figures of one unit from its counts."""
    good = proportion(satisfied, ratings, level)
    return PortalRow(unit, dossiers, int(rated), int(ratings), int(satisfied),
                     proportion(rated, dossiers, level), good, float(target),
                     attainment(good, target))


def portal_rows(counts: pd.DataFrame, target: float, level: float = LEVEL,
                total: str | None = "ALL") -> list[PortalRow]:
    """A ``PortalRow`` per row of ``counts`` (``unit``, ``dossiers`` (NaN: none recorded),
    ``rated``, ``ratings``, ``satisfied``), then, unless ``total`` is None, the row of all of
    them together under that name (its N counts the recorded totals only)."""
    rows = [portal_row(str(r["unit"]), _number(r["dossiers"]), int(r["rated"]),
                       int(r["ratings"]), int(r["satisfied"]), target, level)
            for r in counts.to_dict("records")]
    if total is not None:
        known = counts["dossiers"].dropna()
        rows.append(portal_row(total, float(known.sum()) if len(known) else None,
                               int(counts["rated"].sum()), int(counts["ratings"].sum()),
                               int(counts["satisfied"].sum()), target, level))
    return rows


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value
