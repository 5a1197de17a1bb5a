"""Fraud signals (``analysis.fraud``), each number against an independent computation.

The scan's LLR against Kulldorff's closed form by hand, its most likely window against a brute
force over every time interval, its Monte Carlo p against a count over the same shuffles; the
binomial p against scipy's ``binomtest``; identical pairs against a hand count; BH against
scipy's ``false_discovery_control`` and values computed with statsmodels' ``multipletests``;
calibration on clean simulated data and planted fraud found.
"""
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import fraud

REPO = Path(__file__).resolve().parents[3]
DAY0 = pd.Timestamp("2026-01-05")
CUT = DAY0 + pd.Timedelta(days=60)
MINUTE = pd.Timedelta(minutes=1)


def hand_llr(c: int, n: int, big_c: int, big_n: int) -> float:
    """Kulldorff's one-sided Bernoulli LLR written out with math.log (0·log 0 = 0)."""
    def xlog(a, b):
        return a * math.log(b) if a > 0 else 0.0

    c_out, n_out = big_c - c, big_n - n
    if n_out == 0 or c / n <= c_out / n_out:
        return 0.0
    inside = xlog(c, c / n) + xlog(n - c, 1 - c / n)
    outside = xlog(c_out, c_out / n_out) + xlog(n_out - c_out, 1 - c_out / n_out)
    return inside + outside - xlog(big_c, big_c / big_n) - xlog(big_n - big_c, 1 - big_c / big_n)


def brute_windows(times, first, max_window, min_count):
    """Every time interval [a, b] of reviewed times with b − a ≤ max_window: member indices."""
    reviewed = sorted(set(times[first:].tolist()))
    found = []
    for a, b in itertools.combinations_with_replacement(reviewed, 2):
        members = [k for k in range(first, len(times)) if a <= times[k] <= b]
        if b - a <= max_window and len(members) >= min_count:
            found.append((a, b, members))
    return found


def brute_best(times, top, first, max_window, min_count):
    big_c, big_n = int(sum(top)), len(top)
    scored = [(hand_llr(int(sum(top[k] for k in m)), len(m), big_c, big_n), a, b, m)
              for a, b, m in brute_windows(times, first, max_window, min_count)]
    best = max(s[0] for s in scored)
    return next(s for s in scored if s[0] >= best - 1e-12)


def tiny(seed: int):
    """Minutes: 40 history responses, 30 reviewed ones with a few ties, a top share ~ 0.3."""
    rng = np.random.default_rng(seed)
    history = np.sort(rng.integers(0, 1000, 40))
    reviewed = np.sort(rng.integers(1000, 1300, 30))
    reviewed[5] = reviewed[4]
    times = np.concatenate([history, reviewed]).astype(float)
    top = rng.random(70) < 0.3
    top[52:58] = True
    return times, top


# --- the scan ---------------------------------------------------------------------------------

def test_llr_equals_closed_form_by_hand():
    expected = (2 * math.log(2 / 3) + math.log(1 / 3) + math.log(1 / 7) + 6 * math.log(6 / 7)
                - 3 * math.log(0.3) - 7 * math.log(0.7))
    got = fraud.bernoulli_llr([2, 1, 3], [3, 4, 10], 3, 10)
    assert got[0] == pytest.approx(expected, rel=1e-13)
    assert got[1] == 0.0          # share inside 1/4 below outside 2/6: no burst
    assert got[2] == 0.0          # a window holding every response contrasts nothing


def test_windows_with_tied_times_by_hand():
    times = np.array([0, 0, 1, 2, 2, 2, 5])
    start, end = fraud.scan_windows(times, 0, 2, 2)
    assert list(zip(start.tolist(), end.tolist())) == [(0, 1), (0, 2), (0, 5), (2, 5), (3, 5)]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_most_likely_window_equals_brute_force(seed):
    times, top = tiny(seed)
    scan = fraud.burst_scan(times, top, 1000, max_window=60, min_count=4, permutations=99,
                            rng=np.random.default_rng(0))
    llr, a, b, members = brute_best(times, top, 40, 60, 4)
    assert (times[scan.start], times[scan.end]) == (a, b)
    assert (scan.n_in, scan.top_in) == (len(members), sum(top[k] for k in members))
    assert scan.llr == pytest.approx(llr, rel=1e-12)
    assert scan.windows == len(brute_windows(times, 40, 60, 4))


