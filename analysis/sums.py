"""SIPAS estimation from sufficient sums per (stratum, PSU, domain) cell.

For every cell and criterion k the estimator needs only
``n_k`` (respondents answering), ``a_k`` = Σ w·a_k, ``s_k`` = Σ w·s_k (satisfied),
``y_k`` = Σ w·a_k·y_k, ``q_k`` = Σ w·a_k·y_k² (for the design effect of mean scores),
plus respondent counts: ``rows``, ``ne_<element>`` (answering at least one criterion of the
element) and ``n_any`` (answering at least one criterion). A database can compute these with one
``GROUP BY`` (see ``analysis.sql``); ``cells_from_design`` computes them from a DataFrame.
The linearised z of a criterion share summed over a PSU is (s_k − p_k·a_k)/A_k, so the PSU
totals, and every variance below, follow exactly from these sums.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .columns import Columns, SmallInts, value_at
from .design import DesignError, PsuLayout, numeric_column

if TYPE_CHECKING:
    import pandas as pd

SUM_KINDS = ("n", "a", "s", "y", "q")


@dataclass
class CellSums:
    """Sufficient sums per (PSU, domain) cell: arrays with one row per cell."""

    psu: np.ndarray          # PSU number in the layout
    domain: np.ndarray       # domain code, −1 outside every domain
    rows: np.ndarray
    n: np.ndarray            # cells × K
    a: np.ndarray
    s: np.ndarray
    y: np.ndarray
    q: np.ndarray
    n_element: np.ndarray    # cells × E
    n_any: np.ndarray

    def select(self, mask: np.ndarray) -> CellSums:
        """The cells where mask is true."""
        return CellSums(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def by_psu(self) -> CellSums:
        """All domains merged: one cell per PSU that has any row."""
        return self.merged(self.psu, np.zeros(len(self.psu), dtype=np.int64))

    def merged(self, psu: np.ndarray, domain: np.ndarray) -> CellSums:
        """Cells re-keyed by (psu, domain) and summed, so each key appears once."""
        n_dom = int(domain.max()) + 2 if len(domain) else 1
        unique, index = np.unique(psu.astype(np.int64) * n_dom + (domain + 1),
                                  return_inverse=True)
        size = len(unique)

        def agg(x):
            if x.ndim == 1:
                return np.bincount(index, weights=x, minlength=size)
            return np.column_stack([np.bincount(index, weights=x[:, j], minlength=size)
                                    for j in range(x.shape[1])]).reshape(size, -1)

        return CellSums(unique // n_dom, unique % n_dom - 1, agg(self.rows), agg(self.n),
                        agg(self.a), agg(self.s), agg(self.y), agg(self.q), agg(self.n_element),
                        agg(self.n_any))


def answer_columns(frame: pd.DataFrame | Columns, structure) -> list[np.ndarray]:
    """Answers per criterion as float arrays (NaN = unanswered), checked against the scale."""
    lo, hi = structure.scale_min, structure.scale_max
    columns = []
    for code in structure.criteria:
        x = numeric_column(frame, code, "criterion")
        bad = np.isfinite(x) & ((x < lo) | (x > hi) | (x != np.round(x)))
        bad |= np.isinf(x)
        if bad.any():
            raise _off_scale(frame, code, int(np.flatnonzero(bad)[0]), structure)
        columns.append(x)
    return columns


def small_answer_codes(frame: pd.DataFrame | Columns, structure, dtype) -> np.ndarray | None:
    """Answer codes (criteria × rows: 0 unanswered, 1.. the scale points) straight from the
    ``SmallInts`` columns the command line reads, checked against the scale as
    ``answer_columns`` checks floats; None unless every criterion is such a column."""
    if not isinstance(frame, Columns) or not all(
            code in frame.columns and isinstance(frame[code], SmallInts)
            for code in structure.criteria):
        return None
    lo, hi = structure.scale_min, structure.scale_max
    codes = np.zeros((len(structure.criteria), len(frame)), dtype=dtype)
    for k, code in enumerate(structure.criteria):
        column = frame[code]
        bad = (column.values < lo) | (column.values > hi)
        if column.present is not None:
            bad &= column.present
        if bad.any():
            raise _off_scale(frame, code, int(np.flatnonzero(bad)[0]), structure)
        codes[k] = column.values - np.int16(lo - 1)
        if column.present is not None:
            codes[k, ~column.present] = 0
    return codes


def _off_scale(frame, code: str, row: int, structure) -> DesignError:
    lo, hi = structure.scale_min, structure.scale_max
    return DesignError(f"column {code!r}, row {row + 1}: {value_at(frame[code], row)!r} is not "
                       f"an answer on the {lo:g}..{hi:g} scale", column=code, row=row + 1)


def answer_matrix(frame: pd.DataFrame | Columns, structure) -> np.ndarray:
    """Answers as a float matrix (rows × criteria, NaN = unanswered), checked against the scale."""
    columns = answer_columns(frame, structure)
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0))


def cells_from_arrays(answers, weights: np.ndarray, psu: np.ndarray,
                      domain: np.ndarray, structure) -> CellSums:
    """Sums per (PSU, domain) cell from respondent-level arrays (domain −1 = none).

    ``answers``: a rows × criteria matrix or a list of per-criterion columns (NaN = unanswered).
    """
    columns = list(answers.T) if isinstance(answers, np.ndarray) else list(answers)
    n_dom = int(domain.max()) + 2 if len(domain) else 1
    key = psu.astype(np.int64) * n_dom + (domain + 1)
    unique, cell = np.unique(key, return_inverse=True)
    size = len(unique)

    def total(values):
        return np.bincount(cell, weights=values, minlength=size)

    k_count = len(columns)
    n, a, s, y, q = (np.empty((size, k_count)) for _ in range(5))
    answered = []
    for k, x in enumerate(columns):
        ak = np.isfinite(x)
        answered.append(ak)
        yk = np.where(ak, x, 0.0)
        wa = weights * ak
        n[:, k] = total(ak.astype(float))
        a[:, k] = total(wa)
        s[:, k] = total(wa * (yk >= structure.satisfied_min))
        wy = wa * yk
        y[:, k] = total(wy)
        q[:, k] = total(wy * yk)
    index = {code: k for k, code in enumerate(structure.criteria)}
    any_all = np.zeros(len(psu), dtype=bool)
    n_element = np.empty((size, len(structure.elements)))
    for e, element in enumerate(structure.elements):
        any_e = np.zeros(len(psu), dtype=bool)
        for code in element.criteria:
            any_e |= answered[index[code]]
        any_all |= any_e
        n_element[:, e] = total(any_e.astype(float))
    return CellSums(unique // n_dom, unique % n_dom - 1, total(np.ones(len(psu))), n, a, s, y, q,
                    n_element, total(any_all.astype(float)))


def cells_to_frame(cells: CellSums, layout: PsuLayout, domain_labels: list,
                   structure) -> pd.DataFrame:
    """The public sums DataFrame: stratum, psu, domain, fpc (fraction), rows, n_/a_/s_/y_/q_ per
    criterion, ne_ per element, n_any."""
    labels = np.array(list(domain_labels) + [None], dtype=object)
    data = {"stratum": np.array(layout.strata_labels, dtype=object)[layout.psu_stratum[cells.psu]],
            "psu": cells.psu, "domain": labels[cells.domain],
            "fpc": layout.fraction[layout.psu_stratum[cells.psu]], "rows": cells.rows}
    for kind in SUM_KINDS:
        for k, code in enumerate(structure.criteria):
            data[f"{kind}_{code}"] = getattr(cells, kind)[:, k]
    for e, element in enumerate(structure.elements):
        data[f"ne_{element.code}"] = cells.n_element[:, e]
    data["n_any"] = cells.n_any
    import pandas as pd
    return pd.DataFrame(data)


def cells_from_frame(sums: pd.DataFrame, structure, lonely_psu: str = "adjust"):
    """Layout, cells and domain labels from a sums DataFrame (as ``analysis.sql`` returns it).

    Columns ``stratum``, ``psu``, ``domain`` may be absent (one stratum / one PSU per row / no
    domains); ``fpc`` (population PSUs per stratum, or the fraction when ≤ 1) is optional.
    """
    import pandas as pd
    size = len(sums)
    if size == 0:
        raise DesignError("no data: the sums are empty")
    stratum = sums["stratum"] if "stratum" in sums else pd.Series(["ALL"] * size)
    s_code, s_labels = pd.factorize(stratum.astype(str) if stratum.dtype == object else stratum,
                                    sort=True)
    psu_values = sums["psu"] if "psu" in sums else pd.Series(np.arange(size))
    p_code, p_labels = pd.factorize(psu_values, sort=True)
    pair = s_code.astype(np.int64) * max(len(p_labels), 1) + p_code
    unique_pairs, psu = np.unique(pair, return_inverse=True)
    psu_stratum = unique_pairs // max(len(p_labels), 1)
    fraction = np.zeros(len(s_labels))
    if "fpc" in sums and sums["fpc"].notna().any():
        fpc = np.zeros(len(s_labels))
        fpc[s_code] = sums["fpc"].to_numpy(dtype=float)
        n_h = np.bincount(psu_stratum, minlength=len(s_labels))
        fraction = fpc if (fpc <= 1).all() else n_h / fpc
    layout = PsuLayout(psu_stratum.astype(np.int64), [str(v) for v in s_labels], fraction,
                       lonely_psu)
    if "domain" in sums:
        d_code, d_labels = pd.factorize(sums["domain"], sort=True)
        labels = [str(v) for v in d_labels]
    else:
        d_code, labels = np.zeros(size, dtype=np.int64), []

    def block(kind, codes):
        return np.column_stack([sums[f"{kind}_{c}"].to_numpy(dtype=float) for c in codes]
                               ).reshape(size, -1)

    crit = structure.criteria
    rows = sums["rows"].to_numpy(dtype=float) if "rows" in sums else np.zeros(size)
    cells = CellSums(psu.astype(np.int64), np.asarray(d_code, dtype=np.int64), rows,
                     block("n", crit), block("a", crit), block("s", crit), block("y", crit),
                     block("q", crit), block("ne", [e.code for e in structure.elements]),
                     sums["n_any"].to_numpy(dtype=float))
    return layout, cells.merged(cells.psu, cells.domain), labels
