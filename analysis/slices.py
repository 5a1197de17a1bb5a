"""The default counter-data design estimated from slice sums instead of respondent rows.

A *slice* is a group of responses that share every key a report asks about (e.g. month,
agency, service area, counter, channel, status, questionnaire version). Per slice it is enough
to keep unweighted counts: ``rows``; per criterion k ``y_k`` = Σ answer and ``q_k`` = Σ answer²
(over those answering); per element the respondents answering at least one of its criteria;
``n_any``; and ``cross`` = Σ u uᵀ with u = [s; a] (satisfied and answered indicators, 2K), whose
diagonal holds the counts satisfied ``s_k`` and answering ``a_k``.

Why this is exact for the default design (``analysis.cells``: stratum = weighting cell, each
respondent its own unit, w and fpc constant in a stratum): in stratum h a domain's linearised
variable of any measure is z_i = w_h · tᵀ u_i (t from the domain's estimates), so
Σ_i z_i = w_h tᵀ Σ u_i and Σ_i z_i² = w_h² tᵀ (Σ u_i u_iᵀ) t, and the stratum's contribution to
V is scale_h · (Σ z_i² − (Σ z_i)²/n_h) — ``PsuLayout.variance_from_cells`` with every
respondent a PSU. The deff's Σ w·score² is the same quadratic form with w_h for w_h². Hence
``SliceDesign`` gives the numbers ``domains.domain_results`` gives from the rows, for every
domain that is a union of slices, from a pass over slices whose cost follows their number.

Stored vectors (``pack``/``unpack``) are integers: [y (K), q (K), ne (E), n_any, upper
triangle of cross (2K(2K+1)/2)] in the questionnaire version's own criterion order.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .design import DesignError, PsuLayout, sampling_fraction
from .domains import group_sums, linearisation, slot_estimates, slot_results

#: Relative size under which Σz² − (Σz)²/n is rounding left by the subtraction (z all alike).
CANCELLATION = 1e-10


def vector_size(criteria: int, elements: int) -> int:
    """Length of a stored slice vector for K criteria and E elements."""
    width = 2 * criteria
    return 2 * criteria + elements + 1 + width * (width + 1) // 2


@dataclass
class SliceSums:
    """Unweighted sums per slice; ``keys`` has one row per slice (with ``rows``)."""

    keys: pd.DataFrame
    y: np.ndarray          # slices × K
    q: np.ndarray          # slices × K
    n_element: np.ndarray  # slices × E
    n_any: np.ndarray      # slices
    cross: np.ndarray      # slices × 2K × 2K

    @property
    def k(self) -> int:
        """Number of criteria."""
        return self.y.shape[1]

    @property
    def s(self) -> np.ndarray:
        """Respondents satisfied, per slice and criterion."""
        k = self.k
        return np.einsum("mii->mi", self.cross[:, :k, :k])

    @property
    def a(self) -> np.ndarray:
        """Respondents answering, per slice and criterion."""
        k = self.k
        return np.einsum("mii->mi", self.cross[:, k:, k:])

    def __len__(self) -> int:
        return len(self.keys)

    def take(self, index) -> SliceSums:
        """The slices at positions ``index`` (a boolean mask or integer positions)."""
        index = np.asarray(index)
        return SliceSums(self.keys.iloc[index].reset_index(drop=True), self.y[index],
                         self.q[index], self.n_element[index], self.n_any[index],
                         self.cross[index])

    def grouped(self, by: list[str]) -> SliceSums:
        """Slices merged by the key columns ``by`` (sums added, one slice per key)."""
        if not len(self):
            return SliceSums(self.keys[by + ["rows"]].iloc[:0], self.y, self.q,
                             self.n_element, self.n_any, self.cross)
        codes, keys = _factorize(self.keys, by)
        size = len(keys)
        keys["rows"] = np.bincount(codes, weights=self.keys["rows"].to_numpy(float),
                                   minlength=size)
        if size == len(self):   # one slice per key already: only the order changes
            order = np.argsort(codes, kind="stable")
            moved = self.take(order)
            return SliceSums(keys, moved.y, moved.q, moved.n_element, moved.n_any, moved.cross)
        m, width = len(self), self.cross.shape[1]
        total = group_sums(codes, np.hstack([self.y, self.q, self.n_element,
                                             self.n_any[:, None],
                                             self.cross.reshape(m, -1)]), size)
        k, e = self.k, self.n_element.shape[1]
        return SliceSums(keys, total[:, :k], total[:, k:2 * k], total[:, 2 * k:2 * k + e],
                         total[:, 2 * k + e], total[:, 2 * k + e + 1:].reshape(size, width,
                                                                              width))

    @staticmethod
    def concat(parts: list[SliceSums]) -> SliceSums:
        """The slices of every part, one after another."""
        return SliceSums(pd.concat([p.keys for p in parts], ignore_index=True),
                         *(np.concatenate([getattr(p, f) for p in parts]) for f in
                           ("y", "q", "n_element", "n_any", "cross")))

    def pack(self) -> np.ndarray:
        """The stored integer vectors (slices × ``vector_size``)."""
        width = self.cross.shape[1]
        upper = np.triu_indices(width)
        return np.rint(np.hstack([self.y, self.q, self.n_element, self.n_any[:, None],
                                  self.cross[:, upper[0], upper[1]]])).astype(np.int64)

    @classmethod
    def unpack(cls, keys: pd.DataFrame, vectors: np.ndarray, criteria: int,
               elements: int) -> SliceSums:
        """Slices from stored vectors (``pack``) of a version with K criteria and E elements."""
        vectors = np.asarray(vectors, dtype=float).reshape(len(keys), -1)
        if vectors.shape[1] != vector_size(criteria, elements):
            raise DesignError(f"a slice vector has {vectors.shape[1]} numbers, not "
                              f"{vector_size(criteria, elements)}")
        k, e, width = criteria, elements, 2 * criteria
        cross = vectors[:, 2 * k + e + 1 + _triangle_positions(width)].reshape(-1, width, width)
        return cls(keys.reset_index(drop=True), vectors[:, :k], vectors[:, k:2 * k],
                   vectors[:, 2 * k:2 * k + e], vectors[:, 2 * k + e], cross)


@lru_cache(maxsize=8)
def _triangle_positions(width: int) -> np.ndarray:
    """For each entry (i, j) of a symmetric width × width matrix, row by row, its position in
    the upper triangle as ``pack`` stores it (``np.triu_indices`` order)."""
    position = np.zeros((width, width), dtype=np.int64)
    upper = np.triu_indices(width)
    position[upper] = np.arange(len(upper[0]))
    position[upper[1], upper[0]] = position[upper]
    return position.reshape(-1)


def group_vectors(keys: pd.DataFrame, vectors: np.ndarray, by: list[str]
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """Stored vectors (:meth:`SliceSums.pack`) summed per group of the ``by`` key columns,
    with their ``rows``: :meth:`SliceSums.grouped` before :meth:`SliceSums.unpack`, in exact
    integers and on the packed form (about half the width of the unpacked sums)."""
    codes, grouped = _factorize(keys, by)
    grouped["rows"] = np.bincount(codes, weights=keys["rows"].to_numpy(float),
                                  minlength=len(grouped)).astype(np.int64)
    if not len(keys):
        return grouped, np.asarray(vectors, dtype=np.int64).reshape(0, -1)
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    return grouped, np.add.reduceat(np.asarray(vectors, dtype=np.int64)[order], starts, axis=0)


def _factorize(keys: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's group of the ``by`` columns and the distinct groups (sorted), as a frame."""
    grouped = keys.groupby(by, sort=True, dropna=False, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    return codes, grouped.size().index.to_frame(index=False)


def from_answers(keys: pd.DataFrame, answers: np.ndarray, structure,
                 by: list[str]) -> SliceSums:
    """Slices of respondent rows: ``keys`` (one row per respondent, columns ``by``) and
    ``answers`` (rows × K, NaN = unanswered, in ``structure``'s criterion order)."""
    k, e = len(structure.criteria), len(structure.elements)
    answers = np.asarray(answers, dtype=float)
    if answers.size != len(keys) * k:
        raise DesignError(f"{answers.size} answers for {len(keys)} rows × {k} criteria")
    answers = answers.reshape(len(keys), k)
    if len(keys) == 0:
        empty = keys[by].iloc[:0].assign(rows=np.zeros(0))
        return SliceSums(empty, np.zeros((0, k)), np.zeros((0, k)), np.zeros((0, e)),
                         np.zeros(0), np.zeros((0, 2 * k, 2 * k)))
    codes, out = _factorize(keys, by)
    size = len(out)
    answered = np.isfinite(answers)
    values = np.where(answered, answers, 0.0)
    satisfied = answered & (values >= structure.satisfied_min)
    index = {c: j for j, c in enumerate(structure.criteria)}
    element_any = np.column_stack(
        [answered[:, [index[c] for c in el.criteria]].any(axis=1) for el in structure.elements]
    ).reshape(len(keys), e)
    linear = group_sums(codes, np.hstack([values, values * values, element_any,
                                          answered.any(axis=1)[:, None],
                                          np.ones((len(keys), 1))]).astype(float), size)
    u = np.hstack([satisfied, answered]).astype(np.float64)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(size + 1))
    cross = np.empty((size, 2 * k, 2 * k))
    sorted_u = u[order]
    for g in range(size):
        block = sorted_u[bounds[g]:bounds[g + 1]]
        cross[g] = block.T @ block
    out["rows"] = linear[:, -1]
    return SliceSums(out, linear[:, :k], linear[:, k:2 * k], linear[:, 2 * k:2 * k + e],
                     linear[:, 2 * k + e], cross)


