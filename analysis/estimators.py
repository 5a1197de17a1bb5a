"""Means, proportions, totals and ratios, overall and by domain, with linearised variances.

Every estimator here is a ratio R = Σ w·num / Σ w·den over a domain (mean: den = 1) or a total
Σ w·y. Its linearised variable is z_i = w_i (num_i − R·den_i)/Σ w·den (total: z_i = w_i·y_i),
set to 0 outside the domain and where the variable is missing (R's ``na.rm=TRUE`` on a domain),
while every PSU of the design stays in the variance sum.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from . import intervals
from .columns import DesignError, as_array, factorize, is_pandas, missing, numeric_column
from .reliability import reliability_flag

if TYPE_CHECKING:
    import pandas as pd

    from .design import SurveyDesign

__all__ = [
    "Estimate",
    "EstimateTable",
    "domain_codes",
    "mean",
    "proportion",
    "ratio",
    "total",
]


@dataclass
class Estimate:
    """One estimate with its uncertainty: R's ``coef``, ``SE``, ``confint`` and more."""

    statistic: str
    variable: str
    by: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_eff: float
    deff: float
    df: float
    ci_method: str
    level: float
    flag: str

    def ci(self, method: str | None = None, level: float | None = None) -> tuple[float, float]:
        """The interval, recomputed for another method or level if asked."""
        method, level = method or self.ci_method, level or self.level
        if method == self.ci_method and level == self.level:
            return self.ci_low, self.ci_high
        low, high = intervals.interval(method, self.estimate, self.se, n=self.n, df=self.df,
                                       level=level)
        return float(low), float(high)

    def to_dict(self) -> dict:
        """The estimate as a plain dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame."""
        import pandas as pd
        return pd.DataFrame([self.to_dict()])


class EstimateTable:
    """Estimates by domain (R: ``svyby``): iterate, index by domain value, or ``to_frame()``."""

    def __init__(self, rows: list[Estimate], by: str | None):
        self.rows, self.by_column = rows, by

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, domain) -> Estimate:
        for row in self.rows:
            if row.by == str(domain):
                return row
        raise KeyError(domain)

    def to_frame(self) -> pd.DataFrame:
        """One row per domain."""
        import pandas as pd
        return pd.DataFrame([row.to_dict() for row in self.rows])


def domain_codes(design: SurveyDesign, by) -> tuple[np.ndarray, list[str]]:
    """Integer domain code per row (−1 where the domain value is missing) and sorted labels.

    ``by``: None (one domain "ALL"), a column name, or one label per row (R's ``svyby`` with
    a factor that is not a column of the data).
    """
    if by is None:
        return np.zeros(design.n, dtype=np.int64), ["ALL"]
    if isinstance(by, str):
        values = design.column(by)
    else:
        import pandas as pd  # labels of any kind, factorized as pandas does
        values = pd.Series(np.asarray(by))
    if len(values) != design.n:
        raise DesignError(f"by has {len(values)} labels for {design.n} rows")
    codes, labels = factorize(values, sort=True)
    return codes, [str(v) for v in labels]


def domain_df(design: SurveyDesign, g: np.ndarray, n_dom: int) -> np.ndarray:
    """Degrees of freedom of each domain as R's ``degf`` of the domain's subset design: PSUs
    with at least one row of the domain − strata with at least one row of the domain."""
    inside = g >= 0
    pairs = np.unique(design.psu_code[inside] * n_dom + g[inside])
    psu, dom = pairs // n_dom, pairs % n_dom
    n_psu = np.bincount(dom, minlength=n_dom)
    strata = np.unique(design.layout.psu_stratum[psu] * n_dom + dom) % n_dom
    return (n_psu - np.bincount(strata, minlength=n_dom)).astype(float)


def _domain_psu_totals(design: SurveyDesign, z: np.ndarray, g: np.ndarray, n_dom: int):
    """PSU totals of z per domain: an (n_psu × n_dom) array; z is 0 outside each domain."""
    inside = g >= 0
    if design.calibration:
        dense = np.zeros((design.n, n_dom))
        dense[np.flatnonzero(inside), g[inside]] = z[inside]
        return design.psu_totals(design.calibrate_residuals(dense))
    index = design.psu_code[inside] * n_dom + g[inside]
    totals = np.bincount(index, weights=z[inside], minlength=design.n_psu * n_dom)
    return totals.reshape(design.n_psu, n_dom)


def srs_factor(population, n) -> np.ndarray:
    """(N̂ − n)/(n − 1): Σ z²/w times this is the variance under simple random sampling
    without replacement of n from N̂ = Σ w, as R's ``deff = TRUE`` (``svymean``,
    ``svytotal``: ``svyvar(x)·(N̂ − n)/(N̂·n)``); NaN for n ≤ 1."""
    population, n = np.asarray(population, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, (population - n) / (n - 1), np.nan)


