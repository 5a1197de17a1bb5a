"""Benchmark: power and false positives of ``analysis.fraud.signals`` in simulated provinces.

A province like the demo: 40 counters (devices) in 10 agencies, each counter with 2–3 officers
on rotating duty (half-days in turn), 8–30 responses per counter per working day (its own mean,
daily counts Poisson) at uniform times in Vietnamese office hours (Mon–Fri 07:30–11:30 and
13:30–17:00); 0.3 % of honest ratings come in the half-hour after closing (off hours, honest).
12 weeks of history, then the 4 reviewed weeks. Honest answers to 22 criteria from a latent
satisfaction model: round(4.5 + counter effect N(0, 0.2²) + officer effect N(0, 0.1²) +
person N(0, 0.9²) + item N(0, 0.3²)) clipped to 1–5, 4 % unanswered, which gives about 27 %
honest all-top ratings and 85 % satisfied answers.

Planted in the reviewed period of ``BENCH_REPLICATES`` provinces per kind (each kind in its own
provinces, so a fraud is detected alone, as it would be):
(a) burst: 12 all-top ratings within 40 minutes at one counter during one officer's half-day;
(b) off hours: 10 all-top ratings at one device on 10 evenings (17:30–21:00), no officer;
(c) identical: 10 ratings with the same answers (all 4, "hài lòng") about a minute apart
(50–70 s) at one counter during one officer's half-day.

``signals`` runs with its defaults (FDR 5 % over all kinds, levels counter and officer, a few
hundred tests per province; shuffles enough for a lone signal to pass BH, sequential stop;
bursts of ≥ 10 ratings within 1 hour, off-hours floor 0.005). With 2 hours and 5 ratings
(``top_bursts``'s own defaults) the burst power was 80 %. Off hours is the weak kind: the
planted ratings carry no officer, so one test must pass BH alone (p ≤ 0.05/m), and the floor
(0.005, above the honest 0.3 %) makes 10 extra ratings at a busy device (500+ a period) reach
p ≈ 1e-4 only; ``BENCH_FLOOR=0.003`` gives about 90 %.
Printed per kind: power = share of planted provinces where the planted counter (and the planted
officer, for a and c) gets ``signal`` for that kind; on ``BENCH_REPLICATES`` clean provinces:
signals per 100 units per reviewed period and the share of provinces with any signal; also the
signals at units not planted in planted provinces. Goals: power ≥ 80 % per kind, false
positives ≤ 1 per 100 units. Exit status 0 (a figure, not a test).

Environment: ``BENCH_REPLICATES`` (default 50), ``BENCH_SEED`` (default 2026); options of
``signals`` to try other settings: ``BENCH_MAX_WINDOW`` and ``BENCH_MAX_GAP`` (minutes),
``BENCH_MIN_COUNT``, ``BENCH_FLOOR``.
Run: ``.venv/bin/python bench/bench_fraud.py``.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import fraud

REPLICATES = int(os.environ.get("BENCH_REPLICATES", "50"))
SEED = int(os.environ.get("BENCH_SEED", "2026"))
AGENCIES, COUNTERS, OFFICERS, DAILY = 10, 40, (2, 3), (8, 30)
HISTORY_WEEKS, REVIEW_WEEKS, CRITERIA = 12, 4, 22
FIRST_DAY = pd.Timestamp("2026-01-05")        # a Monday
MORNING, AFTERNOON = (7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60)
HONEST_OFF_HOURS = 0.003
GOAL_POWER, GOAL_FALSE = 0.80, 1.0
OPTIONS = {name: cast(os.environ[f"BENCH_{name.upper()}"]) for name, cast in
           (("max_window", lambda v: pd.Timedelta(minutes=float(v))), ("min_count", int),
            ("max_gap", lambda v: pd.Timedelta(minutes=float(v))), ("floor", float))
           if f"BENCH_{name.upper()}" in os.environ}
KINDS = {"burst": "top_burst", "off_hours": "off_hours", "identical": "identical_run"}


def outside_hours(at: pd.Series) -> np.ndarray:
    """What the caller computes: outside Mon–Fri 07:30–11:30 and 13:30–17:00."""
    minute = at.dt.hour.to_numpy() * 60 + at.dt.minute.to_numpy()
    inside = (((minute >= MORNING[0]) & (minute < MORNING[1]))
              | ((minute >= AFTERNOON[0]) & (minute < AFTERNOON[1])))
    return ~inside | (at.dt.day_of_week.to_numpy() >= 5)


def answers(rng, shift: np.ndarray) -> np.ndarray:
    """Honest answer vectors as bytes ('1'–'5', '-' unanswered) for linear predictors ``shift``."""
    latent = (4.5 + shift[:, None] + rng.normal(0, 0.9, len(shift))[:, None]
              + rng.normal(0, 0.3, (len(shift), CRITERIA)))
    values = np.clip(np.rint(latent), 1, 5).astype(np.uint8) + ord("0")
    values[rng.random(values.shape) < 0.04] = ord("-")
    return values


def province(rng) -> dict:
    """The honest responses of one province (history and reviewed period) and its structure."""
    agency_of = np.sort(np.concatenate([np.arange(AGENCIES),
                                        rng.integers(0, AGENCIES, COUNTERS - AGENCIES)]))
    officers = rng.integers(OFFICERS[0], OFFICERS[1] + 1, COUNTERS)
    first_officer = np.concatenate([[0], np.cumsum(officers)[:-1]])
    rate = rng.uniform(*DAILY, COUNTERS)
    weeks = HISTORY_WEEKS + REVIEW_WEEKS
    day_offset = (np.arange(weeks)[:, None] * 7 + np.arange(5)[None, :]).ravel()
    per_day = rng.poisson(rate[:, None], (COUNTERS, len(day_offset)))
    counter = np.repeat(np.repeat(np.arange(COUNTERS), len(day_offset)), per_day.ravel())
    day = np.repeat(np.tile(np.arange(len(day_offset)), COUNTERS), per_day.ravel())
    service = (MORNING[1] - MORNING[0]) + (AFTERNOON[1] - AFTERNOON[0])
    minute = rng.uniform(0, service, len(counter))
    afternoon = minute >= MORNING[1] - MORNING[0]
    clock = np.where(afternoon, AFTERNOON[0] + minute - (MORNING[1] - MORNING[0]),
                     MORNING[0] + minute)
    late = rng.random(len(counter)) < HONEST_OFF_HOURS
    clock[late] = AFTERNOON[1] + rng.uniform(0, 30, late.sum())
    afternoon |= late
    duty = (day + counter + afternoon) % officers[counter]
    officer = first_officer[counter] + duty
    counter_effect = rng.normal(0, 0.2, COUNTERS)
    officer_effect = rng.normal(0, 0.1, officers.sum())
    shift = counter_effect[counter] + officer_effect[officer]
    return {"counter": counter, "officer": officer, "day": day, "clock": clock,
            "values": answers(rng, shift), "day_offset": day_offset, "officers": officers,
            "first_officer": first_officer, "agency_of": agency_of}


def planted(rng, honest: dict, kind: str) -> tuple[dict, int, int | None]:
    """Responses of one planted fraud: (columns, counter, officer or None)."""
    counter = int(rng.integers(COUNTERS))
    reviewed_days = np.arange(HISTORY_WEEKS * 5, (HISTORY_WEEKS + REVIEW_WEEKS) * 5)
    day = int(rng.choice(reviewed_days))
    afternoon = bool(rng.integers(2))
    hours = AFTERNOON if afternoon else MORNING
    officer = int(honest["first_officer"][counter]
                  + (day + counter + afternoon) % honest["officers"][counter])
    if kind == "burst":
        begin = rng.uniform(hours[0], hours[1] - 40)
        clock = np.sort(begin + rng.uniform(0, 40, 12))
        values = np.full((12, CRITERIA), ord("5"), dtype=np.uint8)
        days = np.full(12, day)
    elif kind == "identical":
        begin = rng.uniform(hours[0], hours[1] - 12)
        clock = begin + np.concatenate([[0], np.cumsum(rng.uniform(50, 70, 9) / 60)])
        values = np.full((10, CRITERIA), ord("4"), dtype=np.uint8)
        days = np.full(10, day)
    else:
        days = rng.choice(reviewed_days, 10, replace=False)
        clock = rng.uniform(17 * 60 + 30, 21 * 60, 10)
        values = np.full((10, CRITERIA), ord("5"), dtype=np.uint8)
        officer = None
    columns = {"counter": np.full(len(days), counter), "day": days, "clock": clock,
               "values": values,
               "officer": np.full(len(days), -1 if officer is None else officer)}
    return columns, counter, officer


def frame_of(honest: dict, extra: dict | None, rng) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The frame ``signals`` reads, as the caller builds it; and the review cut."""
    columns = {k: honest[k] for k in ("counter", "officer", "day", "clock", "values")}
    if extra is not None:
        columns = {k: np.concatenate([columns[k], extra[k]]) for k in columns}
    seconds = np.rint(columns["clock"] * 60 + rng.uniform(0, 1, len(columns["clock"])))
    at = (FIRST_DAY + pd.to_timedelta(honest["day_offset"][columns["day"]], unit="D")
          + pd.to_timedelta(seconds, unit="s"))
    values = np.ascontiguousarray(columns["values"])
    answered = values != ord("-")
    frame = pd.DataFrame({
        "counter_id": [f"C{c:02d}" for c in columns["counter"]],
        "officer_id": [f"O{o:03d}" if o >= 0 else None for o in columns["officer"]],
        "at": at})
    frame["top"] = ((values == ord("5")) | ~answered).all(axis=1)
    frame["off_hours"] = outside_hours(frame["at"])
    frame["pattern"] = values.view(f"S{CRITERIA}").ravel()
    review_from = FIRST_DAY + pd.Timedelta(weeks=HISTORY_WEEKS)
    return frame, review_from