def remap(sums: SliceSums, source, target) -> SliceSums:
    """Slices of a questionnaire version (``source`` structure) in ``target``'s criterion
    order: a criterion ``target`` has and ``source`` lacks is unanswered; ``sums`` itself when
    both have the same criteria and elements in the same order. Raises DesignError when the
    element counts cannot be carried over exactly (``compatible``)."""
    if not compatible(source, target):
        raise DesignError("the questionnaire versions differ in elements; read the rows")
    if list(source.criteria) == list(target.criteria) and \
            [el.code for el in source.elements] == [el.code for el in target.elements]:
        return sums
    k_s, k_t = len(source.criteria), len(target.criteria)
    pos = np.array([source.criteria.index(c) if c in source.criteria else -1
                    for c in target.criteria], dtype=np.int64)
    have = pos >= 0
    m = len(sums)

    def columns(x):
        out = np.zeros((m, k_t))
        out[:, have] = x[:, pos[have]]
        return out

    u_pos = np.r_[pos, np.where(have, pos + k_s, -1)]
    u_have = u_pos >= 0
    cross = np.zeros((m, 2 * k_t, 2 * k_t))
    sel = np.flatnonzero(u_have)
    cross[:, sel[:, None], sel[None, :]] = sums.cross[:, u_pos[sel][:, None], u_pos[sel][None, :]]
    src_el = [el.code for el in source.elements]
    n_element = np.zeros((m, len(target.elements)))
    for j, el in enumerate(target.elements):
        if el.code in src_el:
            n_element[:, j] = sums.n_element[:, src_el.index(el.code)]
    return SliceSums(sums.keys, columns(sums.y), columns(sums.q), n_element, sums.n_any, cross)


