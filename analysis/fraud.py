"""Fraud signals: patterns suggesting ratings not given by served citizens.

Three kinds, each a test of chance against the unit's own data (a unit is a device, an officer,
any column the caller names as a level):

- ``top_burst``: too many all-top ratings close together in time (Kulldorff's Bernoulli scan
  statistic over time, Monte Carlo p by shuffling the unit's top labels);
- ``off_hours``: more ratings outside working hours than the unit's history makes likely (exact
  binomial test);
- ``identical_run``: identical answer vectors following each other within minutes more often than
  chance (Monte Carlo p by shuffling the period's answer vectors over its times).

``signals`` runs all three for every unit of every level and controls the false discovery rate
over all the tests at once (Benjamini–Hochberg). A signal is advice for an analyst: nothing is
excluded here or anywhere automatically (ESTIMATION.md, "Flags are advice, not filters").

The frame has one row per response with the unit columns, ``at`` (local datetime64, naive or
tz-aware), ``top`` (bool: every answered criterion at the scale's top), ``off_hours`` (bool) and
``pattern`` (hashable: the whole answer vector). Responses at or after ``review_from`` form the
reviewed period, those before it the unit's history.

A unit gets no row for a kind when that test cannot give p < 1 whatever happened (too little
data): ``top_burst`` when no window of ``min_count`` reviewed responses fits in ``max_window`` or
when all or none of the unit's responses are top; ``off_hours`` when it has no reviewed
response; ``identical_run`` when no two consecutive reviewed responses are ``max_gap`` apart or
less, or no answer vector occurs twice in the period.
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

KINDS = ("top_burst", "off_hours", "identical_run")
COLUMNS = ["kind", "level", "unit", "start", "end", "count", "expected", "statistic", "p",
           "evidence"]
#: Shuffles drawn at once; part of the definition of the draws (see ``reviewed_labels``).
BLOCK = 64
#: Relative tolerance under which a permuted statistic counts as reaching the observed one.
TIE = 1e-9
MAX_WINDOW, MAX_GAP = pd.Timedelta(hours=2), pd.Timedelta(minutes=3)


# --- the Bernoulli scan statistic ----------------------------------------------------------

def _xlog(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a·log(b) with 0·log(0) = 0."""
    positive = a > 0
    return np.where(positive, a * np.log(np.where(positive, b, 1.0)), 0.0)


