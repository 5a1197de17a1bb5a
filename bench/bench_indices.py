"""Benchmark: ``sipas.indices`` for a province-year of 200,000 synthetic responses.

Two designs, timed in one run (best of ``BENCH_RUNS``): strata agency + clusters counter, and the
same design post-stratified to agency × area totals. Goal: each under 5 s (these were timed unit
tests once; timings belong here, not in ``make test``).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import sipas, weighting
from analysis.design import SurveyDesign

RESPONSES = int(os.environ.get("BENCH_RESPONSES", "200000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
GOAL_SECONDS = 5.0
CRITERIA = ROOT / "tests" / "fixtures" / "criteria.csv"


def province(seed: int) -> pd.DataFrame:
    """Random answers to the 22 criteria with 40 agencies, 5 counters each, 10 areas."""
    rng = np.random.default_rng(seed)
    structure = sipas.Structure.from_criteria_csv(CRITERIA)
    frame = pd.DataFrame(rng.integers(1, 6, size=(RESPONSES, 22)).astype(float),
                         columns=structure.criteria)
    frame["agency"] = rng.integers(0, 40, RESPONSES)
    frame["counter"] = frame["agency"] * 10 + rng.integers(0, 5, RESPONSES)
    frame["area"] = rng.integers(0, 10, RESPONSES)
    frame["weight"] = rng.uniform(1, 5, RESPONSES)
    return frame


def best(action) -> float:
    """The best wall time of ``RUNS`` calls."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    """Time both designs and print them beside the goal."""
    structure = sipas.Structure.from_criteria_csv(CRITERIA)
    frame = province(5)
    plain = SurveyDesign(frame, strata="agency", clusters="counter")
    weighted = SurveyDesign(frame, weights="weight", strata="agency", clusters="counter")
    totals = frame.groupby(["agency", "area"], as_index=False)["weight"].sum()
    calibrated = weighting.post_stratify(weighted, totals.rename(columns={"weight": "total"}))
    first = best(lambda: sipas.indices(plain, structure, by="area"))
    second = best(lambda: sipas.indices(calibrated, structure, by="area"))
    print(f"sipas.indices at {RESPONSES:,} responses by area: strata + clusters {first:.2f} s, "
          f"post-stratified {second:.2f} s (goal < {GOAL_SECONDS:g} s each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
