"""Weighting: post-stratification and raking to known totals, trimming, Kish's design effect.

Calibrated designs keep the residualisation for the variance, exactly as R's ``survey``:
post-stratification replaces z_i by z_i − w_i·(Σ_cell z / Σ_cell w) (``postStratify``), raking
applies the same projection margin by margin for 10 sweeps with each margin's weights
(``rake``). The result is a new SurveyDesign; the original is unchanged.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import as_frame
from .design import DesignError, SurveyDesign

_COUNT_NAMES = ("total", "Freq", "freq", "N", "population", "count", "dossiers")


def _group_mean_rows(codes: np.ndarray, n_cells: int, x: np.ndarray, weights=None):
    """Per-row value of the (weighted) cell mean of x (n or n × m)."""
    one = x.ndim == 1
    x2 = x.reshape(len(codes), -1)
    denom = np.bincount(codes, weights=weights, minlength=n_cells)
    sums = np.column_stack([np.bincount(codes, weights=x2[:, j], minlength=n_cells)
                            for j in range(x2.shape[1])])
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(denom[:, None] > 0, sums / denom[:, None], 0.0)
    out = means[codes]
    return out[:, 0] if one else out


@dataclass(frozen=True)
class PostStratification:
    """Calibration step: residuals of z from the weighted cell means of z/w."""

    cells: np.ndarray
    n_cells: int
    weights: np.ndarray
    sweeps = 1

    def parts(self) -> list[tuple]:
        """(cell codes, cells, psw, averaging weights) of the projection: see calibration.py."""
        return [(self.cells, self.n_cells, self.weights, self.weights)]

    def residuals(self, z: np.ndarray) -> np.ndarray:
        """z − w·(Σ_cell z / Σ_cell w)."""
        w = self.weights if z.ndim == 1 else self.weights[:, None]
        zc = _group_mean_rows(self.cells, self.n_cells, z, weights=self.weights)
        return z - w * zc


@dataclass(frozen=True)
class Raking:
    """Calibration step: R's raking residuals, 10 sweeps over the margins."""

    margins: tuple            # (codes, n_cells, weights after that margin's step)
    converged: bool
    iterations: int
    sweeps = 10

    def parts(self) -> list[tuple]:
        """(cell codes, cells, psw, averaging weights) per margin: see calibration.py."""
        return [(codes, n_cells, psw, np.ones(len(psw))) for codes, n_cells, psw in self.margins]

    def residuals(self, z: np.ndarray) -> np.ndarray:
        """Repeated projection x − w_m·ave_m(x/w_m) over the margins (unweighted cell average)."""
        for _ in range(self.sweeps):
            for codes, n_cells, psw in self.margins:
                w = psw if z.ndim == 1 else psw[:, None]
                z = z - w * _group_mean_rows(codes, n_cells, z / w)
        return z


def _cell_codes(design: SurveyDesign, totals, cells) -> tuple[np.ndarray, np.ndarray, list]:
    """Row codes of the population cells, the cell totals, the cell variable names."""
    if isinstance(totals, pd.DataFrame):
        names = list(cells) if cells is not None else None
        if names is None:
            counts = [c for c in totals.columns if c in _COUNT_NAMES]
            if len(counts) != 1:
                raise DesignError("totals need one count column named one of "
                                  f"{', '.join(_COUNT_NAMES)}")
            count = counts[0]
            names = [c for c in totals.columns if c != count]
        else:
            names = [names] if isinstance(cells, str) else names
            count = next(c for c in totals.columns if c not in names)
        table = totals
    else:
        if cells is None:
            raise DesignError("give cells= (the column) when totals is a mapping")
        names = [cells] if isinstance(cells, str) else list(cells)
        series = pd.Series(totals)
        table = series.rename("total").rename_axis(names).reset_index()
        count = "total"
    keys = pd.MultiIndex.from_frame(table[names].astype(str))
    if keys.has_duplicates:
        raise DesignError(f"totals list a cell of {', '.join(names)} twice")
    for name in names:
        design.column(name)
    sample = pd.MultiIndex.from_frame(as_frame(design.frame, list(names)).astype(str))
    codes = keys.get_indexer(sample)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise DesignError(f"row {row + 1}: cell {sample[row]} of {', '.join(names)} has no "
                          "population total", column=names[0], row=row + 1)
    return codes.astype(np.int64), table[count].to_numpy(dtype=float), names