def brute_exceedances(times, top, first, observed, blocks):
    windows = brute_windows(times, first, 60, 4)
    big_c, big_n = int(sum(top)), len(top)
    hits = []
    for labels in np.vstack(list(blocks)):
        best = max(hand_llr(int(sum(labels[k - first] for k in m)), len(m), big_c, big_n)
                   for _, _, m in windows)
        hits.append(best >= observed - 1e-9)
    return np.array(hits)


def test_permutation_p_counts_the_same_shuffles():
    times, top = tiny(5)
    scan = fraud.burst_scan(times, top, 1000, max_window=60, min_count=4, permutations=199,
                            rng=np.random.default_rng(11))
    blocks = fraud.reviewed_labels(int(top.sum()), 70, 30, 199, np.random.default_rng(11))
    hits = brute_exceedances(times, top, 40, scan.llr, blocks)
    assert len(hits) == 199
    assert scan.exceedances == hits.sum()
    assert scan.p == (1 + hits.sum()) / 200
    assert scan.draws == 199


def test_sequential_stop_is_besag_clifford_over_the_same_shuffles():
    times, top = tiny(6)
    top[52:58] = False
    scan = fraud.burst_scan(times, top, 1000, max_window=60, min_count=4, permutations=199,
                            rng=np.random.default_rng(3), stop_after=5)
    blocks = fraud.reviewed_labels(int(top.sum()), 70, 30, 199, np.random.default_rng(3))
    hits = brute_exceedances(times, top, 40, scan.llr, blocks)
    fifth = int(np.flatnonzero(hits)[4]) + 1
    assert (scan.p, scan.exceedances, scan.draws) == (5 / fifth, 5, fifth)


def test_reviewed_labels_are_the_tail_of_a_full_shuffle():
    """C = 2 tops among N = 5, 3 reviewed: the tail patterns of all 5! orders, exactly."""
    exact = {}
    for order in itertools.permutations([1, 1, 0, 0, 0]):
        exact[order[2:]] = exact.get(order[2:], 0) + 1 / 120
    draws = np.vstack(list(fraud.reviewed_labels(2, 5, 3, 30000, np.random.default_rng(8))))
    seen = {tuple(row): 0 for row in exact}
    for row in map(tuple, draws.tolist()):
        seen[row] += 1
    keys = sorted(exact)
    result = stats.chisquare([seen[k] for k in keys], [exact[k] * 30000 for k in keys])
    assert len(seen) == len(exact) == 7
    assert result.pvalue > 0.001


def test_unit_without_contrast_or_window_gives_none():
    times = np.arange(20.0)
    assert fraud.burst_scan(times, np.ones(20, bool), 10, max_window=5, min_count=3,
                            permutations=99, rng=np.random.default_rng(0)) is None
    assert fraud.burst_scan(times, np.arange(20) % 2 == 0, 18, max_window=5, min_count=3,
                            permutations=99, rng=np.random.default_rng(0)) is None


# --- identical runs ---------------------------------------------------------------------------

RUN_MINUTES = [0, 1, 2, 10, 11, 11.5, 20, 23, 31]
RUN_PATTERNS = ["A", "A", "A", "B", "B", "A", "C", "C", "C"]


def test_identical_pairs_hand_count():
    # close pairs (≤ 3 min): 0-1 A=A, 1-2 A=A, 3-4 B=B, 4-5 B≠A, 6-7 C=C (exactly 3 min);
    # 2-3, 5-6 and 7-8 are too far apart: 4 identical close pairs.
    times = np.array(RUN_MINUTES)
    codes = np.array([0, 0, 0, 1, 1, 0, 2, 2, 2])
    assert fraud.identical_pairs(times, codes, 3) == 4
    frame = pd.DataFrame({"unit": "U", "at": DAY0 + pd.to_timedelta(RUN_MINUTES, unit="min"),
                          "pattern": RUN_PATTERNS})
    row = fraud.identical_runs(frame, "unit", DAY0, permutations=99).iloc[0]
    assert (row["count"], row["statistic"]) == (4, 4.0)
    assert row["expected"] == pytest.approx(5 * (4 * 3 + 2 * 1 + 3 * 2) / (9 * 8), rel=1e-13)
    assert (row["start"], row["end"]) == (DAY0, DAY0 + 2 * MINUTE)
    assert (row["evidence"]["longest_run"], row["evidence"]["pattern"]) == (3, "A")


