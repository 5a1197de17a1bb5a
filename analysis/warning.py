"""Early warning: control charts of the weekly SIPAS index of every counter, agency and officer.

Every counter, agency and officer is a *unit*; the caller passes one key row per response (its
unit columns and the Monday of its ISO week). The chart watches each unit's own process, so
responses count equally (no survey weights): a unit's weekly index is what the unit delivered
that week, whoever happened to answer.

Weekly index (``weekly_indices``). For unit-week g with n responses (those answering at least
one criterion; a response answering none is not part of any sample), s_k / a_k the number of
satisfied (answer ≥ ``satisfied_min``) / answering respondents of criterion k, p_k = s_k/a_k.
Criteria without answers are skipped: e* = criteria of element e with a_k > 0, c_e = element
weights over the elements with such criteria, normalised to 1, and

    P = Σ_e c_e · (1/|e*|) Σ_{k∈e*} p_k = Σ_k b_k p_k        (b_k = c_e/|e*|, k ∈ e*).

Its linearised variable is z_i = Σ_k b_k (s_ik − p_k a_ik)/a_k (Σ_i z_i = 0) and, treating the
week's respondents as a with-replacement simple random sample, V = n/(n−1) Σ_i z_i² — exactly
``sipas.indices`` on a design with every respondent its own PSU, equal weights and no fpc, and
R's ``svycontrast(svyratio(~sat1+…+satK, ~ans1+…+ansK, svydesign(ids = ~1, data = rows),
covmat = TRUE), list(SIPAS = b))``. With x_i = (s_i1..s_iK, a_i1..a_iK) and the coefficients
c = (b_k/a_k, −b_k p_k/a_k), Σ_i z_i² = cᵀ M c where M = Σ_i x_i x_iᵀ: so every unit-week keeps
its sufficient sums n, s_k, a_k and the 2K(2K+1)/2 cross-sums of M (columns ``s_k``, ``a_k``,
``cross``, one array per row, float32 counts, exact below 2²⁴; about 4 KB a unit-week with 22
criteria), and a pooled estimate and SE of any set of weeks follows from their sums alone. The
rows are read once into cells (one per combination of units and week): Xᵀ X of each cell by
stacked small matrix products (``np.matmul``), never an n × 990 matrix; cells are then summed
to each level's unit-weeks with a sparse indicator (``scipy.sparse``, imported on use).

Chart (``chart``), for every unit and tested week w (calendar weeks: 7-day steps of the Monday
dates; a week is *observed* when it has at least ``min_week`` responses):

- window: the observed weeks j = 1..m of [w − window + 1, w]; w itself must be observed;
- baseline: the observed weeks of the ``baseline`` weeks just before the window; its level P0 is
  the pooled index of all their responses, with SE se0 from the pooled sums (same linearisation);
- between-week variance by the method of moments over the m_b baseline weeks,
  τ² = max(0, S²(P_b) − mean(se_b²)) — Hedges' estimator, R ``metafor::rma(yi, vi,
  method = "HE")$tau2``: real weeks wobble more than sampling says, and a chart that ignores it
  alarms on every ordinary wobble of a large unit;
- deviations d_j = P_j − P0 and their EWMA over the window, E_j = λ d_j + (1−λ) E_{j−1} from
  E_0 = 0 (the recursion of R ``qcc::ewma`` with center P0), i.e. E = Σ_j a_j d_j with
  a_j = λ(1−λ)^{m−j}; a week missing from the window is skipped, not imputed. In control,
  d_j = u_j + e_j − (ū_b + e0) with independent week effects u (variance τ²) and sampling errors
  e_j (se_j²), e0 (se0²), so Var(E) = Σ a_j² (se_j² + τ²) + (Σ a_j)² (se0² + τ²/m_b), exact for
  known τ² and SEs (the baseline error is shared by every d_j; τ²/m_b is the week-effect variance
  of the baseline mean, exact when its weeks have equal n — the pooled P0 weights them by n);
  z = E/√Var(E), one-sided p = Φ(z) (R ``pnorm(z)``): a drop gives a small p;
- the smoothed current level P0 + E/Σa_j (``level_now``) and ``drop`` = P0 − level_now, points;
- a unit-week with too few responses, or a baseline of fewer than ``min_baseline`` responses or
  ``min_baseline_weeks`` observed weeks, is "insufficient" and gets no p.

Many units are watched at once: within each tested week, Benjamini–Hochberg q-values over every
tested unit of every level (one family per week; R ``p.adjust(p, "BH")``), and
alarm = (q ≤ fdr) and (p ≤ alpha). Both: BH controls the share of false alarms among the week's
alarms across hundreds of units, but when only a few units are tested BH alone is lenient (with
one unit, q = p), so ``alpha`` also bounds each unit-week's false-alarm probability.

``weekly_indices`` puts the questionnaire structure in ``weekly.attrs["structure"]``; ``chart``
needs it (the element each criterion counts in) and takes ``structure=`` when the attrs were lost.

Defaults (``ChartSettings``): λ = 0.3, an 8-week window and 13 baseline weeks (a quarter), as
specified and not tuned: ``bench/bench_warning.py`` (30 responses a unit-week, τ = 1 point, 40
units a province) gives about 0.1 false alarms per 100 unit-weeks and a median delay of 3 weeks
for a 10-point drop. A drop still not alarmed after ``window`` weeks enters the baseline and is
then harder to see: the chart is for sudden changes, not slow drifts.
"""
from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .sipas import Structure

