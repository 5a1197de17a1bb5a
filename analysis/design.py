"""The survey design: weights, strata, clusters (PSUs nested in strata), fpc and the lonely-PSU rule.

A design is built once from a DataFrame (or ``columns.Columns``); integer codes of strata and
PSUs are computed here and reused by every estimator. The variance of any linearised variable z is

    V = Σ_h (1 − f_h) · n_h/(n_h − 1) · Σ_j (z_hj − mean_j z_hj)²

(R ``survey``'s ``svyrecvar`` for a one-stage design, ``nest=TRUE``).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import estimators
from .columns import Columns, DesignError, factorize, missing, numeric_column, value_at

if TYPE_CHECKING:
    import pandas as pd

LONELY_RULES = ("adjust", "fail", "remove", "certainty")
_SELF_REPRESENTING = 1e-7


@dataclass(frozen=True)
class PsuLayout:
    """Where every PSU sits: its stratum, PSUs per stratum, sampling fractions, lonely-PSU rule.

    PSUs are numbered 0..n_psu−1; ``psu_stratum[j]`` is the stratum code of PSU j.
    """

    psu_stratum: np.ndarray
    strata_labels: list
    fraction: np.ndarray = field(default=None)
    lonely_psu: str = "adjust"

    def __post_init__(self):
        n_strata = len(self.strata_labels)
        if self.fraction is None:
            object.__setattr__(self, "fraction", np.zeros(n_strata))
        if self.lonely_psu not in LONELY_RULES:
            raise DesignError(f"lonely_psu must be one of {', '.join(LONELY_RULES)}, "
                              f"not {self.lonely_psu!r}")
        n_h = np.bincount(self.psu_stratum, minlength=n_strata)
        object.__setattr__(self, "n_h", n_h)
        if self.lonely_psu == "fail" and self.lonely_strata:
            label = self.lonely_strata[0]
            raise DesignError(f"stratum {label} has only one PSU (lonely_psu='fail')",
                              stratum=label)

    @property
    def n_psu(self) -> int:
        """Number of PSUs in the design."""
        return len(self.psu_stratum)

    @property
    def n_strata(self) -> int:
        """Number of strata (1 when the design has none)."""
        return len(self.strata_labels)

    @property
    def df(self) -> int:
        """Degrees of freedom: PSUs − strata (R's ``degf``)."""
        return int(self.n_psu - self.n_strata)

    @property
    def lonely_strata(self) -> list:
        """Labels of strata with a single PSU (the strata the lonely-PSU rule hits)."""
        return [self.strata_labels[h] for h in np.flatnonzero(self.n_h == 1)]

    def stratum_scale(self) -> np.ndarray:
        """(1 − f_h)·n_h/(n_h − 1) per stratum; lonely strata per the rule, 0 when self-representing."""
        n_h = self.n_h.astype(float)
        keep = 1.0 - self.fraction
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(n_h > 1, keep * n_h / (n_h - 1), 0.0)
        if self.lonely_psu == "adjust":
            scale = np.where(n_h == 1, keep, scale)
        return np.where(keep < _SELF_REPRESENTING, 0.0, scale)

    def variance_from_cells(self, psu: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Variance of the totals of z from PSU totals given for some PSUs (the others are 0).

        ``psu`` holds distinct PSU numbers, ``z`` their totals (one column per variable). A PSU
        not listed contributes z_hj = 0: this is how a domain keeps every PSU of the design.
        Lonely strata under ``adjust`` are centred at 0, the grand mean of a linearised variable
        (R 4.x does exactly this); under ``remove``/``certainty`` they contribute 0.
        """
        z = np.asarray(z, dtype=float)
        one = z.ndim == 1
        z2 = z.reshape(len(psu), -1)
        stratum = self.psu_stratum[psu]
        n_strata = self.n_strata
        totals = _group_sum(stratum, z2, n_strata)
        n_h = np.maximum(self.n_h, 1).astype(float)
        means = totals / n_h[:, None]
        lonely = self.n_h == 1
        means[lonely] = 0.0
        dev = z2 - means[stratum]
        ss = _group_sum(stratum, dev * dev, n_strata)
        present = np.bincount(stratum, minlength=n_strata).astype(float)
        ss += (self.n_h - present)[:, None] * means * means
        v = (self.stratum_scale()[:, None] * ss).sum(axis=0)
        return v[0] if one else v

    def variance(self, z_psu: np.ndarray) -> np.ndarray:
        """Variance of the totals of z from the totals of every PSU (rows = PSUs)."""
        return self.variance_from_cells(np.arange(self.n_psu), z_psu)


def sampling_fraction(fpc: np.ndarray, n_h: np.ndarray, labels: list,
                      column: str | None = None) -> np.ndarray:
    """Sampling fraction per stratum from its fpc (one value per stratum): the fraction itself
    when every fpc is ≤ 1, else n_h / population; refused when not positive or below n_h."""
    where = f"column {column!r}: " if column else ""
    if (fpc <= 0).any():
        h = int(np.flatnonzero(fpc <= 0)[0])
        raise DesignError(f"{where}fpc must be positive (stratum {labels[h]})",
                          column=column, stratum=labels[h])
    if (fpc <= 1).all():
        return fpc
    if (fpc < n_h).any():
        h = int(np.flatnonzero(fpc < n_h)[0])
        raise DesignError(f"{where}population size {fpc[h]:g} is smaller than the "
                          f"{n_h[h]} sampled PSUs of stratum {labels[h]}",
                          column=column, stratum=labels[h])
    return n_h / fpc


def _group_sum(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Column sums of ``values`` (rows × m) per group code: a (n_groups × m) array."""
    if values.shape[1] <= 4:
        return np.column_stack([np.bincount(codes, weights=values[:, c], minlength=n_groups)
                                for c in range(values.shape[1])]).reshape(n_groups, -1)
    from scipy import sparse
    indicator = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                                  shape=(n_groups, len(codes)))
    return np.asarray(indicator @ values)


def _column(frame: pd.DataFrame | Columns, name: str, role: str):
    if name not in frame.columns:
        raise DesignError(f"missing column {name!r} ({role})", column=name)
    values = frame[name]
    absent = missing(values)
    if absent.any():
        row = int(np.flatnonzero(absent)[0]) + 1
        raise DesignError(f"column {name!r}, row {row}: {role} is missing", column=name, row=row)
    return values


class SurveyDesign:
    """A complex survey design over a DataFrame (R: ``svydesign(ids, strata, weights, fpc)``).

    Parameters: ``weights`` column (default 1), ``strata`` column (default one stratum),
    ``clusters`` column of PSUs nested in strata (default: each row its own PSU), ``fpc`` column
    (population number of PSUs in the stratum when > 1, else the sampling fraction), and
    ``lonely_psu`` in adjust | fail | remove | certainty. ``lonely_strata`` lists the strata with
    a single PSU that the rule was applied to.
    """

    def __init__(self, frame: pd.DataFrame | Columns, weights: str | None = None,
                 strata: str | None = None, clusters: str | None = None,
                 fpc: str | None = None, lonely_psu: str = "adjust"):
        if lonely_psu not in LONELY_RULES:
            raise DesignError(f"lonely_psu must be one of {', '.join(LONELY_RULES)}, "
                              f"not {lonely_psu!r}")
        self.frame = frame
        self.weights_column, self.strata_column = weights, strata
        self.clusters_column, self.fpc_column = clusters, fpc
        self.n = len(frame)
        self.calibration: tuple = ()
        if strata is not None:
            stratum_code, strata_labels = factorize(_column(frame, strata, "stratum"), sort=True)
        else:
            stratum_code, strata_labels = np.zeros(self.n, dtype=np.int64), ["ALL"]
        if clusters is not None:
            cluster_code, cluster_labels = factorize(_column(frame, clusters, "cluster"),
                                                     sort=False)
            pair = stratum_code.astype(np.int64) * max(len(cluster_labels), 1) + cluster_code
            unique_pairs, psu_code = np.unique(pair, return_inverse=True)
            psu_stratum = (unique_pairs // max(len(cluster_labels), 1)).astype(np.int64)
        else:
            order = np.argsort(stratum_code, kind="stable")
            psu_code = np.empty(self.n, dtype=np.int64)
            psu_code[order] = np.arange(self.n)
            psu_stratum = stratum_code[order].astype(np.int64)
        self.stratum_code = np.asarray(stratum_code, dtype=np.int64)
        self.psu_code = np.asarray(psu_code, dtype=np.int64).ravel()
        n_h = np.bincount(psu_stratum, minlength=len(strata_labels))
        fraction = self._fraction(fpc, n_h, strata_labels) if fpc is not None else np.zeros(len(strata_labels))
        self.layout = PsuLayout(psu_stratum, strata_labels, fraction, lonely_psu)
        if weights is not None:
            w = numeric_column(frame, weights, "weight")
            bad = ~(np.isfinite(w) & (w > 0))
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DesignError(f"column {weights!r}, row {row + 1}: weight must be a positive "
                                  f"number, not {value_at(frame[weights], row)!r}",
                                  column=weights, row=row + 1)
        elif fpc is not None:
            w = 1.0 / fraction[self.stratum_code]
        else:
            w = np.ones(self.n)
        self.weights = np.ascontiguousarray(w, dtype=float)
        self._psu_indicator = None

    def _fraction(self, fpc: str, n_h: np.ndarray, labels: list) -> np.ndarray:
        values = numeric_column(self.frame, fpc, "fpc")
        if np.isnan(values).any():
            row = int(np.flatnonzero(np.isnan(values))[0]) + 1
            raise DesignError(f"column {fpc!r}, row {row}: fpc is missing", column=fpc, row=row)
        n_strata = len(n_h)
        lo = np.full(n_strata, np.inf)
        hi = np.full(n_strata, -np.inf)
        np.minimum.at(lo, self.stratum_code, values)
        np.maximum.at(hi, self.stratum_code, values)
        for h in np.flatnonzero(lo != hi):
            raise DesignError(f"column {fpc!r}: fpc differs within stratum {labels[h]}",
                              column=fpc, stratum=labels[h])
        return sampling_fraction(lo, n_h, labels, fpc)

    # -- structure -------------------------------------------------------------------------
    @property
    def strata_labels(self) -> list:
        """Stratum labels in code order (["ALL"] without strata)."""
        return self.layout.strata_labels

    @property
    def n_psu(self) -> int:
        """Number of PSUs."""
        return self.layout.n_psu

    @property
    def df(self) -> int:
        """Degrees of freedom for intervals: PSUs − strata."""
        return self.layout.df

    @property
    def lonely_psu(self) -> str:
        """The lonely-PSU rule."""
        return self.layout.lonely_psu

    @property
    def lonely_strata(self) -> list:
        """Strata with a single PSU, to which the lonely-PSU rule applied."""
        return self.layout.lonely_strata

    def column(self, name: str):
        """A column of the design's data."""
        if name not in self.frame.columns:
            raise DesignError(f"missing column {name!r}", column=name)
        return self.frame[name]

    def reweighted(self, weights: np.ndarray, step=None) -> SurveyDesign:
        """A copy with new weights and (optionally) one more calibration step for the variance."""
        new = copy.copy(self)
        new.weights = np.ascontiguousarray(weights, dtype=float)
        new.calibration = self.calibration + ((step,) if step is not None else ())
        return new

    # -- variance --------------------------------------------------------------------------
    def psu_totals(self, z: np.ndarray) -> np.ndarray:
        """Totals of z (n or n × m) per PSU."""
        z = np.asarray(z, dtype=float)
        if z.ndim == 1:
            return np.bincount(self.psu_code, weights=z, minlength=self.n_psu)
        if self._psu_indicator is None:
            from scipy import sparse
            self._psu_indicator = sparse.csr_matrix(
                (np.ones(self.n), (self.psu_code, np.arange(self.n))), shape=(self.n_psu, self.n))
        return np.asarray(self._psu_indicator @ z)

    def calibrate_residuals(self, z: np.ndarray) -> np.ndarray:
        """Apply the calibration steps (post-stratification, raking) to observation-level z."""
        for step in self.calibration:
            z = step.residuals(z)
        return z

    def variance(self, z: np.ndarray) -> np.ndarray:
        """Linearised variance of the total of z (n or n × m): see ``linearised_variance``."""
        return linearised_variance(z, self)

    # -- estimators (R-like methods) ---------------------------------------------------------
    def mean(self, column: str, by: str | None = None, ci: str = "wald", level: float = 0.95):
        """Weighted mean of a column, overall or by domain (R: ``svymean``/``svyby``)."""
        return estimators.mean(self, column, by=by, ci=ci, level=level)

    def proportion(self, column: str, value, by: str | None = None, ci: str = "logit",
                   level: float = 0.95):
        """Share of rows where column == value, as a fraction (R: ``svyciprop``)."""
        return estimators.proportion(self, column, value, by=by, ci=ci, level=level)

    def total(self, column: str, by: str | None = None, ci: str = "wald", level: float = 0.95):
        """Weighted total of a column (R: ``svytotal``)."""
        return estimators.total(self, column, by=by, ci=ci, level=level)

    def ratio(self, numerator: str, denominator: str, by: str | None = None, ci: str = "wald",
              level: float = 0.95):
        """Ratio of two weighted totals (R: ``svyratio``)."""
        return estimators.ratio(self, numerator, denominator, by=by, ci=ci, level=level)

    def __repr__(self) -> str:
        return (f"SurveyDesign(n={self.n}, strata={self.layout.n_strata}, psu={self.n_psu}, "
                f"df={self.df}, lonely_psu={self.lonely_psu!r}, "
                f"calibrated={len(self.calibration) > 0})")


def linearised_variance(z: np.ndarray, design: SurveyDesign) -> np.ndarray:
    """Variance of Σ z_i under the design: calibration residuals, PSU totals, stratified sum."""
    z = design.calibrate_residuals(np.asarray(z, dtype=float))
    return design.layout.variance(design.psu_totals(z))