def test_identical_p_counts_the_same_shuffles():
    times = np.array(RUN_MINUTES)
    codes = np.array([0, 0, 0, 1, 1, 0, 2, 2, 2])
    runs = fraud.run_scan(times, codes, max_gap=3, permutations=299,
                          rng=np.random.default_rng(4))
    shuffles = np.vstack(list(fraud.shuffled(codes, 299, np.random.default_rng(4))))
    counts = [sum(1 for i in range(8) if times[i + 1] - times[i] <= 3 and row[i] == row[i + 1])
              for row in shuffles.tolist()]
    k = sum(c >= 4 for c in counts)
    assert sorted(shuffles[17].tolist()) == sorted(codes.tolist())
    assert (runs.p, runs.exceedances) == ((1 + k) / 300, k)


def test_expected_pairs_is_the_mean_over_every_arrangement():
    """All 9!/(4!·2!·3!) = 1,260 distinct arrangements of the vectors over the times."""
    times = np.array(RUN_MINUTES)
    totals = []
    for a in itertools.combinations(range(9), 4):
        rest = [i for i in range(9) if i not in a]
        for b in itertools.combinations(rest, 2):
            codes = np.full(9, 2)
            codes[list(a)], codes[list(b)] = 0, 1
            totals.append(fraud.identical_pairs(times, codes, 3))
    runs = fraud.run_scan(times, np.array([0, 0, 0, 1, 1, 0, 2, 2, 2]), max_gap=3,
                          permutations=99, rng=np.random.default_rng(0))
    assert len(totals) == 1260
    assert runs.expected == pytest.approx(np.mean(totals), rel=1e-12)


# --- off hours --------------------------------------------------------------------------------

def off_frame(history: int, history_off: int, reviewed: int, reviewed_off: int):
    times = np.concatenate([np.linspace(0, 59 * 1440, history),
                            60 * 1440 + np.linspace(0, 19 * 1440, reviewed)])
    off = np.zeros(history + reviewed, bool)
    off[:history_off] = True
    off[history:history + reviewed_off] = True
    return pd.DataFrame({"unit": "U", "at": DAY0 + pd.to_timedelta(times, unit="min"),
                         "off_hours": off})


@pytest.mark.parametrize(("history", "history_off", "reviewed", "x", "rate"), [
    (400, 3, 150, 6, 3.5 / 401), (400, 0, 150, 4, 0.005), (0, 0, 30, 20, 0.5)])
def test_off_hours_p_is_binomtest(history, history_off, reviewed, x, rate):
    row = fraud.off_hours_excess(off_frame(history, history_off, reviewed, x), "unit",
                                 CUT).iloc[0]
    assert row["p"] == pytest.approx(
        stats.binomtest(x, reviewed, rate, alternative="greater").pvalue, rel=1e-12)
    assert row["expected"] == pytest.approx(reviewed * rate, rel=1e-13)
    assert (row["count"], row["evidence"]["history_off_hours"]) == (x, history_off)


# --- multiple testing -------------------------------------------------------------------------

P_VALUES = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
            0.4262, 0.5719, 0.6528, 0.7590, 1.0, 0.0278, 0.5]
#: statsmodels 0.14 ``multipletests(P_VALUES, method="fdr_bh")[1]``.
STATSMODELS_BH = [0.0017000000000000001, 0.0034000000000000002, 0.010766666666666666,
                  0.040375, 0.063325, 0.063325, 0.063325, 0.06497777777777777, 0.07803,
                  0.5007272727272727, 0.6037833333333333, 0.69445, 0.73984, 0.8064375, 1.0,
                  0.063325, 0.6538461538461539]


def test_bh_equals_statsmodels_fdr_bh():
    assert fraud.benjamini_hochberg(P_VALUES) == pytest.approx(STATSMODELS_BH, rel=1e-12)


def test_bh_equals_scipy_false_discovery_control():
    p = np.random.default_rng(9).beta(0.4, 1.0, 250).round(3)
    assert fraud.benjamini_hochberg(p) == pytest.approx(
        stats.false_discovery_control(p, method="bh"), rel=1e-12)


# --- frames: clean data and planted fraud ------------------------------------------------------

