"""What counts as a satisfied rating, the way the national public-service portal counts
dossier ratings: one rule, used by the portal-style table and by the follow-up summary.

A response is a satisfied rating when its overall question (hài lòng chung) is answered 4
("hài lòng") or 5 ("rất hài lòng") on the 1–5 scale; a response without an overall answer
counts by the mean of its answered criteria (≥ 4). A response with neither is not a rating.
"""
from __future__ import annotations

import numpy as np

SATISFIED_FROM = 4.0


def satisfied(overall: np.ndarray, criteria_mean: np.ndarray) -> np.ndarray:
    """Per response: 1.0 satisfied, 0.0 not, NaN not a rating (neither answer present).

    ``overall`` and ``criteria_mean`` are float arrays with NaN where missing.
    """
    overall = np.asarray(overall, dtype=float)
    criteria_mean = np.asarray(criteria_mean, dtype=float)
    basis = np.where(np.isnan(overall), criteria_mean, overall)
    return np.where(np.isnan(basis), np.nan, (basis >= SATISFIED_FROM).astype(float))
