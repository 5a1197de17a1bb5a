"""Every SIPAS measure of every domain of an uncalibrated design in one vectorised pass.

For row i of domain d the linearised variable of criterion k is z_ik = w_i a_ik (s_ik − p_dk)/A_dk
(0 in every other domain); elements and the index combine them with the domain's composition
(ESTIMATION.md); mean scores use y_ik − m_dk. PSU totals z_hj then give, per domain,
V_d = Σ_h scale_h · Σ_j (z_hj − z̄_h)², the n_h − present PSUs of the stratum outside the domain
counted with z = 0 and a lonely stratum centred at 0 — exactly ``PsuLayout.variance_from_cells``
— from per-(stratum, domain) sums, all domains at once. The cost follows
the number of rows, not rows × domains: with respondents as units (the design of counter data)
a domain-by-domain loop would revisit every row for every counter.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from .design import SurveyDesign
from .estimators import srs_factor
from .sums import answer_matrix


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
    return sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                             shape=(size, len(codes)))


def group_sums(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Column sums of ``values`` (rows × m) per integer code: a (size × m) array."""
    return np.asarray(indicator(codes, size) @ values)


def row_blocks(design: SurveyDesign, structure) -> dict:
    """Per-row arrays every domain pass sums: answered, satisfied, answers, their weighted
    products, and who answered each element / any criterion. Kept on the design (like its PSU
    indicator) for its current weights, so the breakdowns of one report build them once."""
    cached = design.__dict__.get("_row_blocks")
    if cached and cached["structure"] == structure and cached["weights"] is design.weights:
        return cached
    weights = design.weights
    answers = answer_matrix(design.frame, structure)
    answered = np.isfinite(answers)
    x = np.where(answered, answers, 0.0)
    a = answered.astype(float)
    sat = a * (x >= structure.satisfied_min)
    wa = weights[:, None] * a
    index = {c: k for k, c in enumerate(structure.criteria)}
    member = np.zeros((len(index), len(structure.elements)))
    for e, element in enumerate(structure.elements):
        member[[index[c] for c in element.criteria], e] = 1.0
    anyone = np.column_stack([(a @ member) > 0, answered.any(axis=1)]).astype(float)
    wax = wa * x
    blocks = {"structure": structure, "weights": weights, "x": x, "a": a, "sat": sat,
              "sums": {"n": a, "a": wa, "s": wa * sat, "y": wax, "q": wax * x, "any": anyone,
                       "any_w": weights[:, None] * anyone}}
    design.__dict__["_row_blocks"] = blocks
    return blocks


def _totals(blocks: dict, gi: np.ndarray, size: int) -> dict:
    """Per-domain sums: counts, weighted answered/satisfied/answer/answer² per criterion, and
    respondents (count and weight) answering each element and any criterion."""
    per_domain = indicator(gi, size)
    return {name: np.asarray(per_domain @ block) for name, block in blocks["sums"].items()}