def post_stratify(design: SurveyDesign, totals, cells=None, partial: bool = False
                  ) -> SurveyDesign:
    """Post-stratify to known cell totals (R: ``postStratify``).

    ``totals``: a DataFrame of the cell columns plus one count column (``total``, ``Freq``, …),
    or a mapping cell value → total with ``cells`` naming the column. Population cells without
    respondents raise DesignError unless ``partial`` (then they are ignored).
    """
    codes, population, names = _cell_codes(design, totals, cells)
    n_cells = len(population)
    estimated = np.bincount(codes, weights=design.weights, minlength=n_cells)
    empty = (estimated == 0) & (population > 0)
    if empty.any() and not partial:
        raise DesignError(f"a population cell of {', '.join(names)} has no respondents "
                          "(use partial=True to ignore it)", column=names[0])
    factor = np.where(estimated > 0, population / np.where(estimated > 0, estimated, 1), 0.0)
    weights = design.weights * factor[codes]
    return design.reweighted(weights, PostStratification(codes, n_cells, weights))


def rake(design: SurveyDesign, margins: Mapping, maxit: int = 10, epsilon: float = 1.0
         ) -> SurveyDesign:
    """Rake to several margins by iterative proportional fitting (R: ``rake``, same stopping:
    the largest change of the joint weighted table < ``epsilon``, at most ``maxit`` sweeps).

    ``margins``: column → (mapping value → total, or a DataFrame as for ``post_stratify``).
    """
    prepared = []
    for column, totals in margins.items():
        cells = None if isinstance(totals, pd.DataFrame) else column
        codes, population, _ = _cell_codes(design, totals, cells)
        prepared.append((codes, population))
    joint = np.unique(np.column_stack([c for c, _ in prepared]), axis=0, return_inverse=True)[1]
    joint = np.asarray(joint).ravel()
    n_joint = int(joint.max()) + 1 if len(joint) else 0
    eps = epsilon * design.weights.sum() if epsilon < 1 else epsilon
    weights = design.weights.copy()
    old = np.bincount(joint, weights=weights, minlength=n_joint)
    converged, iteration, steps = False, 0, []
    while iteration < maxit:
        steps = []
        for codes, population in prepared:
            estimated = np.bincount(codes, weights=weights, minlength=len(population))
            if ((estimated == 0) & (population > 0)).any():
                raise DesignError("a raking margin has a population cell without respondents")
            factor = np.where(estimated > 0, population / np.where(estimated > 0, estimated, 1),
                              0.0)
            weights = weights * factor[codes]
            steps.append((codes, len(population), weights.copy()))
        new = np.bincount(joint, weights=weights, minlength=n_joint)
        if np.max(np.abs(old - new)) < eps:
            converged = True
            break
        old = new
        iteration += 1
    return design.reweighted(weights, Raking(tuple(steps), converged, iteration))


def trim_weights(design_or_weights, cap: float = 3.5, max_iter: int = 100):
    """Cap weights at ``cap`` × median and spread the excess over the uncapped weights.

    The total of the weights is kept. Returns a new design (or array when given an array).
    """
    is_design = isinstance(design_or_weights, SurveyDesign)
    w = np.array(design_or_weights.weights if is_design else design_or_weights, dtype=float)
    limit = cap * np.median(w)
    total = w.sum()
    for _ in range(max_iter):
        over = w > limit * (1 + 1e-12)
        if not over.any():
            break
        w = np.minimum(w, limit)
        free = w < limit
        if not free.any():
            break
        w[free] *= 1 + (total - w.sum()) / w[free].sum()
    return design_or_weights.reweighted(w) if is_design else w


def kish_deff(weights, counts=None) -> float:
    """Kish's design effect of unequal weighting, 1 + CV²(w) = n·Σw²/(Σw)²; ``counts``: how
    many respondents carry each weight (slices), 1 each by default."""
    w = np.asarray(getattr(weights, "weights", weights), dtype=float)
    if len(w) == 0:
        return float("nan")
    c = np.ones(len(w)) if counts is None else np.asarray(counts, dtype=float)
    return float(c.sum() * np.sum(c * w * w) / np.sum(c * w) ** 2)
