"""Every SIPAS measure of every domain of an uncalibrated design, and of ALL, in one pass.

For row i of domain d the linearised variable of criterion k is z_ik = w_i a_ik (s_ik − p_dk)/A_dk
(0 in every other domain); elements and the index combine them with the domain's composition
(ESTIMATION.md); mean scores use y_ik − m_dk. The variance needs only their PSU totals z_hj,
and those follow from the weighted sums Σ w·a, Σ w·s, Σ w·a·y per (PSU, domain) cell, since
z_hj = (s_hj − p_dk·a_hj)/A_dk. So the rows are read once, as small integer answer codes, into
weighted histograms per cell (``np.bincount`` on integer cell codes, never an n × domains
matrix); ALL is one more domain whose cells are the PSUs. Then, per domain,
V_d = Σ_h scale_h · Σ_j (z_hj − z̄_h)², the n_h − present PSUs of the stratum outside the domain
counted with z = 0 and a lonely stratum centred at 0 — exactly ``PsuLayout.variance_from_cells``
— for all domains at once from per-(stratum, domain) sums.

Only the simple-random-sampling variance of the composites (for ``deff``), Σ_i w_i·score_i²,
needs the rows again: it is computed per domain slice of rows sorted by domain, in chunks, so
memory stays at a few chunk-sized float arrays whatever the number of rows or domains.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from .design import SurveyDesign
from .estimators import srs_factor
from .sums import answer_columns, small_answer_codes

if TYPE_CHECKING:
    from scipy import sparse

#: Rows (or cells) per block where z's or scores are formed block by block: bounds temporary
#: memory and keeps a block in cache (4096 measured faster than 16k or 64k at 1M rows).
CHUNK_ROWS = 4096
#: Relative size under which a sum of squares computed by subtraction is rounding, not spread.
ROUNDING = 1e-12


def composition(structure, available: np.ndarray):
    """Matrices criterion → element (K × E) and element → index (E,), over available criteria."""
    index = {c: k for k, c in enumerate(structure.criteria)}
    c_mat = np.zeros((len(index), len(structure.elements)))
    for e, element in enumerate(structure.elements):
        ks = [index[c] for c in element.criteria if available[index[c]]]
        if ks:
            c_mat[ks, e] = 1.0 / len(ks)
    has = c_mat.sum(axis=0) > 0
    weights = np.array([e.weight for e in structure.elements]) * has
    v = weights / weights.sum() if weights.sum() > 0 else weights
    return c_mat, has, v


def indicator(codes: np.ndarray, size: int) -> sparse.csr_matrix:
    """The (size × rows) 0/1 matrix of integer codes: ``indicator @ values`` sums per code."""
    from scipy import sparse
    return sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                             shape=(size, len(codes)))


def group_sums(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Column sums of ``values`` (rows × m) per integer code: a (size × m) array."""
    return np.asarray(indicator(codes, size) @ values)


def answer_codes(design: SurveyDesign, structure) -> dict:
    """The answers as small integer codes, criterion-major (criteria × rows: 0 unanswered,
    1.. the scale points), with, per code, its answer value and whether it counts as
    satisfied. Checked against the scale once and kept on the design, so the breakdowns of one
    report share it."""
    cached = design.__dict__.get("_answer_codes")
    if cached and cached["structure"] == structure:
        return cached
    levels = round(structure.scale_max - structure.scale_min) + 2
    dtype = np.uint8 if levels <= 255 else np.int32
    codes = small_answer_codes(design.frame, structure, dtype)
    if codes is None:
        columns = answer_columns(design.frame, structure)   # validated: integers on the scale
        codes = np.zeros((len(columns), design.n), dtype=dtype)
        for k, x in enumerate(columns):
            codes[k] = np.where(np.isnan(x), 0.0, x - (structure.scale_min - 1))
    values = np.concatenate([[0.0], structure.scale_min + np.arange(levels - 1, dtype=float)])
    answered = np.arange(levels) > 0
    satisfied = answered & (values >= structure.satisfied_min)
    index = {c: k for k, c in enumerate(structure.criteria)}
    members = [[index[c] for c in element.criteria] for element in structure.elements]
    blocks = {"structure": structure, "codes": codes, "levels": levels, "values": values,
              "answered": answered.astype(float), "satisfied": satisfied.astype(float),
              "members": members}
    design.__dict__["_answer_codes"] = blocks
    return blocks