def run(rng, kind: str | None) -> dict:
    """One province, clean or with one planted fraud: its signals and what was planted."""
    honest = province(rng)
    extra, counter, officer = planted(rng, honest, kind) if kind else (None, None, None)
    frame, review_from = frame_of(honest, extra, rng)
    started = time.perf_counter()
    found = fraud.signals(frame, ["counter_id", "officer_id"], review_from, **OPTIONS)
    seconds = time.perf_counter() - started
    units = frame["counter_id"].nunique() + frame["officer_id"].nunique()
    hits = found[found["signal"]]
    planted_units = set()
    if kind:
        planted_units.add(("counter_id", f"C{counter:02d}"))
        if officer is not None:
            planted_units.add(("officer_id", f"O{officer:03d}"))
    at_planted = {(level, unit) for level, unit, k in
                  zip(hits["level"], hits["unit"], hits["kind"]) if kind and k == KINDS[kind]}
    others = sum((level, unit) not in planted_units
                 for level, unit in zip(hits["level"], hits["unit"]))
    return {"counter": ("counter_id", f"C{counter:02d}") in at_planted if kind else None,
            "officer": (("officer_id", f"O{officer:03d}") in at_planted
                        if officer is not None else None),
            "signals": len(hits), "others": others, "units": units, "tests": len(found),
            "seconds": seconds, "responses": len(frame),
            "per_kind": hits["kind"].value_counts().to_dict()}


