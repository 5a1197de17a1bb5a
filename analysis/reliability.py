"""Reliability of estimates and of the questionnaire: cell flags, Cronbach's alpha, non-response.

Flag rule (ESTIMATION.md), first that applies: ``suppressed`` n < 10; ``no_df`` the interval
cannot be computed because the design has no degrees of freedom there (one PSU per stratum in
the domain, as R gives NaN); ``low_n`` n < 30 or
n_eff < 30; ``zero_se`` SE = 0 (a share of 0 or 100 %: the interval shown is the beta one);
``wide`` the interval is wider than 20 points (share measures only); else ``ok``.
Suppression is a presentation rule: the number is always returned with its flag.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .columns import as_frame

if TYPE_CHECKING:
    import pandas as pd

FLAGS = ("suppressed", "no_df", "low_n", "zero_se", "wide", "ok")
MIN_N, MIN_N_RELIABLE, MAX_WIDTH_POINTS = 10, 30, 20.0
MIN_SE = 1e-9
UNRANKABLE_FLAGS = ("suppressed", "no_df", "zero_se")
RANK_REASONS = ("few", "no_interval")


def rank_reason(n, se, ci_low, ci_high, flag, model: bool = False) -> str | None:
    """Why a unit cannot be ranked, or None when it can.

    ``few``: a direct estimate with fewer than ``MIN_N`` answers (a model-based one needs one
    answer); ``no_interval``: no finite interval, or (direct) SE = 0 or a flag in
    ``UNRANKABLE_FLAGS``.
    """
    n = float(n) if n is not None and np.isfinite(float(n)) else 0.0
    if n < (1 if model else MIN_N) or (not model and flag == "suppressed"):
        return "few"
    finite = all(v is not None and np.isfinite(float(v)) for v in (ci_low, ci_high))
    if model:
        return None if finite else "no_interval"
    usable = finite and se is not None and np.isfinite(float(se)) and float(se) > MIN_SE \
        and flag not in UNRANKABLE_FLAGS
    return None if usable else "no_interval"


def reliability_flag(n, n_eff, se, width, wide: float | None = MAX_WIDTH_POINTS) -> str:
    """The flag of one cell; ``wide`` is the largest acceptable CI width (None: not checked)."""
    if not n or n < MIN_N or not math.isfinite(float(se)):
        return "suppressed"
    if se > 0 and not math.isfinite(width):
        return "no_df"
    if n < MIN_N_RELIABLE or (math.isfinite(n_eff) and n_eff < MIN_N_RELIABLE):
        return "low_n"
    if se == 0:
        return "zero_se"
    if wide is not None and math.isfinite(width) and width > wide:
        return "wide"
    return "ok"


def flags(n, n_eff, se, width, wide: float | None = MAX_WIDTH_POINTS) -> np.ndarray:
    """Vectorised ``reliability_flag``."""
    n, n_eff, se, width = (np.asarray(a, dtype=float) for a in (n, n_eff, se, width))
    out = np.full(n.shape, "ok", dtype=object)
    if wide is not None:
        out[np.isfinite(width) & (width > wide)] = "wide"
    out[se == 0] = "zero_se"
    out[(n < MIN_N_RELIABLE) | (np.isfinite(n_eff) & (n_eff < MIN_N_RELIABLE))] = "low_n"
    out[(se > 0) & ~np.isfinite(width)] = "no_df"
    out[(n < MIN_N) | ~np.isfinite(se)] = "suppressed"
    return out


def _answers(design_or_frame, codes):
    frame = getattr(design_or_frame, "frame", design_or_frame)
    weights = getattr(design_or_frame, "weights", None)
    if weights is None:
        weights = np.ones(len(frame))
    import pandas as pd
    table = as_frame(frame, list(codes))
    values = np.column_stack([pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
                              for c in codes])
    return values, np.asarray(weights, dtype=float)


def cronbach_alpha(design_or_frame, structure, weighted: bool = True) -> pd.DataFrame:
    """Cronbach's alpha per element, k/(k−1)·(1 − Σ var(item)/var(sum)), on complete cases.

    ``weighted`` uses the design weights in the variances (a frame has weight 1); respondents
    who left any criterion of the element unanswered are left out (listwise).
    """
    rows = []
    for element in structure.elements:
        values, w = _answers(design_or_frame, element.criteria)
        complete = np.isfinite(values).all(axis=1)
        x, wc = values[complete], (w[complete] if weighted else np.ones(complete.sum()))
        k = x.shape[1]
        alpha = np.nan
        if k > 1 and len(x) > 1:
            item_var = _wvar(x, wc)
            total_var = _wvar(x.sum(axis=1, keepdims=True), wc)[0]
            if total_var > 0:
                alpha = k / (k - 1) * (1 - item_var.sum() / total_var)
        rows.append({"element": element.code, "items": k, "n": len(x),
                     "alpha": float(alpha), "weighted": weighted})
    import pandas as pd
    return pd.DataFrame(rows)


def _wvar(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    mean = (w[:, None] * x).sum(axis=0) / w.sum()
    return (w[:, None] * (x - mean) ** 2).sum(axis=0) / w.sum()


def item_nonresponse(design_or_frame, structure) -> pd.DataFrame:
    """Per criterion: respondents, answered, unanswered share (plain and weighted)."""
    values, w = _answers(design_or_frame, structure.criteria)
    answered = np.isfinite(values)
    n = len(values)
    rows = []
    for k, code in enumerate(structure.criteria):
        a = answered[:, k]
        rows.append({"criterion": code, "element": structure.element_of(code), "n": n,
                     "answered": int(a.sum()),
                     "nonresponse": float(1 - a.mean()) if n else float("nan"),
                     "nonresponse_weighted": float(1 - w[a].sum() / w.sum()) if n else
                     float("nan")})
    import pandas as pd
    return pd.DataFrame(rows)