def simulated(units: int = 150, seed: int = 20, plant: bool = False) -> pd.DataFrame:
    """Per unit 80 days of 15–25 responses in 07:30–15:00; 27 % all-top ('T'), other answer
    vectors from 400 Zipf-weighted ones; 0.3 % off hours; days 60–79 reviewed."""
    rng = np.random.default_rng(seed)
    per_day = rng.integers(15, 26, (units, 80))
    unit = np.repeat(np.repeat(np.arange(units), 80), per_day.ravel())
    day = np.repeat(np.tile(np.arange(80), units), per_day.ravel())
    minutes = day * 1440 + 450 + rng.uniform(0, 450, len(unit))
    top = rng.random(len(unit)) < 0.27
    weights = 1 / np.arange(1, 401)
    other = rng.choice(400, len(unit), p=weights / weights.sum())
    pattern = np.where(top, "T", np.char.add("v", other.astype(str)))
    off = rng.random(len(unit)) < 0.003
    frame = pd.DataFrame({"unit": np.char.add("U", unit.astype(str)), "minutes": minutes,
                          "top": top, "off_hours": off, "pattern": pattern})
    if plant:
        burst = 70 * 1440 + 600 + np.sort(rng.uniform(0, 40, 12))
        evenings = 60 * 1440 + np.arange(10) * 2 * 1440 + 1200
        run = 72 * 1440 + 500 + np.arange(10) * 1.0
        frame = pd.concat([frame, pd.DataFrame({
            "unit": ["U1"] * 12 + ["U2"] * 10 + ["U3"] * 10,
            "minutes": np.concatenate([burst, evenings, run]),
            "top": [True] * 22 + [False] * 10, "off_hours": [False] * 12 + [True] * 10
            + [False] * 10,
            "pattern": [f"T-{i}" for i in range(12)] + [f"T-{i}" for i in range(10)]
            + ["planted"] * 10})], ignore_index=True)
    frame["at"] = DAY0 + pd.to_timedelta(frame.pop("minutes"), unit="min")
    return frame


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return simulated()


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return simulated(units=12, seed=21, plant=True)


@pytest.mark.parametrize("kind", fraud.KINDS)
def test_clean_data_keeps_the_level(clean, kind):
    run = {"top_burst": lambda f: fraud.top_bursts(f, "unit", CUT, permutations=199),
           "off_hours": lambda f: fraud.off_hours_excess(f, "unit", CUT),
           "identical_run": lambda f: fraud.identical_runs(f, "unit", CUT, permutations=199)}
    rows = run[kind](clean)
    assert len(rows) == 150
    assert (rows["p"] <= 0.05).sum() <= stats.binom.ppf(0.9995, 150, 0.05)


def test_planted_fraud_has_small_p(planted):
    bursts = fraud.top_bursts(planted, "unit", CUT, permutations=199).set_index("unit")
    off = fraud.off_hours_excess(planted, "unit", CUT).set_index("unit")
    runs = fraud.identical_runs(planted, "unit", CUT, permutations=199).set_index("unit")
    planted_at = planted["at"][planted["pattern"].str.startswith("T-")].iloc[:12]
    assert bursts.loc["U1", "p"] == 1 / 200
    start, end = bursts.loc["U1", "start"], bursts.loc["U1", "end"]
    inside = planted[(planted["unit"] == "U1") & planted["at"].between(start, end)]
    assert planted_at.between(start, end).all()
    assert bursts.loc["U1", "count"] == inside["top"].sum()
    assert bursts.loc["U1", "evidence"]["responses"] == len(inside)
    assert off.loc["U2", "p"] < 1e-4
    assert runs.loc["U3", "p"] == 1 / 200
    period = planted[(planted["unit"] == "U3") & (planted["at"] >= CUT)].sort_values("at")
    same = ((period["pattern"] == period["pattern"].shift())
            & (period["at"].diff() <= 3 * MINUTE)).tolist()
    longest = max(len(list(g)) for value, g in itertools.groupby(same) if value) + 1
    assert runs.loc["U3", "count"] == sum(same)
    assert (runs.loc["U3", "evidence"]["longest_run"], runs.loc["U3", "evidence"]["pattern"]) \
        == (longest, "planted")


def test_signals_flag_the_planted_units_with_bh_over_all_tests(planted):
    found = fraud.signals(planted, ["unit"], CUT)
    flagged = set(zip(found.loc[found["signal"], "kind"], found.loc[found["signal"], "unit"]))
    assert flagged == {("top_burst", "U1"), ("off_hours", "U2"), ("identical_run", "U3")}
    kinds = [fraud.top_bursts(planted, "unit", CUT, max_window=pd.Timedelta(hours=1),
                              min_count=10, permutations=1999, stop_after=20),
             fraud.off_hours_excess(planted, "unit", CUT),
             fraud.identical_runs(planted, "unit", CUT, permutations=1999, stop_after=20)]
    each = pd.concat(kinds).sort_values(["kind", "unit"]).reset_index(drop=True)
    assert list(found.columns) == [*fraud.COLUMNS, "q", "signal"]
    assert found.drop(columns=["q", "signal"]).sort_values(["kind", "unit"]).reset_index(
        drop=True).drop(columns="evidence").equals(each.drop(columns="evidence"))
    assert found["q"].to_numpy() == pytest.approx(fraud.benjamini_hochberg(found["p"]))
    assert found["q"].is_monotonic_increasing
    assert json.loads(json.dumps(found["evidence"].tolist())) == found["evidence"].tolist()
    assert (found["signal"] == (found["q"] <= 0.05)).all()


