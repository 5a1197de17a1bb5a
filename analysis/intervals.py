"""Confidence intervals for survey estimates: logit, beta (Korn–Graubard), Wilson, Wald.

All functions are vectorised over numpy arrays and take the design degrees of freedom ``df``
(PSUs − strata): the quantile is Student's t with ``df`` (normal when ``df`` is infinite), as R's
``svyciprop`` and ``confint(..., df=degf(design))`` use.

The t quantile is computed here (``t_quantile``) rather than by scipy, whose import costs the
command line more than its whole computation; scipy is loaded for the beta interval and for
the quantiles the formulas here do not cover.
"""
from __future__ import annotations

import functools
import math
from statistics import NormalDist

import numpy as np

METHODS = ("logit", "beta", "wilson", "wald")
#: From this many degrees of freedom the Cornish–Fisher expansion of t's quantile (A&S 26.7.5,
#: four terms) is used: its relative error is below 3e-14 there for p ≤ ``EXPANSION_MAX_P``.
EXPANSION_DF = 1000
EXPANSION_MAX_P = 0.9995


def quantile(level: float, df) -> np.ndarray:
    """Upper (1+level)/2 quantile of t with ``df`` (normal for df = inf; NaN for df <= 0)."""
    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    usable = df > 0
    values, position = np.unique(df[usable], return_inverse=True)
    q = 0.5 + level / 2.0
    out[usable] = np.array([t_quantile(q, float(v)) for v in values], dtype=float)[position]
    return out