def bernoulli_llr(top_in, n_in, top_total: int, n_total: int) -> np.ndarray:
    """One-sided log-likelihood ratio of Kulldorff's Bernoulli scan for windows (vectorised).

    Kulldorff (1997), "A spatial scan statistic", Commun. Statist. Theory Meth. 26:1481–1496,
    Bernoulli model: with c of n top inside and C of N in all,
    log L = c log(c/n) + (n−c) log(1−c/n) + (C−c) log((C−c)/(N−n)) + (N−n−C+c) log(1−(C−c)/(N−n))
    minus the log-likelihood of one share C/N; 0 unless the share inside is higher than outside
    (a burst of top ratings, not a lack of them), and 0 for a window holding every response.
    """
    c, n = np.asarray(top_in, dtype=float), np.asarray(n_in, dtype=float)
    total_c, total_n = float(top_total), float(n_total)
    c_out, n_out = total_c - c, total_n - n
    higher = (n > 0) & (n_out > 0) & (c * n_out > c_out * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_in = np.where(n > 0, c / n, 0.0)
        p_out = np.where(n_out > 0, c_out / n_out, 0.0)
    inside = _xlog(c, p_in) + _xlog(n - c, 1 - p_in)
    outside = _xlog(c_out, p_out) + _xlog(n_out - c_out, 1 - p_out)
    share = total_c / total_n
    null = float(_xlog(np.array(total_c), share) + _xlog(np.array(total_n - total_c), 1 - share))
    return np.where(higher, np.maximum(inside + outside - null, 0.0), 0.0)


def scan_windows(times: np.ndarray, first: int, max_window: float,
                 min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate windows of a scan: index pairs (i, j) into ascending ``times``, i ≥ ``first``.

    A window is the time interval [t_i, t_j] with t_j − t_i ≤ ``max_window`` holding at least
    ``min_count`` responses; with tied times i is the first and j the last response at its time,
    so a window is a set of whole instants. For each start the last end is found by a moving
    pointer (``searchsorted``); ordered by start, then end.
    """
    n = len(times)
    starts = np.arange(first, n)
    if starts.size == 0:
        return starts, starts
    last = np.searchsorted(times, times[first:] + max_window, side="right") - 1
    whole = np.ones(starts.size, dtype=bool)
    whole[1:] = times[first + 1:] != times[first:-1]
    lowest = starts + min_count - 1
    length = np.where(whole, np.maximum(last - lowest + 1, 0), 0)
    start = np.repeat(starts, length)
    end = np.repeat(lowest, length) + (np.arange(length.sum())
                                       - np.repeat(np.cumsum(length) - length, length))
    closing = (end == n - 1) | (times[np.minimum(end + 1, n - 1)] != times[end])
    return start[closing], end[closing]


def reviewed_labels(top_total: int, n_total: int, n_reviewed: int, permutations: int,
                    rng: np.random.Generator, block: int = BLOCK) -> Iterator[np.ndarray]:
    """Top labels of the reviewed responses in ``permutations`` shuffles of a unit's labels.

    Shuffling the C top labels over all N responses (history and period, times fixed) and
    reading the last ``n_reviewed`` positions is drawing them without replacement: the number of
    tops among them is hypergeometric, their order uniform. Drawn that way (rows of
    ``block`` at a time), which costs the period's length rather than the whole history's.
    """
    ramp = np.arange(n_reviewed)
    for done in range(0, permutations, block):
        size = min(block, permutations - done)
        tops = rng.hypergeometric(top_total, n_total - top_total, n_reviewed, size=size)
        yield rng.permuted((ramp < tops[:, None]).astype(np.int8), axis=1)


def shuffled(values: np.ndarray, permutations: int, rng: np.random.Generator,
             block: int = BLOCK) -> Iterator[np.ndarray]:
    """``permutations`` independent shuffles of ``values``, ``block`` rows at a time."""
    for done in range(0, permutations, block):
        size = min(block, permutations - done)
        yield rng.permuted(np.broadcast_to(values, (size, len(values))), axis=1)


def monte_carlo_p(observed: float, draws: Iterable[np.ndarray], permutations: int,
                  stop_after: int | None = None) -> tuple[float, int, int]:
    """Monte Carlo p-value (1 + k)/(R + 1) of ``observed`` against permuted statistics.

    k counts the permuted statistics reaching the observed one (ties count: conservative).
    With ``stop_after`` = h, drawing stops at the h-th such statistic, draw L, and p = h/L
    (Besag & Clifford 1991, "Sequential Monte Carlo p-values", Biometrika 78:301–304): the same
    validity for a fraction of the draws when the unit is unremarkable. Returns (p, k, draws).
    """
    reach = observed - TIE * max(1.0, abs(observed))
    hits = drawn = 0
    for stats in draws:
        above = stats >= reach
        found = int(np.count_nonzero(above))
        if stop_after is not None and hits + found >= stop_after:
            at = drawn + int(np.flatnonzero(above)[stop_after - hits - 1]) + 1
            return stop_after / at, stop_after, at
        hits, drawn = hits + found, drawn + len(stats)
    return (hits + 1) / (permutations + 1), hits, drawn


@dataclass(frozen=True)
class Burst:
    """The most likely window of a unit and its Monte Carlo p-value (indices into its times)."""

    start: int
    end: int
    top_in: int
    n_in: int
    top_total: int
    n_total: int
    first: int
    windows: int
    llr: float
    p: float
    exceedances: int
    draws: int


def burst_scan(times: np.ndarray, top: np.ndarray, review_from, *, max_window, min_count: int,
               permutations: int, rng: np.random.Generator,
               stop_after: int | None = None) -> Burst | None:
    """Kulldorff's Bernoulli scan over time for one unit; None when it cannot signal.

    ``times`` ascending (any numeric unit; ``max_window`` and ``review_from`` in the same unit),
    ``top`` the labels. Windows are those of ``scan_windows`` over the reviewed responses, the
    outside of a window every other response of the unit, history included. The most likely
    window is the first of highest LLR (earliest start, then shortest). The null shuffles the
    labels over all the unit's responses: the number of tops stays, so each window size's
    highest LLR is that of its highest top count (the LLR grows with it), taken per size.
    """
    times, top = np.asarray(times), np.asarray(top, dtype=bool)
    first = int(np.searchsorted(times, review_from, side="left"))
    n_total, top_total = len(times), int(np.count_nonzero(top))
    start, end = scan_windows(times, first, max_window, min_count)
    if start.size == 0 or top_total in (0, n_total):
        return None
    size = end - start + 1
    order = np.argsort(size, kind="stable")
    sizes, group = np.unique(size[order], return_index=True)
    left, right = start[order] - first, end[order] - first + 1

    def highest(labels: np.ndarray) -> np.ndarray:
        sums = np.zeros((labels.shape[0], labels.shape[1] + 1), dtype=np.int32)
        np.cumsum(labels, axis=1, out=sums[:, 1:])
        inside = np.maximum.reduceat(sums[:, right] - sums[:, left], group, axis=1)
        return bernoulli_llr(inside, sizes[None, :], top_total, n_total).max(axis=1)

    sums = np.concatenate([[0], np.cumsum(top[first:], dtype=np.int64)])
    tops_in = sums[end - first + 1] - sums[start - first]
    llr = bernoulli_llr(tops_in, size, top_total, n_total)
    best = int(np.argmax(llr))
    observed = float(highest(top[None, first:].astype(np.int8))[0])
    draws = (highest(block) for block in reviewed_labels(top_total, n_total, n_total - first,
                                                         permutations, rng))
    p, exceedances, drawn = monte_carlo_p(observed, draws, permutations, stop_after)
    return Burst(int(start[best]), int(end[best]), int(tops_in[best]), int(size[best]),
                 top_total, n_total, first, int(start.size), observed, p, exceedances, drawn)


# --- identical answer vectors in a row -----------------------------------------------------

def identical_pairs(times: np.ndarray, codes: np.ndarray, max_gap) -> int:
    """Consecutive pairs (ascending ``times``) with the same code at most ``max_gap`` apart."""
    times, codes = np.asarray(times), np.asarray(codes)
    close = np.diff(times) <= max_gap
    return int(np.count_nonzero(close & (codes[1:] == codes[:-1])))


@dataclass(frozen=True)
class Runs:
    """Identical close pairs of a unit's period, its longest run and the Monte Carlo p-value."""

    pairs: int
    expected: float
    close: int
    run_start: int
    run_end: int
    p: float
    exceedances: int
    draws: int


def run_scan(times: np.ndarray, codes: np.ndarray, *, max_gap, permutations: int,
             rng: np.random.Generator, stop_after: int | None = None) -> Runs | None:
    """Identical consecutive answer vectors within ``max_gap``, tested against chance.

    ``times`` ascending (the reviewed period only), ``codes`` the answer vectors as integers.
    The null shuffles the vectors over the times: how common each vector is stays (all-top
    vectors are common for honest citizens too), and the question is whether identical ones
    follow each other closer than chance. Expected pairs under it: G · Σ n_v(n_v − 1)/(n(n − 1))
    with G close consecutive pairs and n_v the count of vector v. None when no pair is close or
    no vector repeats (the statistic is then 0 in every shuffle).
    """
    times = np.asarray(times)
    _, codes = np.unique(np.asarray(codes), return_inverse=True)
    n = len(codes)
    close = np.flatnonzero(np.diff(times) <= max_gap) if n > 1 else np.array([], dtype=int)
    counts = np.bincount(codes)
    repeats = float(np.sum(counts * (counts - 1.0)))
    if close.size == 0 or repeats == 0:
        return None
    same = np.zeros(n + 1, dtype=bool)
    same[close + 1] = codes[close] == codes[close + 1]
    observed = int(np.count_nonzero(same))
    edges = np.flatnonzero(np.diff(np.concatenate([same, [False]]).astype(np.int8)))
    run_start = run_end = -1
    if observed:
        begins, ends = edges[0::2], edges[1::2]
        longest = int(np.argmax(ends - begins))
        run_start, run_end = int(begins[longest]), int(ends[longest])
    draws = ((block[:, close] == block[:, close + 1]).sum(axis=1)
             for block in shuffled(codes, permutations, rng))
    p, exceedances, drawn = monte_carlo_p(float(observed), draws, permutations, stop_after)
    expected = close.size * repeats / (n * (n - 1.0))
    return Runs(observed, expected, int(close.size), run_start, run_end, p, exceedances, drawn)


# --- multiple testing ----------------------------------------------------------------------

def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini–Hochberg q-values: q_(i) = min over j ≥ i of m·p_(j)/j, at most 1.

    Benjamini & Hochberg (1995), JRSS B 57:289–300; R ``p.adjust(p, "BH")``, statsmodels
    ``multipletests(p, method="fdr_bh")``. Rejecting q ≤ α controls the false discovery rate at
    α for independent or positively dependent tests.
    """
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")[::-1]
    rank = np.arange(p.size, 0, -1)
    q = np.minimum.accumulate(p[order] * p.size / rank)
    out = np.empty_like(p)
    out[order] = np.minimum(q, 1.0)
    return out


# --- frames ---------------------------------------------------------------------------------

@dataclass
class _Data:
    """The frame in time order, its times as int64 nanoseconds and the review cut; each unit's
    positions (time order) and where its reviewed period begins."""

    frame: pd.DataFrame
    at: pd.DatetimeIndex
    times: np.ndarray
    cut: int
    review_from: pd.Timestamp
    units: list[tuple[str, object, np.ndarray, int]]


def _levels(units) -> list[str]:
    levels = [units] if isinstance(units, str) else list(units)
    if not levels or not all(isinstance(level, str) for level in levels):
        raise ValueError(f"units must name one or more unit columns, not {units!r}")
    return levels


def _prepare(frame: pd.DataFrame, units, review_from, needed: Sequence[str]) -> _Data:
    """Check the columns and the review cut; sort by time; find every unit of every level."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    levels = _levels(units)
    missing = [c for c in dict.fromkeys([*levels, "at", *needed]) if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the column(s) {', '.join(map(repr, missing))}")
    if not pd.api.types.is_datetime64_any_dtype(frame["at"]):
        raise ValueError(f"'at' must be datetime64, not {frame['at'].dtype}")
    at = pd.DatetimeIndex(frame["at"]).as_unit("ns")
    if at.hasnans:
        raise ValueError("'at' has missing times")
    for column in needed:
        if frame[column].isna().any():
            raise ValueError(f"{column!r} has missing values")
    try:
        cut = pd.Timestamp(review_from)
    except (TypeError, ValueError) as error:
        raise ValueError(f"review_from must be a time, not {review_from!r}") from error
    if pd.isna(cut):
        raise ValueError("review_from must be a time, not missing")
    if at.tz is not None:
        cut = cut.tz_localize(at.tz) if cut.tz is None else cut.tz_convert(at.tz)
    elif cut.tz is not None:
        raise ValueError("review_from has a time zone and 'at' has none: give local time")
    order = np.argsort(at.asi8, kind="stable")
    ordered = frame.iloc[order].reset_index(drop=True)
    at = at[order]
    times, cut_ns = at.asi8, int(cut.as_unit("ns").value)
    found = []
    for level in levels:
        column = ordered[level]
        for unit, positions in column.groupby(column, sort=False, dropna=True).indices.items():
            positions = np.sort(positions)
            found.append((level, unit, positions,
                          int(np.searchsorted(times[positions], cut_ns, side="left"))))
    return _Data(ordered, at, times, cut_ns, cut, found)


def _nanoseconds(value, name: str) -> int:
    try:
        delta = pd.Timedelta(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a duration, not {value!r}") from error
    if pd.isna(delta) or delta <= pd.Timedelta(0):
        raise ValueError(f"{name} must be a positive duration, not {value!r}")
    return int(delta.as_unit("ns").value)


def _check_integer(value, name: str, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be an integer ≥ {least}, not {value!r}")


def _check_permutations(permutations, seed, stop_after) -> None:
    _check_integer(permutations, "permutations", 99)
    _check_integer(seed, "seed", 0)
    if stop_after is not None:
        _check_integer(stop_after, "stop_after", 1)


def _check_share(value, name: str, closed: bool = False) -> None:
    real = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if not real or not (0.0 < value <= 1.0 if closed else 0.0 < value < 1.0):
        raise ValueError(f"{name} must be between 0 and 1, not {value!r}")


def unit_rng(seed: int, kind: str, level: str, unit) -> np.random.Generator:
    """The generator of one unit's shuffles: fixed by the seed, the kind and the unit's name,
    so a unit's p-value does not depend on which other units are in the frame."""
    name = zlib.crc32(f"{level}\x1f{unit}".encode())
    return np.random.default_rng([seed, KINDS.index(kind), name])


def _rows(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["count"] = out["count"].astype("int64")
    for column in ("expected", "statistic", "p"):
        out[column] = out[column].astype(float)
    return out


def _iso(stamp) -> str | None:
    return None if pd.isna(stamp) else stamp.isoformat()


def _bursts(data: _Data, window: int, min_count: int, permutations: int, seed: int,
            stop_after: int | None) -> pd.DataFrame:
    top = data.frame["top"].to_numpy(dtype=bool)
    rows = []
    for level, unit, positions, _ in data.units:
        scan = burst_scan(data.times[positions], top[positions], data.cut, max_window=window,
                          min_count=min_count, permutations=permutations,
                          rng=unit_rng(seed, "top_burst", level, unit), stop_after=stop_after)
        if scan is None:
            continue
        history_top = int(np.count_nonzero(top[positions[:scan.first]]))
        evidence = {"responses": scan.n_in, "top": scan.top_in,
                    "share_inside": round(scan.top_in / scan.n_in, 4),
                    "share_outside": round((scan.top_total - scan.top_in)
                                           / (scan.n_total - scan.n_in), 4),
                    "share_history": (round(history_top / scan.first, 4) if scan.first
                                      else None),
                    "history_n": scan.first, "reviewed_n": scan.n_total - scan.first,
                    "windows": scan.windows, "permutations": scan.draws,
                    "exceedances": scan.exceedances}
        rows.append({"kind": "top_burst", "level": level, "unit": unit,
                     "start": data.at[positions[scan.start]],
                     "end": data.at[positions[scan.end]], "count": scan.top_in,
                     "expected": scan.n_in * scan.top_total / scan.n_total,
                     "statistic": scan.llr, "p": scan.p, "evidence": evidence})
    return _rows(rows)


def top_bursts(frame: pd.DataFrame, units, review_from,
               max_window=MAX_WINDOW, min_count: int = 5, permutations: int = 999,
               seed: int = 0, *, stop_after: int | None = None) -> pd.DataFrame:
    """Most likely burst of all-top ratings of each unit in the reviewed period (``burst_scan``).

    A burst is what ratings typed in at a device look like: many all-top answers within an hour
    or two. count = top ratings in the window, expected = its responses × the unit's top share
    (Kulldorff's expected count), statistic = the LLR, start and end = the window.
    """
    data = _prepare(frame, units, review_from, ("top",))
    window = _nanoseconds(max_window, "max_window")
    _check_integer(min_count, "min_count", 2)
    _check_permutations(permutations, seed, stop_after)
    return _bursts(data, window, min_count, permutations, seed, stop_after)


def history_rate(history_off: int, history_n: int, floor: float) -> float:
    """r0 = max(floor, (off-hours + 0.5)/(n + 1)): the history's rate, never 0 (a unit with no
    off-hours rating yet is not "infinitely" surprised by one) nor below ``floor``."""
    return max(floor, (history_off + 0.5) / (history_n + 1.0))


def _off_hours(data: _Data, floor: float) -> pd.DataFrame:
    from scipy import stats

    off = data.frame["off_hours"].to_numpy(dtype=bool)
    rows = []
    for level, unit, positions, first in data.units:
        n = len(positions) - first
        if n == 0:
            continue
        history_off = int(np.count_nonzero(off[positions[:first]]))
        outside = positions[first:][off[positions[first:]]]
        x = len(outside)
        rate = history_rate(history_off, first, floor)
        start = data.at[outside[0]] if x else pd.NaT
        end = data.at[outside[-1]] if x else pd.NaT
        evidence = {"reviewed_n": n, "off_hours": x, "history_n": first,
                    "history_off_hours": history_off, "rate": round(rate, 6),
                    "first": _iso(start), "last": _iso(end)}
        rows.append({"kind": "off_hours", "level": level, "unit": unit, "start": start,
                     "end": end, "count": x, "expected": n * rate, "statistic": float(x),
                     "p": min(float(stats.binom.sf(x - 1, n, rate)), 1.0),
                     "evidence": evidence})
    return _rows(rows)


def off_hours_excess(frame: pd.DataFrame, units, review_from,
                     floor: float = 0.005) -> pd.DataFrame:
    """Off-hours ratings of the reviewed period against the unit's history rate.

    Exact one-sided binomial test P(X ≥ x | n, r0) = ``binom.sf(x − 1, n, r0)`` with n the
    period's ratings, x those off hours and r0 = ``history_rate``; expected = n·r0, statistic
    = x. Start and end: the first and last off-hours rating of the period.
    """
    data = _prepare(frame, units, review_from, ("off_hours",))
    _check_share(floor, "floor")
    return _off_hours(data, floor)


def _identical(data: _Data, gap: int, permutations: int, seed: int,
               stop_after: int | None) -> pd.DataFrame:
    codes, vectors = pd.factorize(data.frame["pattern"])
    rows = []
    for level, unit, positions, first in data.units:
        period = positions[first:]
        runs = run_scan(data.times[period], codes[period], max_gap=gap,
                        permutations=permutations, stop_after=stop_after,
                        rng=unit_rng(seed, "identical_run", level, unit))
        if runs is None:
            continue
        found = runs.run_start >= 0
        start = data.at[period[runs.run_start]] if found else pd.NaT
        end = data.at[period[runs.run_end]] if found else pd.NaT
        evidence = {"pairs": runs.pairs, "close_pairs": runs.close, "reviewed_n": len(period),
                    "longest_run": runs.run_end - runs.run_start + 1 if found else 1,
                    "pattern": str(vectors[codes[period[runs.run_start]]]) if found else None,
                    "first": _iso(start), "last": _iso(end), "permutations": runs.draws,
                    "exceedances": runs.exceedances}
        rows.append({"kind": "identical_run", "level": level, "unit": unit, "start": start,
                     "end": end, "count": runs.pairs, "expected": runs.expected,
                     "statistic": float(runs.pairs), "p": runs.p, "evidence": evidence})
    return _rows(rows)


def identical_runs(frame: pd.DataFrame, units, review_from,
                   max_gap=MAX_GAP, permutations: int = 999, seed: int = 0, *,
                   stop_after: int | None = None) -> pd.DataFrame:
    """Identical answer vectors in a row in the reviewed period of each unit (``run_scan``).

    count = statistic = identical consecutive pairs at most ``max_gap`` apart, expected = their
    mean over shuffles; start, end and evidence describe the longest run of identical vectors.
    """
    data = _prepare(frame, units, review_from, ("pattern",))
    gap = _nanoseconds(max_gap, "max_gap")
    _check_permutations(permutations, seed, stop_after)
    return _identical(data, gap, permutations, seed, stop_after)


def enough_permutations(tests: int, fdr: float) -> int:
    """Shuffles R with 1/(R + 1) ≤ fdr/(2·tests): a lone real signal must reach BH's first
    threshold fdr/m, which a Monte Carlo p can never pass below 1/(R + 1). At least 999,
    rounded up to thousands minus one."""
    return max(999, math.ceil(2 * tests / fdr / 1000) * 1000 - 1)


#: Options of ``signals``. Its burst windows are shorter and fuller than ``top_bursts``'s
#: defaults: in ``bench/bench_fraud.py`` honest streaks of 5–9 all-top ratings (common at a
#: 25–35 % honest top share) set the scan's null maximum with 5 and 2 hours, and a 12-in-40-minute
#: burst was found in 80 % of provinces; with 10 and 1 hour in 86 %, with fewer false signals.
DEFAULTS = {"max_window": pd.Timedelta(hours=1), "min_count": 10, "max_gap": MAX_GAP,
            "floor": 0.005, "seed": 0, "stop_after": 20}


def signals(frame: pd.DataFrame, units, review_from, fdr: float = 0.05,
            **options) -> pd.DataFrame:
    """All three kinds for every unit of every level, with Benjamini–Hochberg q-values over all
    the tests at once and ``signal`` = q ≤ ``fdr``, sorted by q (columns ``COLUMNS``, q, signal).

    ``options``: ``max_window``, ``min_count``, ``max_gap``, ``floor``, ``seed`` as in the kinds
    (defaults ``DEFAULTS``), ``permutations`` (default ``enough_permutations`` for the number of
    tests, 3 per unit with reviewed responses) and ``stop_after`` (default 20: an unremarkable
    unit stops after a few hundred shuffles, only remarkable ones draw them all; None draws all).
    """
    unknown = sorted(set(options) - {*DEFAULTS, "permutations"})
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)}; use "
                         f"{', '.join(sorted({*DEFAULTS, 'permutations'}))}")
    _check_share(fdr, "fdr", closed=True)
    data = _prepare(frame, units, review_from, ("top", "off_hours", "pattern"))
    chosen = {**DEFAULTS, **options}
    if "permutations" not in chosen:
        tests = 3 * sum(first < len(positions) for _, _, positions, first in data.units)
        chosen["permutations"] = enough_permutations(tests, fdr)
    window = _nanoseconds(chosen["max_window"], "max_window")
    gap = _nanoseconds(chosen["max_gap"], "max_gap")
    _check_integer(chosen["min_count"], "min_count", 2)
    _check_share(chosen["floor"], "floor")
    shuffles = chosen["permutations"], chosen["seed"], chosen["stop_after"]
    _check_permutations(*shuffles)
    parts = [part for part in (_bursts(data, window, chosen["min_count"], *shuffles),
                               _off_hours(data, chosen["floor"]),
                               _identical(data, gap, *shuffles)) if len(part)]
    out = pd.concat(parts, ignore_index=True) if parts else _rows([])
    out["q"] = benjamini_hochberg(out["p"].to_numpy())
    out["signal"] = out["q"] <= fdr
    return out.sort_values(["q", "p"], kind="stable").reset_index(drop=True)