def _row_scores(structure, totals: dict, x, a, sat, gi):
    """Per-row linearised scores (z/w): criterion shares, elements, index, mean scores."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p, m = totals["s"] / totals["a"], totals["y"] / totals["a"]
        scale = np.where(totals["a"] > 0, 1.0 / totals["a"], 0.0)[gi]
    share = a * (sat - np.nan_to_num(p)[gi]) * scale
    mean = a * (x - np.nan_to_num(m)[gi]) * scale
    patterns, pattern_of = np.unique(totals["a"] > 0, axis=0, return_inverse=True)
    pattern_of = np.asarray(pattern_of).ravel()
    compositions = [composition(structure, row) for row in patterns]
    element = np.zeros((len(gi), len(structure.elements)))
    overall = np.zeros(len(gi))
    row_pattern = pattern_of[gi]
    for number, (c_mat, _has, v) in enumerate(compositions):
        rows = row_pattern == number
        element[rows] = share[rows] @ c_mat
        overall[rows] = element[rows] @ v
    scores = np.column_stack([share, element, overall, mean])
    return scores, p, m, compositions, pattern_of


def _variance(design: SurveyDesign, z: np.ndarray, gi: np.ndarray, size: int):
    """Stratified variance of every column of z per domain, and R's ``degf`` per domain."""
    layout = design.layout
    keys, cell_of = np.unique(design.psu_code * size + gi, return_inverse=True)
    cell_of = np.asarray(cell_of).ravel()
    if len(keys) == len(z):   # one row per (PSU, domain): respondents as units
        zc = np.empty_like(z)
        zc[cell_of] = z
    else:
        zc = group_sums(cell_of, z, len(keys))
    cell_domain = keys % size
    cell_stratum = layout.psu_stratum[keys // size]
    pair = cell_stratum * size + cell_domain
    per_pair = indicator(pair, layout.n_strata * size)
    n_h = np.maximum(layout.n_h, 1).astype(float)
    mean = np.asarray(per_pair @ zc) / np.repeat(n_h, size)[:, None]   # PSUs not in d: z = 0
    mean[np.repeat(layout.n_h == 1, size)] = 0.0   # a lonely stratum is centred at 0 (adjust)
    deviation = zc - mean[pair]
    present = np.bincount(pair, minlength=layout.n_strata * size).astype(float)
    squares = np.asarray(per_pair @ (deviation * deviation))
    squares += (np.repeat(layout.n_h, size) - present)[:, None] * mean * mean
    scale = np.repeat(layout.stratum_scale(), size)[:, None]
    variance = (scale * squares).reshape(layout.n_strata, size, -1).sum(axis=0)
    strata = np.bincount(np.unique(pair) % size, minlength=size)
    df = np.bincount(cell_domain, minlength=size) - strata
    return variance, df.astype(float)


def _prepare(design: SurveyDesign, structure, g: np.ndarray, n_dom: int) -> dict:
    """Per-domain totals and per-row linearised variables z (rows × measures)."""
    size = n_dom + 1
    gi = np.where(g >= 0, g, n_dom)
    blocks = row_blocks(design, structure)
    totals = _totals(blocks, gi, size)
    scores, p, m, compositions, pattern_of = _row_scores(structure, totals, blocks["x"],
                                                         blocks["a"], blocks["sat"], gi)
    return {"gi": gi, "size": size, "totals": totals, "scores": scores, "p": p, "m": m,
            "compositions": compositions, "pattern_of": pattern_of,
            "z": design.weights[:, None] * scores}


def _estimates(prep: dict, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Criterion, element and index shares, and mean scores, of domain ``d``."""
    c_mat, has, v = prep["compositions"][prep["pattern_of"][d]]
    p = prep["p"][d]
    element = np.where(has, np.nan_to_num(p) @ c_mat, np.nan)
    index = float(np.where(has, element, 0.0) @ v) if has.any() else np.nan
    return np.concatenate([p, element, [index]]), prep["m"][d]


def domain_results(design: SurveyDesign, structure, g: np.ndarray, n_dom: int
                   ) -> list[tuple[dict, float]]:
    """(measures, df) of each domain 0..n_dom−1 of ``g`` (−1: in no domain), as
    ``sipas.domain_measures`` and ``add_srs_variance`` give them one domain at a time."""
    prep = _prepare(design, structure, g, n_dom)
    totals, gi, size = prep["totals"], prep["gi"], prep["size"]
    variance, df = _variance(design, prep["z"], gi, size)
    spread = group_sums(gi, prep["z"] * prep["scores"], size)
    k, e = len(structure.criteria), len(structure.elements)
    out = []
    for d in range(n_dom):
        share, mean = _estimates(prep, d)
        n_share = np.concatenate([totals["n"][d], totals["any"][d]])
        population = np.concatenate([totals["a"][d], totals["any_w"][d]])
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = totals["q"][d] / totals["a"][d] - mean ** 2
            srs_share = srs_factor(population, n_share) * spread[d, :k + e + 1]
            srs_mean = srs_factor(totals["a"][d], totals["n"][d]) * spread[d, k + e + 1:]
        out.append(({"share": share, "mean": mean, "var_share": variance[d, :k + e + 1],
                     "var_mean": variance[d, k + e + 1:], "n_share": n_share,
                     "n_mean": totals["n"][d], "s2_mean": s2, "srs_share": srs_share,
                     "srs_mean": srs_mean}, float(df[d])))
    return out


def domain_difference(design: SurveyDesign, structure, g: np.ndarray, a: int, b: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every measure (shares, then mean scores) in domain ``a`` and in ``b`` of ``g``, and the
    variance of A − B linearised as z_A − z_B in the one design (shared strata included)."""
    prep = _prepare(design, structure, g, int(g.max()) + 1)
    sign = np.where(prep["gi"] == a, 1.0, np.where(prep["gi"] == b, -1.0, 0.0))
    variance, _ = _variance(design, prep["z"] * sign[:, None], np.zeros(len(g), np.int64), 1)
    est_a, est_b = (np.concatenate(_estimates(prep, d)) for d in (a, b))
    return est_a, est_b, variance[0]
