"""Coverage of nominal 95 % intervals by simulation (not part of the test suite).

1. Two-stage stratified cluster sample from a finite population (2 strata × 1,000 counters ×
   30 citizens, counter effects; 20 counters per stratum, 5 citizens each: n = 200, design
   df = 38), true share ≈ 0.85: coverage of logit, beta, wilson, wald.
2. Simple random sample n = 100 of p = 0.8 (df = 99).
3. Simple random samples with n drawn in 100..400 and p in 0.70..0.95 per replicate (averages
   out the binomial lattice effects of a single (n, p)).
4. Small cell: simple random sample n = 20 of p = 0.9 (where p̂ = 100 % happens 12 % of the
   time; SE is then 0 and every method falls back to the beta interval, as the library does).
Run: ``.venv/bin/python bench/coverage_sim.py [REPLICATES]`` (default 4000).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import SurveyDesign

METHODS = ("logit", "beta", "wilson", "wald")


def population(rng):
    """A finite population: stratum, counter, y (satisfied 0/1)."""
    n_counters, size = 1000, 30
    stratum = np.repeat([0, 1], n_counters)
    effect = rng.normal(0, 0.7, 2 * n_counters) + np.where(stratum == 0, 0.4, -0.2)
    prob = 1 / (1 + np.exp(-(1.9 + effect)))
    y = (rng.random((2 * n_counters, size)) < prob[:, None]).astype(float)
    return stratum, y


def cluster_replicate(rng, stratum, y, per_stratum=20, take=5):
    """One two-stage sample as a DataFrame with weights."""
    rows = []
    for h in (0, 1):
        counters = rng.choice(np.flatnonzero(stratum == h), per_stratum, replace=False)
        for c in counters:
            people = rng.choice(y.shape[1], take, replace=False)
            rows.append(np.column_stack([np.full(take, h), np.full(take, c), y[c, people]]))
    data = np.vstack(rows)
    weight = (1000 / per_stratum) * (y.shape[1] / take)
    return pd.DataFrame({"h": data[:, 0], "j": data[:, 1], "y": data[:, 2], "w": weight})


def coverage(samples, truth) -> dict:
    """Share of replicates whose interval contains the truth, per method."""
    hits = {m: 0 for m in METHODS}
    count = 0
    for frame, design_args in samples:
        design = SurveyDesign(frame, **design_args)
        for m in METHODS:
            r = design.proportion("y", 1.0, ci=m)
            hits[m] += r.ci_low <= truth <= r.ci_high
        count += 1
    return {m: hits[m] / count for m in METHODS}


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    rng = np.random.default_rng(42)
    stratum, y = population(rng)
    truth = y.mean()
    args = {"weights": "w", "strata": "h", "clusters": "j"}
    cov = coverage(((cluster_replicate(rng, stratum, y), args) for _ in range(reps)), truth)
    se = np.sqrt(0.95 * 0.05 / reps)
    print(f"replicates per scenario: {reps} (Monte Carlo SE of a coverage ≈ {se:.3f})")
    print(f"stratified cluster sample n=200, df=38, true share {truth:.3f}: "
          + ", ".join(f"{m} {100 * c:.1f} %" for m, c in cov.items()))
    hits = {m: 0 for m in METHODS}
    for _ in range(reps):
        n, p = int(rng.integers(100, 401)), float(rng.uniform(0.70, 0.95))
        frame = pd.DataFrame({"y": (rng.random(n) < p).astype(float)})
        design = SurveyDesign(frame)
        for m in METHODS:
            r = design.proportion("y", 1.0, ci=m)
            hits[m] += r.ci_low <= p <= r.ci_high
    print("simple random samples n=100..400, p=0.70..0.95: "
          + ", ".join(f"{m} {100 * hits[m] / reps:.1f} %" for m in METHODS))
    for n, p in ((100, 0.8), (20, 0.9)):
        samples = ((pd.DataFrame({"y": (rng.random(n) < p).astype(float)}), {})
                   for _ in range(reps))
        cov = coverage(samples, p)
        print(f"simple random sample n={n}, p={p}: "
              + ", ".join(f"{m} {100 * c:.1f} %" for m, c in cov.items()))


if __name__ == "__main__":
    main()