@functools.lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` > 0 degrees of freedom (R: ``qt(p, df)``).

    Normal for infinite ``df`` (``statistics.NormalDist``, Wichura's AS 241); the Cornish–Fisher
    expansion for ``df`` ≥ ``EXPANSION_DF``; Newton's method on the exact finite-series CDF for
    smaller integer ``df``; scipy's ``stdtrit`` otherwise (fractional df, far tails). Agrees
    with ``stdtrit`` to a relative 1e-13 for p ≤ 0.995 and 4e-13 at p = 0.9995
    (``tests/unit/analysis/test_analysis_intervals.py``).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1, not {p!r}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    z = NormalDist().inv_cdf(p)
    if math.isinf(df):
        return z
    if df >= EXPANSION_DF and p <= EXPANSION_MAX_P:
        return _cornish_fisher(z, df)
    if df.is_integer() and df < EXPANSION_DF:
        return _solve_exact(2.0 * p - 1.0, int(df), z)
    from scipy import special
    return float(special.stdtrit(df, p))


def _cornish_fisher(z: float, df: float) -> float:
    """t quantile from the normal one, z + g1/ν + g2/ν² + g3/ν³ + g4/ν⁴ (A&S 26.7.5)."""
    g1 = (z ** 3 + z) / 4
    g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96
    g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384
    g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160
    return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4


def _central(t: float, df: int) -> float:
    """P(|T| < t) for T ~ t with integer ``df``: the finite series of A&S 26.7.3 (odd df) and
    26.7.4 (even df) in θ = atan(t/√df), with cos²θ = df/(df + t²)."""
    c = df / (df + t * t)
    s = t / math.sqrt(df + t * t)
    if df % 2:
        theta = math.atan(t / math.sqrt(df))
        if df == 1:
            return 2 * theta / math.pi
        j = np.arange(1, (df - 1) // 2)
        series = 1.0 + float(np.sum(np.cumprod(2 * j / (2 * j + 1) * c)))
        return 2 / math.pi * (theta + s * math.sqrt(c) * series)
    j = np.arange(1, df // 2)
    return s * (1.0 + float(np.sum(np.cumprod((2 * j - 1) / (2 * j) * c))))


def _solve_exact(level: float, df: int, start: float) -> float:
    """The t > 0 with P(|T| < t) = ``level``, by Newton's method from ``start`` (the normal
    quantile, below the root). P(|T| < t) is concave for t > 0, so the steps increase towards
    the root and never pass it; they stop once small steps no longer shrink (rounding)."""
    log_density = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    t, last = start, math.inf
    for _ in range(100):
        density = math.exp(log_density - (df + 1) / 2 * math.log1p(t * t / df))
        step = (_central(t, df) - level) / (2 * density)
        if abs(step) >= last and last < 1e-9 * t:
            break
        t, last = t - step, abs(step)
        if last <= 1e-16 * t:
            break
    return t


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, not {level!r}")


def wald(estimate, se, df, level: float = 0.95):
    """estimate ± t_df · se (R: ``confint(svymean(...), df=degf(design))``)."""
    _check_level(level)
    t = quantile(level, df)
    estimate, se = np.asarray(estimate, dtype=float), np.asarray(se, dtype=float)
    return estimate - t * se, estimate + t * se


def logit(p, se, df, level: float = 0.95):
    """Interval on the log-odds scale, logit(p) ± t_df·se/(p(1−p)), transformed back.

    R: ``svyciprop(method="logit")`` (and "xlogit", which is the same interval). At p = 0 or 1
    the log-odds are infinite: the interval is then the corresponding limit (NaN); callers use
    ``beta`` there.
    """
    _check_level(level)
    p, se = np.asarray(p, dtype=float), np.asarray(se, dtype=float)
    t = quantile(level, df)
    inside = (p > 0) & (p < 1)
    ps = np.where(inside, p, 0.5)
    centre = np.log(ps / (1 - ps))
    half = t * se / (ps * (1 - ps))
    low = 1 / (1 + np.exp(-(centre - half)))
    high = 1 / (1 + np.exp(-(centre + half)))
    return np.where(inside, low, np.nan), np.where(inside, high, np.nan)


def effective_n(p, se, n) -> np.ndarray:
    """Korn–Graubard effective sample size p(1−p)/se²; ``n`` where se = 0."""
    p, se, n = (np.asarray(a, dtype=float) for a in (p, se, n))
    var = se * se
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / var
    return np.where(var > 0, n_eff, n)


def beta(p, se, n, df, level: float = 0.95):
    """Korn–Graubard (Clopper–Pearson with n_eff), exactly as R ``svyciprop(method="beta")``.

    n_eff = p(1−p)/se² · (t_{n−1}/t_df)² at α/2 (n = respondents); lower limit the α/2 quantile
    of Beta(n_eff·p, n_eff(1−p)+1), upper the 1−α/2 quantile of Beta(n_eff·p+1, n_eff(1−p)).
    When se = 0 (p = 0 or 1) n_eff is taken as n, which gives the exact binomial interval.
    """
    from scipy import special  # for the beta quantiles (betaincinv)

    _check_level(level)
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1 - level
    df = np.asarray(df, dtype=float)
    t_n = special.stdtrit(np.where(n > 1, n - 1, 1.0), alpha / 2)
    t_df = np.where(np.isinf(df), special.ndtri(alpha / 2),
                    special.stdtrit(np.where(df > 0, df, 1.0), alpha / 2))
    n_eff = effective_n(p, se, n) * (t_n / t_df) ** 2
    valid = (n > 1) & (df > 0) & np.isfinite(p) & (n_eff > 0)
    a_low = np.where(valid & (p > 0), n_eff * p, 1.0)
    b_low = np.where(valid, n_eff * (1 - p) + 1, 1.0)
    a_high = np.where(valid, n_eff * p + 1, 1.0)
    b_high = np.where(valid & (p < 1), n_eff * (1 - p), 1.0)
    low = np.where(p > 0, special.betaincinv(a_low, b_low, alpha / 2), 0.0)
    high = np.where(p < 1, special.betaincinv(a_high, b_high, 1 - alpha / 2), 1.0)
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def wilson(p, se, n, df, level: float = 0.95):
    """Wilson score interval with the effective sample size n_eff = p(1−p)/se² and t_df."""
    _check_level(level)
    p = np.asarray(p, dtype=float)
    m = effective_n(p, se, n)
    t = quantile(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (p + t * t / (2 * m)) / (1 + t * t / m)
        half = t / (1 + t * t / m) * np.sqrt(p * (1 - p) / m + t * t / (4 * m * m))
    valid = m > 0
    return (np.where(valid, np.clip(centre - half, 0, 1), np.nan),
            np.where(valid, np.clip(centre + half, 0, 1), np.nan))


def interval(method: str, estimate, se, *, n, df, level: float = 0.95):
    """Dispatch to one of ``METHODS``; share methods expect a fraction in 0..1."""
    if method == "wald":
        return wald(estimate, se, df, level)
    if method == "logit":
        return logit(estimate, se, df, level)
    if method == "beta":
        return beta(estimate, se, n, df, level)
    if method == "wilson":
        return wilson(estimate, se, n, df, level)
    raise ValueError(f"unknown interval method {method!r}; use one of {', '.join(METHODS)}")


def share_interval(method: str, p, se, *, n, df, level: float = 0.95):
    """Interval for a share; where se = 0 (p = 0 or 1) the beta interval is used instead.

    Returns (low, high, method used per element).
    """
    p, se = np.asarray(p, dtype=float), np.asarray(se, dtype=float)
    low, high = interval(method, p, se, n=n, df=df, level=level)
    zero = se == 0
    used = np.where(zero, "beta", method)
    if zero.any():
        b_low, b_high = beta(p, se, n, df, level)
        low, high = np.where(zero, b_low, low), np.where(zero, b_high, high)
    return low, high, used