def _segments(sorted_keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys (integers ≥ 0) and each row's position among them.

    Keys spanning a range not much wider than their number are marked in a table of that range
    (linear time); wider ones are sorted (``np.unique``).
    """
    keys = np.asarray(keys, dtype=np.int64)
    span = int(keys.max()) + 1 if len(keys) else 0
    if span <= 4 * len(keys) + 1024:
        seen = np.zeros(span, dtype=bool)
        seen[keys] = True
        position = np.cumsum(seen, dtype=np.int64) - 1
        return np.flatnonzero(seen).astype(np.int64), position[keys]
    unique, position = np.unique(keys, return_inverse=True)
    return unique.astype(np.int64), position.ravel().astype(np.int64)


def linearisation(totals: dict, structure) -> dict:
    """Per slot of ``totals`` (weighted ``s``, ``a``, ``y``: slots × K): shares ``p``, means
    ``m`` (and NaN-free ``p0``, ``m0``), ``scale`` = 1/A, the composition of its available
    criteria (``compositions``, ``pattern_of``) and the matrix ``transform`` (slots × 3K ×
    measures) that turns sums [s, a, y] into z's (criterion shares, elements, index, mean
    scores). Its first 2K rows turn a respondent's [s, a] into its scores (z/w)."""
    k, e = totals["a"].shape[1], len(structure.elements)
    size = totals["a"].shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        p, m = totals["s"] / totals["a"], totals["y"] / totals["a"]
        scale = np.where(totals["a"] > 0, 1.0 / totals["a"], 0.0)
    patterns, pattern_of = np.unique(totals["a"] > 0, axis=0, return_inverse=True)
    pattern_of = np.asarray(pattern_of).ravel()
    compositions = [composition(structure, row) for row in patterns]
    width = 2 * k + e + 1
    transform = np.zeros((size, 3 * k, width))
    p0, m0 = np.nan_to_num(p), np.nan_to_num(m)
    eye = np.eye(k)
    for d in range(size):
        c_mat, _has, v = compositions[pattern_of[d]]
        share = np.hstack([eye, c_mat, (c_mat @ v)[:, None]])   # K × (K + E + 1)
        transform[d, :k, :k + e + 1] = scale[d][:, None] * share
        transform[d, k:2 * k, :k + e + 1] = -(p0[d] * scale[d])[:, None] * share
        transform[d, k:2 * k, k + e + 1:] = np.diag(-m0[d] * scale[d])
        transform[d, 2 * k:, k + e + 1:] = np.diag(scale[d])
    return {"p": p, "m": m, "p0": p0, "m0": m0, "scale": scale, "pattern_of": pattern_of,
            "compositions": compositions, "transform": transform, "k": k, "e": e}