#: Columns of the sufficient sums that ``weekly_indices`` adds (``chart`` pools ``cross``).
SUM_COLUMNS = ("s_k", "a_k", "cross")
#: Columns of a ``chart`` table.
TABLE_COLUMNS = ["level", "unit", "week", "n", "estimate", "se", "baseline", "baseline_se",
                 "baseline_n", "baseline_weeks", "window_weeks", "tau", "ewma", "ewma_se",
                 "level_now", "drop", "z", "p", "q", "alarm", "status", "reason"]
#: Relative size under which a sum of squares computed by expansion is rounding, not spread.
ROUNDING = 1e-12
#: Rows of the largest block of the cross-sums (one small matrix product each); a batch of
#: blocks (one stacked ``np.matmul``) has at most ``BATCH_BLOCKS`` blocks, ``BATCH_ROWS`` rows.
LARGEST_BLOCK = 256
BATCH_BLOCKS = 1024
BATCH_ROWS = 16384
#: Rows per chunk of the quadratic forms (temporaries stay small enough for malloc to reuse).
CHUNK_ROWS = 2048
_EPOCH_MONDAY = pd.Timestamp("1970-01-05")


@dataclass(frozen=True)
class ChartSettings:
    """Settings of the weekly EWMA chart (weeks are calendar weeks, counts are responses)."""

    lam: float = 0.3
    window: int = 8
    baseline: int = 13
    min_week: int = 5
    min_baseline: int = 60
    min_baseline_weeks: int = 4
    alpha: float = 0.01
    fdr: float = 0.05

    def __post_init__(self):
        for name in ("window", "baseline", "min_week", "min_baseline", "min_baseline_weeks"):
            value = getattr(self, name)
            try:
                whole = operator.index(value) == value and type(value) is not bool
            except TypeError:
                whole = False
            if not whole:
                raise ValueError(f"{name} must be a whole number, not {value!r}")
        for name in ("lam", "alpha", "fdr"):
            value = getattr(self, name)
            number = isinstance(value, (int, float, np.number)) and type(value) is not bool
            if not (number and np.isfinite(value)):
                raise ValueError(f"{name} must be a number, not {value!r}")
        if not 0 < self.lam <= 1:
            raise ValueError(f"lam must be in (0, 1], not {self.lam!r}")
        if self.window < 1:
            raise ValueError(f"window must be at least 1 week, not {self.window!r}")
        if self.min_week < 2 or self.min_baseline < 2:
            raise ValueError("min_week and min_baseline must be at least 2 responses "
                             "(a standard error needs two)")
        if not 2 <= self.min_baseline_weeks <= self.baseline:
            raise ValueError(f"min_baseline_weeks must be between 2 and baseline "
                             f"({self.baseline}), not {self.min_baseline_weeks!r}")
        for name in ("alpha", "fdr"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)!r}")