def test_signals_draw_enough_shuffles_for_a_lone_signal(planted):
    found = fraud.signals(planted, ["unit"], CUT)
    burst = found[(found["kind"] == "top_burst") & (found["unit"] == "U1")].iloc[0]
    assert fraud.enough_permutations(36, 0.05) == 1999
    assert fraud.enough_permutations(420, 0.05) == 16999
    assert burst["evidence"]["permutations"] == 1999
    assert burst["p"] == 1 / 2000


def test_a_unit_p_does_not_depend_on_the_other_units(planted):
    whole = fraud.top_bursts(planted, "unit", CUT, permutations=199).set_index("unit")
    alone = fraud.top_bursts(planted[planted["unit"] == "U5"], "unit", CUT, permutations=199)
    assert alone["p"].tolist() == [whole.loc["U5", "p"]]


def test_time_zones_give_the_same_signals(planted):
    aware = planted.assign(at=planted["at"].dt.tz_localize("Asia/Ho_Chi_Minh"))
    naive = fraud.signals(planted, "unit", CUT, permutations=199)
    local = fraud.signals(aware, "unit", CUT, permutations=199)
    assert local["p"].tolist() == naive["p"].tolist()
    assert local["start"].dt.tz_localize(None).equals(naive["start"])


def test_too_little_data_gives_no_row():
    at = DAY0 + pd.to_timedelta([0, 1, 2, 61 * 1440, 61 * 1440 + 1, 61 * 1440 + 100], unit="min")
    frame = pd.DataFrame({
        "counter": ["few"] * 6 + ["old"] * 3, "officer": [None] * 9,
        "at": list(at) + list(at[:3]), "top": [True, False, False, True, False, True] * 1
        + [True] * 3, "off_hours": False, "pattern": ["a", "b", "c", "a", "b", "c"]
        + ["a"] * 3})
    found = fraud.signals(frame, ["counter", "officer"], CUT, permutations=99)
    assert sorted(zip(found["kind"], found["unit"])) == [("off_hours", "few")]


# --- arguments --------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "message"), [
    (lambda f: fraud.top_bursts(f.drop(columns="top"), "unit", CUT), "lacks the column.*'top'"),
    (lambda f: fraud.signals(f, ["unit", "officer"], CUT), "lacks the column.*'officer'"),
    (lambda f: fraud.top_bursts(f, "unit", CUT, max_window=pd.Timedelta(0)), "max_window"),
    (lambda f: fraud.top_bursts(f, "unit", CUT, max_window="soon"), "max_window"),
    (lambda f: fraud.identical_runs(f, "unit", CUT, max_gap=-MINUTE), "max_gap"),
    (lambda f: fraud.top_bursts(f, "unit", CUT, min_count=1), "min_count"),
    (lambda f: fraud.top_bursts(f, "unit", CUT, permutations=98), "permutations"),
    (lambda f: fraud.identical_runs(f, "unit", CUT, permutations=999.0), "permutations"),
    (lambda f: fraud.off_hours_excess(f, "unit", CUT, floor=0), "floor"),
    (lambda f: fraud.signals(f, "unit", CUT, fdr=0), "fdr"),
    (lambda f: fraud.signals(f, "unit", CUT, window=3), "unknown option"),
    (lambda f: fraud.signals(f, [], CUT), "units"),
    (lambda f: fraud.signals(f, "unit", pd.NaT), "review_from"),
    (lambda f: fraud.signals(f, "unit", CUT.tz_localize("UTC")), "time zone"),
    (lambda f: fraud.signals(f.assign(at=f["at"].astype(str)), "unit", CUT), "datetime64"),
    (lambda f: fraud.signals(f.assign(top=np.where(f.index == 3, None, f["top"])), "unit", CUT),
     "'top' has missing"),
])
def test_bad_arguments_are_refused(planted, call, message):
    with pytest.raises(ValueError, match=message):
        call(planted)


def test_importing_fraud_loads_neither_scipy_nor_the_web_layer():
    code = ("import sys, analysis.fraud\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'survey', 'scipy'))\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