def one_big_unit(seed: int = 1) -> tuple[float, float]:
    """Seconds of ``top_bursts`` and ``identical_runs`` (999 shuffles each, no early stop) for
    one unit of 5,000 responses, about 1,280 of them in the reviewed period, 60 a day."""
    rng = np.random.default_rng(seed)
    days = np.repeat(np.arange(84), 60)[:5000]
    minute = MORNING[0] + rng.uniform(0, 450, 5000)
    values = answers(rng, np.zeros(5000))
    frame = pd.DataFrame({"unit": "big", "at": FIRST_DAY + pd.to_timedelta(days, unit="D")
                          + pd.to_timedelta(np.rint(minute * 60), unit="s")})
    frame["top"] = ((values == ord("5")) | (values == ord("-"))).all(axis=1)
    frame["pattern"] = values.view(f"S{CRITERIA}").ravel()
    cut = frame["at"].iloc[3750].normalize()
    started = time.perf_counter()
    fraud.top_bursts(frame, "unit", cut, permutations=999)
    middle = time.perf_counter()
    fraud.identical_runs(frame, "unit", cut, permutations=999)
    return middle - started, time.perf_counter() - middle


def goal(ok: bool) -> str:
    return "goal met" if ok else "MISSED"


def main() -> int:
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    results = {kind: [run(rng, kind) for _ in range(REPLICATES)] for kind in KINDS}
    clean = [run(rng, None) for _ in range(REPLICATES)]
    units = np.mean([r["units"] for r in clean])
    print(f"fraud signals: {REPLICATES} provinces per planted kind and {REPLICATES} clean; "
          f"{units:.0f} units (counters + officers), {np.mean([r['tests'] for r in clean]):.0f} "
          f"tests and {np.mean([r['responses'] for r in clean]):,.0f} responses per province; "
          f"FDR 5 % over all tests; options {OPTIONS or 'the defaults'}")
    for kind, rows in results.items():
        counter = np.mean([r["counter"] for r in rows])
        line = f"  {kind:<10} power at the planted counter {counter:6.1%} (goal ≥ 80 %: " \
               f"{goal(counter >= GOAL_POWER)})"
        officers = [r["officer"] for r in rows if r["officer"] is not None]
        if officers:
            either = np.mean([r["counter"] or r["officer"] for r in rows])
            line += f"; at the planted officer {np.mean(officers):6.1%}; at either {either:6.1%}"
        others = sum(r["others"] for r in rows) / sum(r["units"] for r in rows) * 100
        print(line + f"; signals at other units {others:.2f} per 100 units")
    per_100 = sum(r["signals"] for r in clean) / sum(r["units"] for r in clean) * 100
    any_signal = np.mean([r["signals"] > 0 for r in clean])
    kinds = {k: sum(r["per_kind"].get(k, 0) for r in clean) for k in KINDS.values()}
    print(f"  clean      false positives {per_100:.2f} per 100 units per reviewed period (goal "
          f"≤ {GOAL_FALSE:.0f}: {goal(per_100 <= GOAL_FALSE)}); provinces with any signal "
          f"{any_signal:.1%}; by kind {kinds}")
    burst_s, runs_s = one_big_unit()
    print(f"  one unit of 5,000 responses (1,280 reviewed), 999 shuffles: top_bursts "
          f"{burst_s:.2f} s, identical_runs {runs_s:.2f} s (goal < 1 s: "
          f"{goal(max(burst_s, runs_s) < 1)})")
    seconds = [r["seconds"] for rows in (*results.values(), clean) for r in rows]
    print(f"  signals() per province: median {np.median(seconds):.2f} s, max "
          f"{np.max(seconds):.2f} s; whole run {time.perf_counter() - started:.0f} s "
          f"(seed {SEED})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