def compatible(source, target) -> bool:
    """Whether slices of ``source`` carry over to ``target`` exactly: every criterion of
    ``source`` is in ``target`` and each element answers the same criteria in both."""
    if not set(source.criteria) <= set(target.criteria):
        return False
    own = {el.code: set(el.criteria) for el in source.elements}
    for el in target.elements:
        shared = set(el.criteria) & set(source.criteria)
        if own.get(el.code, set()) != shared:
            return False
    return True


class SliceDesign:
    """``svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~weight)`` over slices.

    ``frame``: one row per slice of ``sums`` (same order) with the ``weights``, ``strata`` and
    ``fpc`` columns, constant within a stratum (as ``analysis.cells`` gives them). ``n`` and
    ``column`` are about slices (what a domain label is given for); ``respondents``,
    ``layout`` and ``df`` about respondents, as in ``SurveyDesign``.
    """

    sliced = True
    calibration: tuple = ()

    def __init__(self, sums: SliceSums, frame: pd.DataFrame, weights: str = "weight",
                 strata: str = "stratum", fpc: str = "fpc", lonely_psu: str = "adjust"):
        if len(frame) != len(sums):
            raise DesignError(f"{len(frame)} slice rows for {len(sums)} slices")
        self.sums, self.frame = sums, frame.reset_index(drop=True)
        self.n = len(frame)
        self._by_stratum: tuple | None = None
        rows = sums.keys["rows"].to_numpy(float)
        if (rows <= 0).any():
            raise DesignError("a slice without responses")
        code, labels = pd.factorize(self.frame[strata], sort=True)
        self.stratum_code = np.asarray(code, dtype=np.int64)
        n_strata = len(labels)
        self.weights = self.frame[weights].to_numpy(float)
        if not (np.isfinite(self.weights) & (self.weights > 0)).all():
            raise DesignError("weights must be positive numbers")
        stratum_w = np.zeros(n_strata)
        stratum_w[self.stratum_code] = self.weights
        if not np.allclose(stratum_w[self.stratum_code], self.weights, rtol=1e-12, atol=0):
            raise DesignError("weights differ within a stratum: slices need a constant weight")
        self.stratum_weight = stratum_w
        n_h = np.bincount(self.stratum_code, weights=rows, minlength=n_strata).astype(np.int64)
        values = self.frame[fpc].to_numpy(float)
        fpc_h = np.zeros(n_strata)
        fpc_h[self.stratum_code] = values
        fraction = sampling_fraction(fpc_h, n_h, list(labels))
        psu_stratum = np.repeat(np.arange(n_strata, dtype=np.int64), n_h)
        self.layout = PsuLayout(psu_stratum, [str(v) for v in labels], fraction, lonely_psu)
        self.respondents = int(rows.sum())

    @property
    def df(self) -> int:
        """Degrees of freedom: respondents − strata."""
        return self.layout.df

    @property
    def lonely_strata(self) -> list:
        """Strata with a single respondent."""
        return self.layout.lonely_strata

    def column(self, name: str) -> pd.Series:
        """A key column of the slices."""
        if name not in self.frame.columns:
            raise DesignError(f"missing column {name!r}", column=name)
        return self.frame[name]

    # -- the pass over slices ------------------------------------------------------------
    def _totals(self, gi: np.ndarray, size: int, overall: bool) -> dict:
        """Weighted and unweighted totals per slot (slots × K), ALL in slot size − 1."""
        sums, w = self.sums, self.weights[:, None]
        a, s = sums.a, sums.s
        blocks = {"n": a, "a": w * a, "s": w * s, "y": w * sums.y, "q": w * sums.q}
        anyone = np.hstack([sums.n_element, sums.n_any[:, None]])
        blocks["any"], blocks["any_w"] = anyone, w * anyone
        slot = np.where(gi < size - 1, gi, size - 1) if overall else gi
        totals = {name: group_sums(slot, value, size) for name, value in blocks.items()}
        if overall:
            for name, value in blocks.items():
                totals[name][size - 1] = value.sum(axis=0)
        return totals

    def _pairs(self, gi: np.ndarray, size: int, overall: bool, maps: dict,
               wanted: set | None = None):
        """Per (slot, stratum) pair: slot, stratum, Σz and Σz² of every measure, and the
        quadratic forms of the composites (for Σ w·score²)."""
        n_strata = self.layout.n_strata
        inside = gi < size - 1 if overall else gi < size
        keys = [gi[inside] * n_strata + self.stratum_code[inside]]
        members = [np.flatnonzero(inside)]
        if overall:
            keys.append((size - 1) * n_strata + self.stratum_code)
            members.append(np.arange(self.n))
        key, member = np.concatenate(keys), np.concatenate(members)
        if wanted is not None:
            keep = np.isin(key // n_strata, list(wanted))
            key, member = key[keep], member[keep]
        pair, position = np.unique(key, return_inverse=True)
        count = len(pair)
        sums = self.sums
        k, e = sums.k, len(maps["compositions"][0][2])
        slot, stratum = pair // n_strata, pair % n_strata
        if self._one_slot_per_stratum(gi):   # each pair holds its stratum's slices
            linear, cross, rows_in = self._stratum_sums()
            linear, rows_in, cross_of = linear[stratum], rows_in[stratum], stratum
        else:
            linear, cross, rows_in = self._sums_of(position, member, count)
            cross_of = np.arange(count)
        a, s, y, q = (linear[:, j * k:(j + 1) * k] for j in range(4))
        w = self.stratum_weight[stratum][:, None]
        width = maps["transform"].shape[2]
        z = np.empty((count, width))
        ss = np.empty((count, width))
        quad = np.empty((count, e + 1))
        magnitude = np.empty((count, width))
        for d in np.unique(slot):
            rows = np.flatnonzero(slot == d)
            t = maps["transform"][d]
            z[rows] = s[rows] @ t[:k] + a[rows] @ t[k:2 * k] + y[rows] @ t[2 * k:]
            p, m, scale = maps["p0"][d], maps["m0"][d], maps["scale"][d]
            # sums of squares written as sums of non-negative terms (no cancellation):
            # Σ(s − p·a)² = s(1 − p)² + (a − s)p²; Σa(y − m)² = (q − y²/a) + a(y/a − m)²
            ss[rows, :k] = (s[rows] * (1 - p) ** 2 + (a[rows] - s[rows]) * p * p) * scale ** 2
            with np.errstate(divide="ignore", invalid="ignore"):
                mean_y = np.where(a[rows] > 0, y[rows] / a[rows], 0.0)
            spread = np.maximum(q[rows] - y[rows] * mean_y, 0.0)
            ss[rows, k + e + 1:] = (spread + a[rows] * (mean_y - m) ** 2) * scale ** 2
            composite = t[:2 * k, k:k + e + 1]
            size = np.abs(composite)
            both = (cross[cross_of[rows]].reshape(-1, 2 * k) @ np.hstack([composite, size])
                    ).reshape(len(rows), 2 * k, -1)
            product, bound = both[:, :, :e + 1], both[:, :, e + 1:]
            quad[rows] = np.einsum("pim,im->pm", product, composite)
            ss[rows, k:k + e + 1] = quad[rows]
            magnitude[rows] = ss[rows]
            magnitude[rows, k:k + e + 1] = np.einsum("pim,im->pm", bound, size)
        return slot, stratum, w * z, w * w * ss, w * w * magnitude, w * quad, rows_in

    def _sums_of(self, group: np.ndarray, member: np.ndarray, count: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group of the slices ``member`` (``group`` each, ``count`` groups): Σa, Σs, Σy,
        Σq side by side (count × 4K), the cross products (count × 2K × 2K) and the rows."""
        sums, k = self.sums, self.sums.k
        linear = group_sums(group, np.hstack([sums.a[member], sums.s[member],
                                              sums.y[member], sums.q[member]]), count)
        cross = group_sums(group, sums.cross[member].reshape(len(member), -1), count
                           ).reshape(count, 2 * k, 2 * k)
        rows = group_sums(group, sums.keys["rows"].to_numpy(float)[member][:, None],
                          count)[:, 0]
        return linear, cross, rows

    def _stratum_sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``_sums_of`` per stratum, computed once: a domain that holds whole strata (the
        overall, an agency, a service area, a period) takes its pairs' sums from here."""
        if self._by_stratum is None:
            self._by_stratum = self._sums_of(self.stratum_code, np.arange(self.n),
                                             self.layout.n_strata)
        return self._by_stratum

    def _one_slot_per_stratum(self, gi: np.ndarray) -> bool:
        """Whether every slice of a stratum has the same slot in ``gi``."""
        n_strata = self.layout.n_strata
        low = np.full(n_strata, np.iinfo(np.int64).max)
        high = np.full(n_strata, np.iinfo(np.int64).min)
        np.minimum.at(low, self.stratum_code, gi)
        np.maximum.at(high, self.stratum_code, gi)
        return bool((low == high).all())

    def _variance(self, slot, stratum, z, ss, magnitude, size) -> np.ndarray:
        """Σ over strata of scale_h · (Σz² − (Σz)²/n_h) per slot (a lonely stratum: Σz²).

        Each stratum's term is a sum of squared deviations, so it is ≥ 0; where it is below
        ``CANCELLATION`` of Σz² (all z alike: rounding of the subtraction, not spread) it is
        0, as the deviations summed from the rows give. ``magnitude`` bounds the size of the
        terms Σz² was summed from (Σz² itself for the criteria and mean scores, whose sums of
        squares are sums of non-negative terms)."""
        layout = self.layout
        n_h = layout.n_h[stratum].astype(float)
        centred = np.where((n_h > 1)[:, None], ss - z * z / np.maximum(n_h, 1)[:, None], ss)
        centred = np.where(centred > CANCELLATION * np.maximum(ss, magnitude), centred, 0.0)
        scaled = layout.stratum_scale()[stratum][:, None] * centred
        variance = np.zeros((size, z.shape[1]))
        np.add.at(variance, slot, scaled)
        return variance

    def domain_results(self, structure, g: np.ndarray, n_dom: int, overall: bool = False
                       ) -> list[tuple[dict, float]]:
        """As ``domains.domain_results`` for the rows these slices hold (``g`` per slice)."""
        self._check(structure)
        size = n_dom + 1
        gi = np.where(g >= 0, g, n_dom).astype(np.int64)
        totals = self._totals(gi, size, overall)
        maps = linearisation(totals, structure)
        slot, stratum, z, ss, magnitude, quad, rows = self._pairs(gi, size, overall, maps)
        variance = self._variance(slot, stratum, z, ss, magnitude, size)
        df = np.bincount(slot, weights=rows, minlength=size) - np.bincount(slot, minlength=size)
        spread = np.zeros((size, quad.shape[1]))
        np.add.at(spread, slot, quad)
        slots = list(range(n_dom)) + ([n_dom] if overall else [])
        return slot_results(totals, maps, variance, df, spread, slots)

    def domain_difference(self, structure, g: np.ndarray, a: int, b: int
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As ``domains.domain_difference``: measures of domains ``a`` and ``b`` of ``g`` and
        the variance of A − B (z_A − z_B per stratum; a respondent is in one domain)."""
        self._check(structure)
        size = int(g.max()) + 2
        gi = np.where(g >= 0, g, size - 1).astype(np.int64)
        totals = self._totals(gi, size, False)
        maps = linearisation(totals, structure)
        slot, stratum, z, ss, magnitude, _quad, _rows = self._pairs(gi, size, False, maps,
                                                                    {a, b})
        sign = np.where(slot == a, 1.0, -1.0)[:, None]
        n_strata = self.layout.n_strata
        z_h = np.zeros((n_strata, z.shape[1]))
        ss_h, size_h = np.zeros_like(z_h), np.zeros_like(z_h)
        np.add.at(z_h, stratum, sign * z)
        np.add.at(ss_h, stratum, ss)
        np.add.at(size_h, stratum, magnitude)
        present = np.unique(stratum)
        variance = self._variance(np.zeros(len(present), dtype=np.int64), present,
                                  z_h[present], ss_h[present], size_h[present], 1)[0]
        est_a, est_b = (np.concatenate(slot_estimates(maps, d)) for d in (a, b))
        return est_a, est_b, variance

    def _check(self, structure) -> None:
        if len(structure.criteria) != self.sums.k:
            raise DesignError(f"the slices hold {self.sums.k} criteria, the questionnaire "
                              f"{len(structure.criteria)}")

    def __repr__(self) -> str:
        return (f"SliceDesign(slices={self.n}, respondents={self.respondents}, "
                f"strata={self.layout.n_strata}, df={self.df})")


@dataclass
class Moments:
    """What a domain's SIPAS measures need, summed over its strata, whatever its estimates:
    additive over domains that share no stratum (provinces), so a national figure is the sum
    of the provinces' moments.

    Weighted totals ``a``, ``s``, ``y``, ``q`` and unweighted answer counts ``n`` per criterion;
    ``any``/``any_w`` respondents answering each element and any criterion; ``rows`` and
    ``strata`` (for df); ``share`` = Σ_h scale_h·w_h²·(C_h − S_h S_hᵀ/n_h) with C_h = Σ u uᵀ and
    S_h = Σ u over the domain's respondents in stratum h (u = [s; a]; a lonely stratum keeps
    C_h), so V = tᵀ·share·t for any linearisation t; ``bound`` the same without centring (the
    scale of the terms, for rounding); ``spread`` = Σ_h w_h C_h (Σ w·score² for the deff);
    ``mean`` the coefficients of 1, m, m² of a mean score's Σ scale·w²·centred squares and
    ``mean_bound`` their uncentred Σ scale·w²·q.
    """

    n: np.ndarray
    a: np.ndarray
    s: np.ndarray
    y: np.ndarray
    q: np.ndarray
    any: np.ndarray
    any_w: np.ndarray
    rows: float
    strata: float
    share: np.ndarray
    bound: np.ndarray
    spread: np.ndarray
    mean: np.ndarray
    mean_bound: np.ndarray

    FIELDS = ("n", "a", "s", "y", "q", "any", "any_w", "rows", "strata", "share", "bound",
              "spread", "mean", "mean_bound")

    def __add__(self, other: Moments) -> Moments:
        return Moments(*(getattr(self, f) + getattr(other, f) for f in self.FIELDS))

    def to_list(self) -> list[float]:
        """Every number, flat (``from_list`` reads it back)."""
        return np.concatenate([np.ravel(getattr(self, f)) for f in self.FIELDS]).tolist()

    @classmethod
    def from_list(cls, values, criteria: int, elements: int) -> Moments:
        """Moments of K criteria and E elements from ``to_list``'s numbers."""
        k, e = criteria, elements
        shapes = [(k,), (k,), (k,), (k,), (k,), (e + 1,), (e + 1,), (), (), (2 * k, 2 * k),
                  (2 * k, 2 * k), (2 * k, 2 * k), (k, 3), (k,)]
        values = np.asarray(values, dtype=float)
        size = sum(int(np.prod(shape)) for shape in shapes)
        if values.shape != (size,) or not np.isfinite(values).all():
            raise DesignError(f"moments need {size} finite numbers, not {values.size}")
        out, start = [], 0
        for shape in shapes:
            width = int(np.prod(shape))
            part = values[start:start + width]
            out.append(float(part[0]) if shape == () else part.reshape(shape))
            start += width
        return cls(*out)


def domain_moments(design: SliceDesign, g: np.ndarray, n_dom: int) -> list[Moments]:
    """The ``Moments`` of each domain 0..n_dom−1 of ``g`` (one code per slice, −1: none)."""
    sums, layout = design.sums, design.layout
    k = sums.k
    n_strata = layout.n_strata
    inside = np.flatnonzero(g >= 0)
    pair, position = np.unique(g[inside] * n_strata + design.stratum_code[inside],
                               return_inverse=True)
    count = len(pair)
    rows = sums.keys["rows"].to_numpy(float)[inside]
    linear = group_sums(position, np.hstack([sums.a[inside], sums.s[inside], sums.y[inside],
                                             sums.q[inside], sums.n_element[inside],
                                             sums.n_any[inside][:, None], rows[:, None]]),
                        count)
    a, s, y, q = (linear[:, j * k:(j + 1) * k] for j in range(4))
    anyone, rows_in = linear[:, 4 * k:-1], linear[:, -1]
    cross = group_sums(position, sums.cross[inside].reshape(len(inside), -1), count
                       ).reshape(count, 2 * k, 2 * k)
    slot, stratum = pair // n_strata, pair % n_strata
    w = design.stratum_weight[stratum]
    scale = layout.stratum_scale()[stratum]
    n_h = layout.n_h[stratum].astype(float)
    several = n_h > 1
    total_u = np.hstack([s, a])
    centred = cross - np.where(several, 1.0 / np.maximum(n_h, 1), 0.0)[:, None, None] * \
        total_u[:, :, None] * total_u[:, None, :]
    inverse = np.where(several, 1.0 / np.maximum(n_h, 1), 0.0)[:, None]
    mean = np.stack([q - y * y * inverse, -2 * y + 2 * y * a * inverse, a - a * a * inverse],
                    axis=2)
    factor = scale * w * w
    out = []
    for d in range(n_dom):
        mine = slot == d
        f, ww = factor[mine], w[mine]

        def weighted(x, by, mine=mine):
            return np.tensordot(by, x[mine], axes=(0, 0))

        out.append(Moments(
            n=a[mine].sum(axis=0), a=weighted(a, ww), s=weighted(s, ww), y=weighted(y, ww),
            q=weighted(q, ww), any=anyone[mine].sum(axis=0), any_w=weighted(anyone, ww),
            rows=float(rows_in[mine].sum()), strata=float(mine.sum()),
            share=weighted(centred, f), bound=weighted(cross, f), spread=weighted(cross, ww),
            mean=weighted(mean, f), mean_bound=weighted(q, f)))
    return out


def moments_results(moments: list[Moments], structure) -> list[tuple[dict, float]]:
    """(measures, df) of each domain from its moments, as ``domains.domain_results`` gives
    them from the rows of the same domains."""
    k, e = len(structure.criteria), len(structure.elements)
    totals = {name: np.stack([getattr(m, source) for m in moments]) for name, source in
              (("n", "n"), ("a", "a"), ("s", "s"), ("y", "y"), ("q", "q"), ("any", "any"),
               ("any_w", "any_w"))}
    maps = linearisation(totals, structure)
    width = maps["transform"].shape[2]
    variance = np.zeros((len(moments), width))
    spread = np.zeros((len(moments), e + 1))
    for d, m in enumerate(moments):
        t = maps["transform"][d][:2 * k, :k + e + 1]
        share = np.einsum("im,ij,jm->m", t, m.share, t)
        bound = np.einsum("im,ij,jm->m", np.abs(t), m.bound, np.abs(t))
        variance[d, :k + e + 1] = np.where(share > CANCELLATION * bound, share, 0.0)
        mean0, scale = maps["m0"][d], maps["scale"][d]
        means = (m.mean[:, 0] + m.mean[:, 1] * mean0 + m.mean[:, 2] * mean0 ** 2) * scale ** 2
        variance[d, k + e + 1:] = np.where(means > CANCELLATION * m.mean_bound * scale ** 2,
                                           means, 0.0)
        composite = t[:, k:k + e + 1]
        spread[d] = np.einsum("im,ij,jm->m", composite, m.spread, composite)
    df = np.array([m.rows - m.strata for m in moments])
    return slot_results(totals, maps, variance, df, spread, list(range(len(moments))))
