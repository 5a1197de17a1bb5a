"""Synthetic SIPAS responses for benchmarks and simulations (seeded, vectorised).

``make_frame(n)``: agencies as strata (40), counters as PSUs (~200, unique codes), 10 service
areas, dossier weights per (agency, service area) cell, 22 criteria on 1..5 with agency and
counter effects, ~3 % unanswered (~20 % in GY). ``python bench/make_sipas_data.py N FILE``
writes a CSV.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

CRITERIA = (["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1", "CC2", "CC3",
             "CC4", "CC5", "CC6", "KQ1", "KQ2", "KQ3", "GY1", "GY2", "GY3", "GY4"])


def make_frame(n: int, seed: int = 2026, agencies: int = 40, counters: int = 200,
               areas: int = 10) -> pd.DataFrame:
    """n synthetic responses (see module docstring)."""
    rng = np.random.default_rng(seed)
    counter_agency = np.sort(np.r_[np.arange(agencies),
                                   rng.integers(0, agencies, counters - agencies)])
    counter = rng.integers(0, counters, n)
    agency = counter_agency[counter]
    area = rng.integers(0, areas, n)
    dossiers = rng.integers(200, 5000, (agencies, areas))
    cell = agency * areas + area
    counts = np.bincount(cell, minlength=agencies * areas)
    weight = dossiers.ravel()[cell] / counts[cell]
    level = rng.normal(1.0, 0.35, counters)[counter] + rng.normal(0, 0.2, areas)[area]
    answers = np.empty((n, len(CRITERIA)), dtype=np.float32)
    person = rng.normal(0, 0.6, n)
    for k, code in enumerate(CRITERIA):
        latent = 3.2 + level + person + rng.normal(0, 0.8, n) + 0.05 * (k % 5)
        y = np.clip(np.rint(latent), 1, 5)
        missing = rng.random(n) < (0.20 if code.startswith("GY") else 0.03)
        y[missing] = np.nan
        answers[:, k] = y
    frame = pd.DataFrame({"response_id": np.arange(n),
                          "agency": np.char.add("AG", np.char.zfill(agency.astype(str), 2)),
                          "counter": np.char.add("Q", np.char.zfill(counter.astype(str), 3)),
                          "service_area": np.char.add("LV", np.char.zfill(area.astype(str), 2)),
                          "weight": np.round(weight, 6)})
    answer_frame = pd.DataFrame(answers, columns=CRITERIA).astype("Int8")
    return pd.concat([frame, answer_frame], axis=1)


def write_csv(n: int, path, seed: int = 2026) -> Path:
    """Write n responses to path."""
    make_frame(n, seed).to_csv(path, index=False)
    return Path(path)


if __name__ == "__main__":
    write_csv(int(sys.argv[1]), sys.argv[2])
