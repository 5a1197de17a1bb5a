"""Benchmark: false alarms and detection delay of the early-warning chart (``analysis.warning``).

Simulated SIPAS responses on questionnaire ``sipas`` (22 criteria, 5 elements). Respondent r of
unit u in week w answers criterion k with the latent y = μ_u + ω_uw + δ_uw + σ_p·ξ_r + β_k + ε_rk
(ξ, ε standard normal, σ_p = 0.8: criteria correlated within a person), cut at −1.6, −0.8, 0,
1.0 into the answers 1..5 (satisfied, 4 or 5, when y ≥ 0); 3 % of answers unanswered (GY 10 %).
β_k ~ N(0, 0.3²) (seeded), GY 0.2 lower. The expected index of a unit is
I(μ) = Σ_e c_e mean_{k∈e} Φ((μ + β_k)/√(σ_p² + 1)); μ_u is solved numerically for a target
index drawn uniformly in 72–88 % (80 % on average). Week wobble: ω_uw ~ N(0, (τ/I'(μ_u))²),
τ = 1 point of index. A "10-point drop" is the shift δ_u solved numerically so that
I(μ_u + δ_u) = I(μ_u) − 10. Responses per unit-week: Poisson with mean 30.

- stable units: ``BENCH_STABLE`` (80) units × ``BENCH_WEEKS`` (60) weeks, in provinces of 40;
  charted at every week with a full history (weeks 20 on); false alarms per 100 unit-weeks
  (goal ≤ 1);
- dropped units: ``BENCH_DROPPED`` (240) units, 21 weeks of history then the drop, followed
  ``BENCH_FOLLOW`` (12) weeks. Each forms a province with 39 of the stable units (chosen at
  random, at a random stretch of their weeks, relabelled to its calendar), so the BH family of
  every week is 40 units, one of them dropped; the stable units' p-values are shared between
  provinces, which does not bias the delays. Delay = weeks from the start of the drop to the
  first alarm (1 = alarmed at the end of the first dropped week); goal: median ≤ 3 weeks.

Also printed: the per-response SD of the composite (√n · SE of a week's index), Cronbach's α of
the satisfied indicators, and the time of ``weekly_indices`` on ``BENCH_ROWS`` (250,000)
responses × 22 criteria × 3 levels (officer, counter, agency over a year) and of ``chart`` on
all of its weeks and on its last week (goal for ``weekly_indices``, median of ``BENCH_RUNS``
(3) runs: ≤ 2 s on this 2-core machine; the first run also pays for importing scipy.sparse).
Chart settings are the defaults of ``ChartSettings`` unless ``BENCH_LAM``/``BENCH_WINDOW`` are
set. Exit status 0 whether or not the goals are met. Run: ``.venv/bin/python
bench/bench_warning.py`` (about a minute).
"""
from __future__ import annotations

import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import sipas, warning

