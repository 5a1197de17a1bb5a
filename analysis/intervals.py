"""Confidence intervals for survey estimates: logit, beta (Korn–Graubard), Wilson, Wald.

All functions are vectorised over numpy arrays and take the design degrees of freedom ``df``
(PSUs − strata): the quantile is Student's t with ``df`` (normal when ``df`` is infinite), as R's
``svyciprop`` and ``confint(..., df=degf(design))`` use.
"""
from __future__ import annotations

import numpy as np
from scipy import special

METHODS = ("logit", "beta", "wilson", "wald")


def quantile(level: float, df) -> np.ndarray:
    """Upper (1+level)/2 quantile of t with ``df`` (normal for df = inf; NaN for df <= 0)."""
    df = np.asarray(df, dtype=float)
    q = 0.5 + level / 2.0
    safe = np.where(df > 0, df, 1.0)
    t = np.where(np.isinf(safe), special.ndtri(q), special.stdtrit(safe, q))
    return np.where(df > 0, t, np.nan)


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