def slot_estimates(maps: dict, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Criterion, element and index shares, and mean scores, of slot ``d`` of ``maps``."""
    c_mat, has, v = maps["compositions"][maps["pattern_of"][d]]
    p = maps["p"][d]
    element = np.where(has, np.nan_to_num(p) @ c_mat, np.nan)
    index = float(np.where(has, element, 0.0) @ v) if has.any() else np.nan
    return np.concatenate([p, element, [index]]), maps["m"][d]


def slot_results(totals: dict, maps: dict, variance: np.ndarray, df: np.ndarray,
                 composite: np.ndarray, slots: list[int]) -> list[tuple[dict, float]]:
    """(measures, df) of each slot in ``slots``: estimates, variances, counts and the
    simple-random-sampling variances (``composite``: Σ w·score² of elements and index)."""
    t, k, e = totals, maps["k"], maps["e"]
    p0, m0 = maps["p0"], maps["m0"]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(t["a"] > 0, 1.0 / t["a"], 0.0)
        # Σ w·a·(s − p)² and Σ w·a·(y − m)² from the sums (s² = s, a² = a), times scale²
        criteria = (t["s"] * (1 - 2 * p0) + p0 * p0 * t["a"]) * scale * scale
        means = (t["q"] - 2 * m0 * t["y"] + m0 * m0 * t["a"]) * scale * scale
    # all answers alike: what is left of the subtraction is rounding, and the spread is 0
    means = np.where(means > ROUNDING * t["q"] * scale * scale, means, 0.0)
    # Σ w·score² of a composite below rounding of the largest possible Σ w·score²: all scores 0
    largest = t["any_w"] * np.abs(maps["transform"][:, :2 * k, k:k + e + 1]).sum(axis=1) ** 2
    composite = np.where(composite > ROUNDING * largest, composite, 0.0)
    out = []
    for d in slots:
        share, mean = slot_estimates(maps, d)
        n_share = np.concatenate([t["n"][d], t["any"][d]])
        population = np.concatenate([t["a"][d], t["any_w"][d]])
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = t["q"][d] / t["a"][d] - mean ** 2
            srs_share = srs_factor(population, n_share) * np.concatenate([criteria[d],
                                                                          composite[d]])
            srs_mean = srs_factor(t["a"][d], t["n"][d]) * means[d]
        out.append(({"share": share, "mean": mean, "var_share": variance[d, :k + e + 1],
                     "var_mean": variance[d, k + e + 1:], "n_share": n_share,
                     "n_mean": t["n"][d], "s2_mean": s2, "srs_share": srs_share,
                     "srs_mean": srs_mean}, float(df[d])))
    return out


class _Pass:
    """The sums of one pass over the rows: per (domain, PSU) cell and per domain slot.

    Slots 0..n_dom−1 are the domains; slot n_dom holds ALL (every row) when ``overall``, else
    nothing. Cells are ordered by slot, then by the PSU's stratum, so each (slot, stratum) pair
    is one contiguous run (the variance sums per pair with ``np.add.reduceat``). Cell sums are
    criterion-major (K × cells), so each criterion's sums are one contiguous row.
    """

    def __init__(self, design: SurveyDesign, structure, g: np.ndarray, n_dom: int,
                 overall: bool):
        blocks = answer_codes(design, structure)
        layout = design.layout
        codes, levels = blocks["codes"], blocks["levels"]
        weights = design.weights
        n_psu, k_count = layout.n_psu, codes.shape[0]
        self.size = size = n_dom + 1
        self.n_dom, self.overall = n_dom, overall
        gi = np.where(g >= 0, g, n_dom).astype(np.int64)
        order_psu = np.argsort(layout.psu_stratum, kind="stable")   # PSUs by stratum
        rank = np.empty(n_psu, dtype=np.int64)
        rank[order_psu] = np.arange(n_psu)
        # every row's (slot, PSU) cell, the rows outside every domain in cells of slot n_dom
        unique, cell_of = _codes(gi * n_psu + rank[design.psu_code])
        n_raw = len(unique)
        raw_slot, raw_rank = unique // n_psu, unique % n_psu
        n_cells = int(np.searchsorted(raw_slot, n_dom))   # the cells of the domains
        values, answered, satisfied = blocks["values"], blocks["answered"], blocks["satisfied"]
        cell_slot, cell_psu = raw_slot[:n_cells], order_psu[raw_rank[:n_cells]]
        if overall:   # ALL: one cell per PSU, after the domains' cells
            whole_rank, whole_of = _codes(raw_rank)
            n_whole = len(whole_rank)
            place = None
            if n_whole == n_raw:   # each PSU in one slot: ALL's cell of a PSU is its one cell
                place = np.empty(n_raw, dtype=np.int64)
                place[whole_of] = np.arange(n_raw)
            cell_slot = np.r_[cell_slot, np.full(n_whole, n_dom)]
            cell_psu = np.r_[cell_psu, order_psu[whole_rank]]
        sums = {name: np.empty((k_count, len(cell_slot))) for name in ("s", "a", "y")}
        slot_starts = _segments(raw_slot)
        present = raw_slot[slot_starts]
        slot_sums = {name: np.zeros((k_count, size)) for name in ("s", "a", "y", "q")}
        # rows sorted by slot (for the answering counts here and ``composite_spread``)
        order = np.argsort(gi.astype(np.int16 if size < 2 ** 15 else np.int64), kind="stable")
        bounds = np.searchsorted(gi[order], np.arange(size + 1))
        self.sorted_codes, self.sorted_weights = codes[:, order], weights[order]
        self.bounds = bounds
        counts = np.zeros((k_count, size))
        for d in range(size):
            counts[:, d] = np.count_nonzero(self.sorted_codes[:, bounds[d]:bounds[d + 1]],
                                            axis=1)
        squares = values * values
        single = n_raw == len(weights)   # one row per cell (respondents as PSUs)
        if single:
            cell_weights = np.empty(n_raw)
            cell_weights[cell_of] = weights
            cell_codes = np.empty_like(codes)
            cell_codes[:, cell_of] = codes
        for k in range(k_count):
            if single:   # the cell's sums are its row's values
                hist = None
            else:        # weighted histogram of the answer codes per cell: levels × cells
                hist = np.bincount(codes[k].astype(np.int64) * n_raw + cell_of,
                                   weights=weights,
                                   minlength=levels * n_raw).reshape(levels, n_raw)
            for name, coefficients in (("a", answered), ("s", satisfied), ("y", values)):
                per_cell = cell_weights * coefficients[cell_codes[k]] if single else \
                    np.dot(coefficients, hist)   # np.dot: one BLAS gemv call
                sums[name][k, :n_cells] = per_cell[:n_cells]
                slot_sums[name][k, present] = np.add.reduceat(per_cell, slot_starts)
                if overall:
                    sums[name][k, n_cells:] = per_cell[place] if place is not None else \
                        np.bincount(whole_of, weights=per_cell, minlength=n_whole)
            per_cell = cell_weights * squares[cell_codes[k]] if single else \
                np.dot(squares, hist)
            slot_sums["q"][k, present] = np.add.reduceat(per_cell, slot_starts)
        if overall:   # ALL's totals: the domains and the rows outside every domain
            for array in (*slot_sums.values(), counts):
                array[:, n_dom] = array[:, :n_dom + 1].sum(axis=1)
        self.cell_slot, self.cell_psu, self.sums = cell_slot, cell_psu, sums
        self.totals = {"n": counts.T, **{name: value.T for name, value in slot_sums.items()}}
        self._respondents(codes, blocks["members"], gi, weights)
        self.blocks = blocks

    def _respondents(self, codes: np.ndarray, members: list, gi: np.ndarray,
                     weights: np.ndarray) -> None:
        """Respondents answering each element and any criterion per slot: count and weight."""
        answered = codes > 0
        anyone = [answered[ks].any(axis=0) for ks in members] + [answered.any(axis=0)]
        count = np.column_stack([np.bincount(gi, weights=m, minlength=self.size)
                                 for m in anyone]).reshape(self.size, -1)
        weight = np.column_stack([np.bincount(gi, weights=weights * m, minlength=self.size)
                                  for m in anyone]).reshape(self.size, -1)
        if self.overall:
            count[self.n_dom], weight[self.n_dom] = count.sum(axis=0), weight.sum(axis=0)
        self.totals["any"], self.totals["any_w"] = count, weight

    def linearise(self, structure) -> None:
        """Per slot: shares, means, 1/A, compositions and the z map (``linearisation``)."""
        for name, value in linearisation(self.totals, structure).items():
            setattr(self, name, value)

    def _z(self, s: np.ndarray, a: np.ndarray, y: np.ndarray, slot: int) -> np.ndarray:
        """z's of cells with sums ``s``, ``a``, ``y`` (K × cells), all in ``slot``: measures ×
        cells (criterion shares, elements, index, mean scores), as the rows' z summed."""
        scale = self.scale[slot][:, None]
        share = s * scale - a * (self.p0[slot] * self.scale[slot])[:, None]
        c_mat, _has, v = self.compositions[self.pattern_of[slot]]
        element = c_mat.T @ share
        mean = y * scale - a * (self.m0[slot] * self.scale[slot])[:, None]
        return np.vstack([share, element, v @ element, mean])

    def _cell_z(self, rows: slice, slot: int) -> np.ndarray:
        """z's of the cells ``rows`` (all in ``slot``): measures × cells."""
        s = self.sums
        return self._z(s["s"][:, rows], s["a"][:, rows], s["y"][:, rows], slot)

    def variance(self, layout) -> tuple[np.ndarray, np.ndarray]:
        """Stratified variance of every measure per slot (slots × measures), and R's ``degf``
        per slot, from the cells' z's (PSUs of the stratum without a cell count with z = 0)."""
        size, n_strata = self.size, layout.n_strata
        width = self.transform.shape[2]
        stratum = layout.psu_stratum[self.cell_psu]
        pair = self.cell_slot * n_strata + stratum      # non-decreasing along the cells
        starts = _segments(pair)
        pair_id = pair[starts]
        pair_slot, pair_stratum = pair_id // n_strata, pair_id % n_strata
        cell_pair = np.cumsum(np.r_[0, np.diff(pair) != 0]) if len(pair) else pair
        s = self.sums
        pair_sums = {name: np.add.reduceat(s[name], starts, axis=1) if len(starts) else
                     np.zeros((self.k, 0)) for name in ("s", "a", "y")}
        z_pair = np.empty((width, len(starts)))          # measures × (slot, stratum) pairs
        slot_starts = _segments(pair_slot)
        for lo, hi in zip(slot_starts, np.r_[slot_starts[1:], len(pair_slot)]):
            z_pair[:, lo:hi] = self._z(*(pair_sums[name][:, lo:hi] for name in ("s", "a", "y")),
                                       int(pair_slot[lo]))
        n_h = np.maximum(layout.n_h, 1).astype(float)[pair_stratum]
        mean = z_pair / n_h                               # PSUs without a cell: z = 0
        mean[:, layout.n_h[pair_stratum] == 1] = 0.0      # a lonely stratum is centred at 0
        squares = np.zeros_like(mean)
        cell_starts = _segments(self.cell_slot)
        bounds = np.r_[cell_starts, len(self.cell_slot)]
        for lo, hi in itertools.pairwise(bounds):
            slot = int(self.cell_slot[lo])
            for start in range(lo, hi, CHUNK_ROWS):
                rows = slice(start, min(start + CHUNK_ROWS, hi))
                ids = cell_pair[rows]
                deviation = self._cell_z(rows, slot) - mean[:, ids]
                local = _segments(ids)
                squares[:, ids[local]] += np.add.reduceat(deviation * deviation, local, axis=1)
        present = np.diff(np.r_[starts, len(pair)]).astype(float)
        squares += (layout.n_h[pair_stratum] - present) * mean * mean
        scaled = (layout.stratum_scale()[pair_stratum] * squares).T
        variance = np.zeros((size, width))
        np.add.at(variance, pair_slot, scaled)
        cells = np.bincount(self.cell_slot, minlength=size)
        df = cells - np.bincount(pair_slot, minlength=size)
        return variance, df.astype(float)

    def composite_spread(self) -> np.ndarray:
        """Σ_i w_i·score_i² of the elements and the index per slot (slots × (E + 1)): the
        rows' linearised scores (z/w) for simple random sampling, domain by domain (rows sorted
        by domain, in chunks; a domain's rows and ALL in one product) and for ALL."""
        k, e, n_dom, size = self.k, self.e, self.n_dom, self.size
        per_slot = self.transform[:, :2 * k, k:k + e + 1]   # a row's [a·s, a] → its scores
        satisfied = self.blocks["satisfied"]
        first_satisfied = int(np.argmax(satisfied)) if satisfied.any() else len(satisfied)
        buffer = np.empty((2 * k, CHUNK_ROWS))
        spread = np.zeros((size, e + 1))
        bounds, codes, weights = self.bounds, self.sorted_codes, self.sorted_weights
        last = n_dom + 1 if self.overall else n_dom
        for d in range(last):
            both = d < n_dom and self.overall   # the domain's scores and ALL's, side by side
            matrix = np.hstack([per_slot[d], per_slot[n_dom]]) if both else per_slot[d]
            for start in range(bounds[d], bounds[d + 1], CHUNK_ROWS):
                rows = slice(start, min(start + CHUNK_ROWS, bounds[d + 1]))
                chunk = codes[:, rows]
                u = buffer[:, :chunk.shape[1]]
                np.greater_equal(chunk, first_satisfied, out=u[:k])   # satisfied
                np.greater(chunk, 0, out=u[k:])                       # answered
                score = u.T @ matrix
                total = weights[rows] @ (score * score)
                if both:
                    spread[d] += total[:e + 1]
                    spread[n_dom] += total[e + 1:]
                else:
                    spread[d] += total
        return spread

    def estimates(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """Criterion, element and index shares, and mean scores, of slot ``d``."""
        return slot_estimates(self.__dict__, d)


def domain_results(design: SurveyDesign, structure, g: np.ndarray, n_dom: int,
                   overall: bool = False) -> list[tuple[dict, float]]:
    """(measures, df) of each domain 0..n_dom−1 of ``g`` (−1: in no domain), as
    ``sipas.domain_measures`` and ``add_srs_variance`` give them one domain at a time; with
    ``overall``, ALL (every row) follows as one more entry, computed in the same pass. A design
    over slice sums (``analysis.slices.SliceDesign``) computes them from its slices."""
    if getattr(design, "sliced", False):
        return design.domain_results(structure, g, n_dom, overall)
    sums = _Pass(design, structure, g, n_dom, overall)
    sums.linearise(structure)
    variance, df = sums.variance(design.layout)
    composite = sums.composite_spread()
    slots = list(range(n_dom)) + ([n_dom] if overall else [])
    return slot_results(sums.totals, sums.__dict__, variance, df, composite, slots)


def domain_difference(design: SurveyDesign, structure, g: np.ndarray, a: int, b: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every measure (shares, then mean scores) in domain ``a`` and in ``b`` of ``g``, and the
    variance of A − B linearised as z_A − z_B in the one design (shared strata included)."""
    if getattr(design, "sliced", False):
        return design.domain_difference(structure, g, a, b)
    sums = _Pass(design, structure, g, int(g.max()) + 1, overall=False)
    sums.linearise(structure)
    layout = design.layout
    z = np.zeros((layout.n_psu, sums.transform.shape[2]))
    for slot, sign in ((a, 1.0), (b, -1.0)):
        rows = np.flatnonzero(sums.cell_slot == slot)
        if len(rows):
            z[sums.cell_psu[rows]] += sign * sums._cell_z(slice(rows[0], rows[-1] + 1), slot).T
    variance = layout.variance_from_cells(np.arange(layout.n_psu), z)
    est_a, est_b = (np.concatenate(sums.estimates(d)) for d in (a, b))
    return est_a, est_b, variance