SEED = int(os.environ.get("BENCH_SEED", "20260105"))
STABLE = int(os.environ.get("BENCH_STABLE", "80"))
WEEKS = int(os.environ.get("BENCH_WEEKS", "60"))
DROPPED = int(os.environ.get("BENCH_DROPPED", "240"))
FOLLOW = int(os.environ.get("BENCH_FOLLOW", "12"))
PER_WEEK = float(os.environ.get("BENCH_PER_WEEK", "30"))
ROWS = int(os.environ.get("BENCH_ROWS", "250000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PROVINCE, HISTORY, TAU, DROP = 40, 21, 1.0, 10.0
SD_PERSON, CUTS = 0.8, np.array([-1.6, -0.8, 0.0, 1.0])
GOAL_FALSE, GOAL_MEDIAN, GOAL_SECONDS = 1.0, 3.0, 2.0
MONDAY = date(2026, 1, 5)
LABELS = np.array([MONDAY + timedelta(weeks=w) for w in range(-60, 160)], dtype=object)


def label(week):
    """Week labels (Monday dates) of week numbers (0 = 2026-01-05)."""
    return LABELS[np.asarray(week) + 60]


class Model:
    """The latent model of the questionnaire: criterion effects and the expected index."""

    def __init__(self, structure, rng):
        self.structure = structure
        criteria = structure.criteria
        gy = np.array([c.startswith("GY") for c in criteria])
        self.beta = rng.normal(0, 0.3, len(criteria)) - 0.2 * gy
        self.skip = np.where(gy, 0.10, 0.03)
        weights = np.array([e.weight for e in structure.elements])
        self.b = np.concatenate([np.full(len(e.criteria), w / weights.sum() / len(e.criteria))
                                 for e, w in zip(structure.elements, weights)])

    def index(self, mu):
        """Expected SIPAS index (percent) at latent mean ``mu`` (array)."""
        scale = np.sqrt(SD_PERSON ** 2 + 1)
        mu = np.asarray(mu, dtype=float)[..., None]
        return 100 * (special.ndtr((mu + self.beta) / scale) @ self.b)

    def solve(self, target):
        """μ with index(μ) = target, by bisection (vectorised)."""
        lo, hi = np.full(np.shape(target), -6.0), np.full(np.shape(target), 6.0)
        for _ in range(80):
            mid = (lo + hi) / 2
            low = self.index(mid) < target
            lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
        return (lo + hi) / 2

    def slope(self, mu):
        """d index / d μ (points per latent unit)."""
        return (self.index(mu + 1e-5) - self.index(mu - 1e-5)) / 2e-5

    def answers(self, rng, mean):
        """Answers of respondents with latent means ``mean`` (one per respondent)."""
        person = mean + rng.normal(0, SD_PERSON, len(mean))
        latent = person[:, None] + self.beta + rng.normal(0, 1, (len(mean), len(self.beta)))
        values = 1.0 + np.searchsorted(CUTS, latent, side="right")
        values[rng.random(values.shape) < self.skip] = np.nan
        return values


def simulate(model, rng, mu, weeks, drop_from=None, delta=None):
    """Responses of units with latent means ``mu`` over ``weeks`` weeks (unit_id, week)."""
    units = len(mu)
    wobble = rng.normal(0, 1, (units, weeks)) * (TAU / model.slope(mu))[:, None]
    mean = mu[:, None] + wobble
    if drop_from is not None:
        mean[:, drop_from:] += delta[:, None]
    sizes = rng.poisson(PER_WEEK, (units, weeks))
    unit = np.repeat(np.arange(units), sizes.sum(axis=1))
    week = np.tile(np.arange(weeks), units).repeat(sizes.ravel())
    keys = pd.DataFrame({"unit_id": unit, "week": label(week)})
    return keys, model.answers(rng, mean[unit, week])


def settings():
    defaults = warning.ChartSettings()
    return warning.ChartSettings(lam=float(os.environ.get("BENCH_LAM", defaults.lam)),
                                 window=int(os.environ.get("BENCH_WINDOW", defaults.window)))


def shift_weeks(weekly, by):
    """The weekly rows with their week labels moved by ``by`` weeks."""
    numbers = warning.week_numbers(weekly["week"]) - warning.week_numbers([MONDAY])[0]
    return weekly.assign(week=label(numbers + by))


def stable_false_alarms(weekly, config):
    """Alarms and tested unit-weeks of the stable provinces (BH within each province-week)."""
    alarms = tested = 0
    for start in range(0, STABLE, PROVINCE):
        part = weekly[weekly["unit"].between(start, start + PROVINCE - 1)]
        table = warning.chart(part, config, weeks=label(np.arange(HISTORY - 1, WEEKS)))
        ok = table["status"] != "insufficient"
        tested += int(ok.sum())
        alarms += int(table["alarm"].sum())
    return alarms, tested


def delays(model, rng, stable_weekly, config):
    """Detection delay of every dropped unit, and alarms of its 39 stable neighbours."""
    target = rng.uniform(72, 88, DROPPED)
    mu = model.solve(target)
    delta = model.solve(model.index(mu) - DROP) - mu
    span = HISTORY + FOLLOW
    keys, answers = simulate(model, rng, mu, span, HISTORY, delta)
    dropped = warning.weekly_indices(keys, answers, model.structure, ["unit_id"])
    dropped["unit"] = dropped["unit"] + 10_000
    out, neighbour_alarms, neighbour_tests = [], 0, 0
    tested = label(np.arange(HISTORY - 1, span))
    numbers = warning.week_numbers(stable_weekly["week"]) - warning.week_numbers([MONDAY])[0]
    for r in range(DROPPED):
        offset = int(rng.integers(0, WEEKS - span + 1))
        members = rng.choice(STABLE, PROVINCE - 1, replace=False)
        pick = stable_weekly["unit"].isin(members).to_numpy() \
            & (numbers >= offset) & (numbers < offset + span)
        neighbours = shift_weeks(stable_weekly[pick], -offset)
        province = pd.concat([dropped[dropped["unit"] == 10_000 + r], neighbours],
                             ignore_index=True)
        province.attrs["structure"] = model.structure
        table = warning.chart(province, config, weeks=tested)
        mine = table[table["unit"] == 10_000 + r]
        weeks = warning.week_numbers(mine["week"]) - warning.week_numbers([MONDAY])[0]
        hit = weeks[mine["alarm"].to_numpy() & (weeks >= HISTORY)]
        out.append(hit.min() - HISTORY + 1 if len(hit) else np.inf)
        others = table[table["unit"] != 10_000 + r]
        neighbour_alarms += int(others["alarm"].sum())
        neighbour_tests += int((others["status"] != "insufficient").sum())
    return np.array(out, dtype=float), neighbour_alarms, neighbour_tests, target


def cronbach(answers):
    """Cronbach's α of the satisfied indicators (complete responses)."""
    complete = answers[~np.isnan(answers).any(axis=1)] >= 4
    k = complete.shape[1]
    return k / (k - 1) * (1 - complete.var(axis=0, ddof=1).sum()
                          / complete.sum(axis=1).var(ddof=1))


def timing(model, rng):
    """Seconds of ``weekly_indices`` (3 levels; ``RUNS`` runs) and ``chart`` on ``ROWS``
    responses."""
    officer = rng.integers(0, 600, ROWS)
    week = rng.integers(0, 52, ROWS)
    keys = pd.DataFrame({"officer_id": officer, "counter_id": officer // 3,
                         "agency_id": officer // 30, "week": label(week)})
    mu = model.solve(rng.uniform(72, 88, 600))
    answers = model.answers(rng, mu[officer])
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        weekly = warning.weekly_indices(keys, answers, model.structure,
                                        ["officer_id", "counter_id", "agency_id"])
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    warning.chart(weekly)
    chart_seconds = time.perf_counter() - started
    started = time.perf_counter()
    warning.chart(weekly, weeks=label([51]))
    return times, chart_seconds, time.perf_counter() - started, len(weekly)


def verdict(ok: bool) -> str:
    return "goal met" if ok else "goal MISSED"


def main() -> None:
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    structure = sipas.load_structure("sipas")
    model = Model(structure, rng)
    config = settings()
    mu = model.solve(rng.uniform(72, 88, STABLE))
    keys, answers = simulate(model, rng, mu, WEEKS)
    stable = warning.weekly_indices(keys, answers, structure, ["unit_id"])
    false, tested = stable_false_alarms(stable, config)
    delay, neighbour_alarms, neighbour_tests, _ = delays(model, rng, stable, config)
    observed = stable[stable["n"] >= config.min_week]
    per_response = float(np.median(observed["se"] * np.sqrt(observed["n"])))
    times, chart_all, chart_last, weekly_rows = timing(model, rng)
    seconds = float(np.median(times))

    rate = 100 * false / tested
    median = float(np.percentile(delay, 50, method="inverted_cdf"))
    p90 = float(np.percentile(delay, 90, method="inverted_cdf"))

    def weeks(value):
        return f"> {FOLLOW}" if np.isinf(value) else f"{value:.0f}"

    print(f"early-warning chart: lam={config.lam}, window={config.window}, baseline="
          f"{config.baseline}, alpha={config.alpha}, BH fdr={config.fdr} per province-week "
          f"of {PROVINCE} units; Poisson({PER_WEEK:g}) responses a unit-week, tau = {TAU:g} "
          "point")
    print(f"  per-response SD of the composite {per_response:.1f} points (weekly SE "
          f"{per_response / np.sqrt(PER_WEEK):.1f} at {PER_WEEK:g}); Cronbach's alpha "
          f"{cronbach(answers):.2f}; index of the stable units {stable['estimate'].mean():.1f} %")
    print(f"  false alarms, stable units: {false} in {tested} unit-weeks = {rate:.2f} per 100 "
          f"(goal <= {GOAL_FALSE:g}): {verdict(rate <= GOAL_FALSE)}")
    print(f"  false alarms, stable units beside a dropped one: {neighbour_alarms} in "
          f"{neighbour_tests} unit-weeks = {100 * neighbour_alarms / neighbour_tests:.2f} per 100")
    print(f"  10-point drop, {DROPPED} units: delay median {weeks(median)} weeks (goal <= "
          f"{GOAL_MEDIAN:g}): {verdict(median <= GOAL_MEDIAN)}; 90th percentile "
          f"{weeks(p90)}; detected within 1/2/4/8 weeks "
          + "/".join(f"{np.mean(delay <= d):.0%}" for d in (1, 2, 4, 8))
          + f"; not within {FOLLOW}: {np.mean(np.isinf(delay)):.0%}")
    print(f"  weekly_indices on {ROWS:,} responses x 22 criteria x 3 levels ({weekly_rows:,} "
          f"unit-weeks): median of {RUNS} runs {seconds:.2f} s (first {times[0]:.2f} s; "
          f"goal <= {GOAL_SECONDS:g} s): "
          f"{verdict(seconds <= GOAL_SECONDS)}; chart of all weeks {chart_all:.2f} s, of the "
          f"last week {chart_last:.2f} s")
    print(f"  total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