def _estimate(design, statistic, variable, num, den, by, ci, level, total_of=False):
    """Shared engine: ratio (or total) of num/den by domain, with variance, n_eff, deff, CI."""
    g, labels = domain_codes(design, by)
    n_dom = len(labels)
    ok = np.isfinite(num) & np.isfinite(den) & (g >= 0)
    gi = np.where(ok, g, 0)
    w = design.weights * ok
    num0, den0 = np.where(ok, num, 0.0), np.where(ok, den, 0.0)
    n = np.bincount(gi, weights=ok.astype(float), minlength=n_dom)
    wsum = np.bincount(gi, weights=w, minlength=n_dom)
    top = np.bincount(gi, weights=w * num0, minlength=n_dom)
    bottom = np.bincount(gi, weights=w * den0, minlength=n_dom)
    with np.errstate(divide="ignore", invalid="ignore"):
        if total_of:
            est = top
            centre = top / wsum
            z = w * num0
            u = (num0 - centre[gi]) * ok
            spread = np.bincount(gi, weights=w * u * u, minlength=n_dom)
        else:
            est = top / bottom
            z = w * (num0 - est[gi] * den0) / bottom[gi]
            spread = np.bincount(gi, weights=np.where(ok, z * z / design.weights, 0.0),
                                 minlength=n_dom)
        z = np.where(ok, z, 0.0)
        var = design.layout.variance(_domain_psu_totals(design, z, np.where(ok, g, -1), n_dom))
        se = np.sqrt(var)
        srs = srs_factor(wsum, n) * spread
        deff = np.where((var > 0) & (srs > 0), var / srs, np.nan)
        n_eff = np.where(var > 0, wsum * spread / var, n)
    df = domain_df(design, g, n_dom) if by is not None else np.full(n_dom, float(design.df))
    if statistic == "proportion":
        low, high, used = intervals.share_interval(ci, est, se, n=n, df=df, level=level)
    else:
        low, high = intervals.interval(ci, est, se, n=n, df=df, level=level)
        used = np.full(n_dom, ci)
    rows = []
    for d, label in enumerate(labels):
        flag = reliability_flag(n[d], n_eff[d], se[d], high[d] - low[d],
                                wide=0.20 if statistic == "proportion" else None)
        rows.append(Estimate(statistic, variable, label, float(est[d]), float(se[d]),
                             float(low[d]), float(high[d]), int(n[d]), float(n_eff[d]),
                             float(deff[d]), float(df[d]), str(used[d]), level, flag))
    return rows[0] if by is None else EstimateTable(rows, by)


def matches(values, value) -> np.ndarray:
    """Rows equal to ``value``: numerically for numeric columns, else as text ("5" = 5)."""
    values = as_array(values)
    if values.dtype.kind in "biuf":
        try:
            return np.asarray(values, dtype=float) == float(value)
        except (TypeError, ValueError):
            return np.zeros(len(values), dtype=bool)
    if is_pandas(values):
        return (values.astype(str) == str(value)).to_numpy()
    return np.asarray(values).astype(str) == str(value)


def _values(design: SurveyDesign, column: str) -> np.ndarray:
    return numeric_column(design.frame, column, "variable")


def mean(design: SurveyDesign, column: str, by: str | None = None, ci: str = "wald",
         level: float = 0.95):
    """Weighted mean Σ w y / Σ w over rows where y is present (R: ``svymean(na.rm=TRUE)``)."""
    y = _values(design, column)
    return _estimate(design, "mean", column, y, np.ones(design.n), by, ci, level)


def proportion(design: SurveyDesign, column: str, value, by: str | None = None,
               ci: str = "logit", level: float = 0.95):
    """Share (0–1) of rows with ``column == value`` among rows where the column is present."""
    values = design.column(column)
    present = ~missing(values)
    hit = matches(values, value)
    y = np.where(present, hit.astype(float), np.nan)
    return _estimate(design, "proportion", f"{column}={value}", y, np.ones(design.n), by, ci,
                     level)


def total(design: SurveyDesign, column: str, by: str | None = None, ci: str = "wald",
          level: float = 0.95):
    """Weighted total Σ w y (R: ``svytotal(na.rm=TRUE)``)."""
    y = _values(design, column)
    return _estimate(design, "total", column, y, np.ones(design.n), by, ci, level, total_of=True)


def ratio(design: SurveyDesign, numerator: str, denominator: str, by: str | None = None,
          ci: str = "wald", level: float = 0.95):
    """Ratio Σ w·num / Σ w·den (R: ``svyratio``); rows missing either are left out."""
    num, den = _values(design, numerator), _values(design, denominator)
    if by is None and not np.any(np.isfinite(den) & (den != 0)):
        raise DesignError(f"column {denominator!r}: denominator is zero", column=denominator)
    return _estimate(design, "ratio", f"{numerator}/{denominator}", num, den, by, ci, level)