# -- sums and the composite ------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _pairs(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper triangle (i ≤ j, row by row) of the 2K × 2K cross-sums: i, j, start of each row."""
    iu, ju = np.triu_indices(2 * k)
    return iu, ju, np.flatnonzero(iu == ju)


def _coefficients(structure: Structure, available: np.ndarray) -> np.ndarray:
    """b_k of every row: element weight (normalised over elements with answers) / |e*|."""
    position = {code: k for k, code in enumerate(structure.criteria)}
    members = [np.array([position[c] for c in e.criteria]) for e in structure.elements]
    weights = np.array([e.weight for e in structure.elements], dtype=float)
    if available.shape[0] == 0:
        return np.zeros(available.shape)
    packed = np.ascontiguousarray(np.packbits(available, axis=1))
    code = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    patterns = available[first]
    b = np.zeros(patterns.shape)
    for r, pattern in enumerate(patterns):
        used = [ks[pattern[ks]] for ks in members]
        has = np.array([len(ks) > 0 for ks in used])
        total = weights[has].sum()
        for e in np.flatnonzero(has):
            b[r, used[e]] = weights[e] / total / len(used[e])
    return b[np.asarray(inverse).ravel()]


def _quadratic(c: np.ndarray, cross: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cᵀ M c per row from the packed upper triangle of M (≥ 0), and Σ |terms| (its scale)."""
    d = c.shape[1]
    _, _, heads = _pairs(d // 2)
    value, scale = np.zeros(len(c)), np.zeros(len(c))
    for r0 in range(0, len(c), CHUNK_ROWS):
        part = slice(r0, r0 + CHUNK_ROWS)
        m = np.asarray(cross[part], dtype=float)
        cc, mag = c[part], np.abs(c[part])
        for i, h in enumerate(heads):
            row = m[:, h + 1:h + d - i]
            value[part] += cc[:, i] * (m[:, h] * cc[:, i]
                                       + 2 * np.einsum("gj,gj->g", row, cc[:, i + 1:]))
            scale[part] += mag[:, i] * (m[:, h] * mag[:, i]
                                        + 2 * np.einsum("gj,gj->g", row, mag[:, i + 1:]))
    return value, scale


def _composite(n, cross, structure: Structure) -> tuple[np.ndarray, np.ndarray]:
    """SIPAS index and its linearised SE (both in percent) of groups given by their sums.

    s_k and a_k are diagonal entries of M; Σ_i z_i² = cᵀ M c with c = (b_k/a_k, −b_k p_k/a_k).
    """
    k = len(structure.criteria)
    _, _, heads = _pairs(k)
    cross = np.asarray(cross)
    s, a = cross[:, heads[:k]].astype(float), cross[:, heads[k:]].astype(float)
    n = np.asarray(n, dtype=float)
    available = a > 0
    b = _coefficients(structure, available)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(available, s / a, 0.0)
        beta = np.where(available, b / a, 0.0)
    estimate = np.where(available.any(axis=1), (b * p).sum(axis=1), np.nan)
    spread, scale = _quadratic(np.hstack([beta, -beta * p]), cross)
    spread = np.where(spread <= ROUNDING * scale, 0.0, spread)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(n > 1, n / (n - 1) * spread, np.nan)
    return 100 * estimate, 100 * np.sqrt(variance)


def _indicator(group: np.ndarray, columns: np.ndarray, n_groups: int, n_columns: int):
    """The 0/1 (groups × columns) sparse matrix: ``_indicator(...) @ values`` sums per group.

    ``scipy.sparse`` (imported here, not with the module) sums rows of a wide array many times
    faster than ``np.add.reduceat`` or ``np.add.at`` along its first axis.
    """
    from scipy import sparse

    return sparse.csr_matrix((np.ones(len(group), dtype=np.float32), (group, columns)),
                             shape=(n_groups, n_columns))


def _segment_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Row sums of ``values`` per group code."""
    rows = np.arange(len(group))
    return np.asarray(_indicator(group, rows, n_groups, len(group)) @ values)


def _cross_sums(x: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Packed upper triangle of Σ_{i∈g} x_i x_iᵀ per group (float32: exact counts below 2²⁴).

    A group's rows form one block of the next power of two rows (≥ 4, padded with zeros), or
    blocks of ``LARGEST_BLOCK`` rows when it has more; blocks of one size are stacked into one
    ``np.matmul`` (Xᵀ X per block), and the blocks of a large group are then summed.
    """
    d = x.shape[1]
    iu, ju, _ = _pairs(d // 2)
    packed = iu * d + ju
    out = np.zeros((n_groups, len(iu)), dtype=np.float32)
    if n_groups == 0:
        return out
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n_groups)
    size = np.where(counts > LARGEST_BLOCK, LARGEST_BLOCK,
                    np.maximum(4, 2 ** np.ceil(np.log2(np.maximum(counts, 1))))).astype(np.int64)
    blocks = -(-counts // size)
    first_block = np.cumsum(blocks) - blocks
    first_row = np.cumsum(counts) - counts
    block_group = np.repeat(np.arange(n_groups), blocks)
    block_size = size[block_group]
    start = first_row[block_group] + (np.arange(len(block_group)) - first_block[block_group]) \
        * block_size
    end = (first_row + counts)[block_group]
    padded = np.zeros((len(x) + 1, d), dtype=np.float32)
    padded[:-1] = x
    last = len(order) - 1
    for rows_per_block in np.unique(block_size):
        chosen = np.flatnonzero(block_size == rows_per_block)
        batch = max(1, min(BATCH_BLOCKS, BATCH_ROWS // int(rows_per_block)))
        for b0 in range(0, len(chosen), batch):
            part = chosen[b0:b0 + batch]
            position = start[part, None] + np.arange(rows_per_block)
            rows = np.where(position < end[part, None], order[np.minimum(position, last)],
                            len(x))
            stack = padded[rows]
            flipped = np.ascontiguousarray(stack.transpose(0, 2, 1))  # BLAS needs it contiguous
            products = np.matmul(flipped, stack).reshape(len(part), d * d)
            g = block_group[part]
            heads = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
            if rows_per_block == LARGEST_BLOCK:
                out[g[heads]] += np.add.reduceat(products, heads, axis=0)[:, packed]
            else:
                out[g] = products[:, packed]
    return out


def _check_answers(answers: np.ndarray, structure: Structure, rows: int) -> np.ndarray:
    answers = np.asarray(answers, dtype=float)
    k = len(structure.criteria)
    if answers.ndim != 2 or answers.shape != (rows, k):
        raise ValueError(f"answers must be {rows} rows × {k} criteria "
                         f"(structure order), not {answers.shape}")
    given = answers[~np.isnan(answers)]
    bad = (given < structure.scale_min) | (given > structure.scale_max) | (given != np.round(given))
    if bad.any():
        raise ValueError(f"answers must be whole numbers on the {structure.scale_min:g}.."
                         f"{structure.scale_max:g} scale or NaN, not {given[bad][0]!r}")
    return answers


def weekly_indices(keys: pd.DataFrame, answers: np.ndarray, structure, units: list[str],
                   week: str = "week") -> pd.DataFrame:
    """SIPAS index and SE of every unit and week, with the sums ``chart`` pools.

    ``keys``: one row per response with the unit columns ``units`` (a missing value: the response
    has no such unit) and ``week`` (the Monday of its ISO week, an ordered label); ``answers``:
    rows × criteria in ``structure.criteria`` order, NaN = unanswered. One row per (level, unit,
    week): ``level`` (the unit column), ``unit``, ``week``, ``n``, ``estimate``, ``se`` (percent)
    and the sums ``s_k``, ``a_k``, ``cross`` (arrays; see the module docstring).
    """
    from .sipas import load_structure

    structure = load_structure(structure)
    missing = [c for c in [*units, week] if c not in keys.columns]
    if missing:
        raise ValueError(f"keys has no column {missing[0]!r}")
    answers = _check_answers(answers, structure, len(keys))
    answered = ~np.isnan(answers)
    keep = answered.any(axis=1)
    x = np.hstack([answered & (answers >= structure.satisfied_min), answered])[keep]
    weeks = keys[week].to_numpy()[keep]
    if pd.isna(weeks).any():
        raise ValueError(f"column {week!r}: a response has no week")
    week_code, week_labels = pd.factorize(weeks, sort=True)
    n_weeks = len(week_labels)
    codes = [pd.factorize(keys[level].to_numpy()[keep], sort=True) for level in units]
    cell = week_code.astype(np.int64)
    for unit_code, unit_labels in codes:
        cell = pd.factorize(cell * (len(unit_labels) + 1) + unit_code + 1)[0].astype(np.int64)
    n_cells = int(cell.max()) + 1 if len(cell) else 0
    first = np.zeros(n_cells, dtype=np.int64)
    first[cell] = np.arange(len(cell))
    cell_n = np.bincount(cell, minlength=n_cells)
    cell_cross = _cross_sums(x, cell, n_cells)
    k = len(structure.criteria)
    _, _, heads = _pairs(k)
    frames = []
    for level, (unit_code, unit_labels) in zip(units, codes):
        inside = unit_code[first] >= 0
        key = unit_code[first][inside].astype(np.int64) * n_weeks + week_code[first][inside]
        group, found = pd.factorize(key, sort=True)
        found = np.asarray(found)
        n = np.bincount(group, weights=cell_n[inside], minlength=len(found)).astype(np.int64)
        cross = _segment_sum(cell_cross[inside], group, len(found))
        estimate, se = _composite(n, cross, structure)
        sa = cross[:, heads]
        frames.append(pd.DataFrame({
            "level": level, "unit": np.asarray(unit_labels, dtype=object)[found // n_weeks],
            "week": np.asarray(week_labels, dtype=object)[found % n_weeks],
            "n": n, "estimate": estimate, "se": se,
            "s_k": list(sa[:, :k]), "a_k": list(sa[:, k:]), "cross": list(cross)}))
    if not frames:
        out = pd.DataFrame(columns=["level", "unit", "week", "n", "estimate", "se",
                                    *SUM_COLUMNS])
    else:
        out = pd.concat(frames, ignore_index=True)
    out.attrs["structure"] = structure
    return out


# -- the chart -------------------------------------------------------------------------------

def week_numbers(labels) -> np.ndarray:
    """Calendar week numbers (weeks since Monday 1970-01-05) of week labels (dates, strings)."""
    try:
        stamps = pd.to_datetime(pd.Series(list(labels), dtype=object))
    except (ValueError, TypeError) as error:
        raise ValueError(f"week labels must be dates (the Monday of the week): {error}") from None
    if stamps.isna().any():
        raise ValueError("a week label is missing")
    return ((stamps - _EPOCH_MONDAY).dt.days // 7).to_numpy(dtype=np.int64)


def bh_qvalues(p) -> np.ndarray:
    """Benjamini–Hochberg q-values (R ``p.adjust(p, "BH")``); NaN stays NaN and is not counted.

    q_(i) = min_{j ≥ i} min(1, m p_(j)/j) over the m finite p-values in increasing order.
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m:
        order = np.argsort(p[ok], kind="stable")
        ranked = p[ok][order] * m / np.arange(1, m + 1)
        step = np.empty(m)
        step[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
        q[ok] = step
    return q


def _pooled(cross: np.ndarray, keep: np.ndarray, lo: np.ndarray, hi: np.ndarray
            ) -> np.ndarray:
    """Σ cross[lo:hi] over the kept rows, for every test (float32 sums of counts: exact)."""
    length = hi - lo
    test = np.repeat(np.arange(len(lo)), length)
    row = np.repeat(lo - (np.cumsum(length) - length), length) + np.arange(int(length.sum()))
    use = keep[row]
    return np.asarray(_indicator(test[use], row[use], len(lo), len(cross)) @ cross)


def chart(weekly: pd.DataFrame, settings: ChartSettings = ChartSettings(),
          weeks=None, *, structure=None) -> pd.DataFrame:
    """The EWMA chart of every unit at every tested week (all weeks of ``weekly``, or ``weeks``).

    ``weekly``: as ``weekly_indices`` returns it (the ``cross`` sums pool the baseline;
    ``structure`` defaults to the ``weekly.attrs["structure"]`` it sets). One row per unit and
    tested week where the unit has responses (``TABLE_COLUMNS``): level, unit, week, n,
    estimate, se, baseline (P0), baseline_se, baseline_n, baseline_weeks, window_weeks, tau,
    ewma (E), ewma_se, level_now, drop (points), z, p, q, alarm, status ("ok", "alarm",
    "insufficient") and reason ("few responses this week", "short baseline" or ""). The
    ewma-derived columns are NaN when insufficient, and so is the baseline unless the tested
    week is observed and its baseline long enough.
    """
    from scipy.stats import norm

    from .sipas import load_structure

    if weekly.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    if structure is None and "structure" not in weekly.attrs:
        raise ValueError("pass structure= (weekly has no attrs['structure'])")
    structure = load_structure(structure if structure is not None else weekly.attrs["structure"])
    needed = ["level", "unit", "week", "n", "estimate", "se", "cross"]
    missing = [c for c in needed if c not in weekly.columns]
    if missing:
        raise ValueError(f"weekly has no column {missing[0]!r} (use weekly_indices)")
    lam, win, base = settings.lam, settings.window, settings.baseline
    span = win + base
    frame = weekly.reset_index(drop=True)
    t = week_numbers(frame["week"])
    unit = frame.groupby(["level", "unit"], sort=False).ngroup().to_numpy(dtype=np.int64)
    t0 = int(t.min())
    stride = int(t.max()) - t0 + 2 * span + 2
    key = unit * stride + (t - t0) + span
    order = np.argsort(key, kind="stable")
    key = key[order]
    if np.any(key[1:] == key[:-1]):
        raise ValueError("weekly has two rows for one unit and week")
    frame = frame.iloc[order].reset_index(drop=True)
    t = t[order]
    n = frame["n"].to_numpy(dtype=float)
    estimate = frame["estimate"].to_numpy(dtype=float)
    se = frame["se"].to_numpy(dtype=float)
    observed = (n >= settings.min_week) & np.isfinite(estimate) & np.isfinite(se)
    tested = np.arange(len(frame)) if weeks is None else \
        np.flatnonzero(np.isin(t, week_numbers(weeks)))

    lagged = key[tested, None] - np.arange(span)[None, :]
    found = np.minimum(np.searchsorted(key, lagged), len(key) - 1)
    ok = (key[found] == lagged) & observed[found]
    y = np.where(ok, estimate[found], 0.0)
    v = np.where(ok, se[found] ** 2, 0.0)
    ok_w, ok_b = ok[:, :win], ok[:, win:]
    weeks_b = ok_b.sum(axis=1)
    n_b = np.where(ok_b, n[found[:, win:]], 0.0).sum(axis=1)

    k = len(structure.criteria)
    lo = np.searchsorted(key, key[tested] - (span - 1), side="left")
    hi = np.searchsorted(key, key[tested] - win, side="right")
    cross = np.stack(frame["cross"].to_numpy())
    if cross.shape[1] != k * (2 * k + 1):
        raise ValueError(f"weekly's cross-sums do not fit the structure's {k} criteria")
    short = (weeks_b < settings.min_baseline_weeks) | (n_b < settings.min_baseline)
    candidate = ok[:, 0] & ~short
    p0, se0 = np.full(len(tested), np.nan), np.full(len(tested), np.nan)
    p0[candidate], se0[candidate] = _composite(
        n_b[candidate], _pooled(cross, observed, lo[candidate], hi[candidate]), structure)

    with np.errstate(divide="ignore", invalid="ignore"):
        mean_b = np.where(ok_b, y[:, win:], 0.0).sum(axis=1) / weeks_b
        s2 = np.where(ok_b, (y[:, win:] - mean_b[:, None]) ** 2, 0.0).sum(axis=1) / (weeks_b - 1)
        tau2 = np.maximum(0.0, s2 - v[:, win:].sum(axis=1) / weeks_b)
        recent = np.cumsum(ok_w, axis=1) - ok_w
        a = np.where(ok_w, lam * (1 - lam) ** recent, 0.0)
        ewma = (a * np.where(ok_w, y[:, :win] - p0[:, None], 0.0)).sum(axis=1)
        total = a.sum(axis=1)
        var = (a ** 2 * (v[:, :win] + tau2[:, None])).sum(axis=1) \
            + total ** 2 * (se0 ** 2 + tau2 / weeks_b)
        z = np.where(var > 0, ewma / np.sqrt(var), np.where(ewma == 0, 0.0, np.sign(ewma) * np.inf))
        level_now = p0 + ewma / total
    short |= ~np.isfinite(p0) | ~np.isfinite(se0)
    sufficient = ok[:, 0] & ~short
    p = np.where(sufficient, norm.cdf(z), np.nan)
    q = np.full(len(tested), np.nan)
    families = t[tested]
    for w in np.unique(families[sufficient]):
        member = sufficient & (families == w)
        q[member] = bh_qvalues(p[member])
    alarm = sufficient & (q <= settings.fdr) & (p <= settings.alpha)
    blank = np.where(sufficient, 1.0, np.nan)
    out = frame.iloc[tested][["level", "unit", "week", "n", "estimate", "se"]].reset_index(
        drop=True)
    out = out.assign(
        baseline=p0, baseline_se=se0, baseline_n=n_b.astype(np.int64), baseline_weeks=weeks_b,
        window_weeks=ok_w.sum(axis=1), tau=np.sqrt(tau2) * blank, ewma=ewma * blank,
        ewma_se=np.sqrt(var) * blank, level_now=level_now * blank,
        drop=(p0 - level_now) * blank, z=z * blank, p=p, q=q, alarm=alarm,
        status=np.where(alarm, "alarm", np.where(sufficient, "ok", "insufficient")),
        reason=np.where(~ok[:, 0], "few responses this week",
                        np.where(short, "short baseline", "")))
    return out


def alarms(table: pd.DataFrame) -> pd.DataFrame:
    """The alarm rows of a ``chart`` table, largest drop first."""
    hit = table[table["alarm"].astype(bool)]
    return hit.sort_values("drop", ascending=False, kind="stable").reset_index(drop=True)


def latest(table: pd.DataFrame) -> pd.DataFrame:
    """Each unit's last tested week of a ``chart`` table (the dashboard's current state)."""
    if table.empty:
        return table.copy()
    order = np.argsort(week_numbers(table["week"]), kind="stable")
    ordered = table.iloc[order]
    return ordered.groupby(["level", "unit"], sort=False).tail(1).sort_values(
        ["level", "unit"], kind="stable").reset_index(drop=True)
