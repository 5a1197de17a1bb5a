"""Follow-ups of low ratings and complaints: the share answered on time and the satisfaction of
the same dossiers' later ratings.

The on-time share is a plain binomial proportion of the follow-ups whose deadline has come
(every one counts once, no survey weights), so its interval is the Wilson score interval — R's
``prop.test(x, n, correct=FALSE)$conf.int`` — which stays inside [0, 1] and behaves at 0 and n.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .ratings import satisfied


@dataclass(frozen=True)
class OnTime:
    """Follow-ups whose deadline fell in a period: ``due`` = ``on_time`` + ``late``; the ones
    still open before their deadline (``open_not_due``) are not counted. ``share`` is
    ``on_time / due`` with its Wilson interval ``low``–``high`` (None when nothing was due)."""

    due: int
    on_time: int
    late: int
    open_not_due: int
    share: float | None
    low: float | None
    high: float | None


def share_interval(successes: int, total: int, level: float = 0.95
                   ) -> tuple[float | None, float | None, float | None]:
    """``successes / total`` and its Wilson score interval; (None, None, None) for ``total`` 0.

    Wilson: (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n), z the normal (1+level)/2
    quantile; the bound at 0 successes is exactly 0 and at n exactly 1.
    """
    if not 0 <= successes <= total:
        raise ValueError(f"successes must lie in 0..total, not {successes} of {total}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, not {level!r}")
    if total == 0:
        return None, None, None
    from statsmodels.stats.proportion import proportion_confint  # scipy: only when asked

    low, high = proportion_confint(successes, total, alpha=1.0 - level, method="wilson")
    low = 0.0 if successes == 0 else float(low)
    high = 1.0 if successes == total else float(high)
    return successes / total, low, high


def tally(on_time_count: int, late: int, open_not_due: int = 0,
          level: float = 0.95) -> OnTime:
    """The on-time tally of a set of follow-ups from its three counts."""
    due = on_time_count + late
    share, low, high = share_interval(on_time_count, due, level)
    return OnTime(due, on_time_count, late, open_not_due, share, low, high)


def combine(parts: Iterable[OnTime], level: float = 0.95) -> OnTime:
    """One tally of several (e.g. the agencies of a subtree): counts added, share recomputed."""
    parts = list(parts)
    return tally(sum(p.on_time for p in parts), sum(p.late for p in parts),
                 sum(p.open_not_due for p in parts), level)


@dataclass(frozen=True)
class LaterSatisfaction:
    """Later ratings of dossiers whose follow-up was answered: ``count`` responses, of which
    ``rated`` are ratings (overall or criteria answered) and ``satisfied`` satisfied ones;
    ``share`` is None when no rating is known."""

    count: int
    rated: int
    satisfied: int
    share: float | None


def criteria_mean(criteria) -> np.ndarray:
    """Per response, the mean of its answered criteria (NaN when it answered none);
    ``criteria`` is a (responses × criteria) float array with NaN where unanswered."""
    values = np.asarray(criteria, dtype=float)
    if values.ndim != 2:
        raise ValueError("criteria must be a two-dimensional array (responses × criteria)")
    answered = ~np.isnan(values)
    counts = answered.sum(axis=1)
    sums = np.where(answered, values, 0.0).sum(axis=1)
    return np.divide(sums, counts, out=np.full(values.shape[0], np.nan), where=counts > 0)


def later_satisfaction(overall, criteria) -> LaterSatisfaction:
    """How satisfied the later responses are, by the one rule of ``analysis.ratings``.

    ``overall`` holds each later response's answer to the overall question and ``criteria``
    its criteria answers (responses × criteria); NaN where unanswered.
    """
    flags = satisfied(np.asarray(overall, dtype=float), criteria_mean(criteria))
    rated = int(np.count_nonzero(~np.isnan(flags)))
    happy = int(np.nansum(flags)) if rated else 0
    return LaterSatisfaction(int(flags.size), rated, happy, happy / rated if rated else None)


def combine_later(parts: Iterable[LaterSatisfaction]) -> LaterSatisfaction:
    """One later-satisfaction figure of several: counts added, share recomputed."""
    parts = list(parts)
    rated = sum(p.rated for p in parts)
    happy = sum(p.satisfied for p in parts)
    return LaterSatisfaction(sum(p.count for p in parts), rated, happy,
                             happy / rated if rated else None)
