"""Model-based (``analysis.small_area.shrink``) vs direct SIPAS indices of small counters.

Synthetic provinces (seeded): 40 provinces × 12–18 agencies × 3–8 counters. A counter has 3–40
respondents (log-uniform), an agency also 100–250 online respondents without a counter, so an
agency has a few hundred. Each respondent answers the 22 criteria of questionnaire ``sipas``
(3 % unanswered, 20 % in GY): "satisfied" (4 or 5, else 1–3) with probability
expit(η_counter + β_criterion + u_person), η_counter ~ N(η_agency, 0.35²),
η_agency ~ N(η_province, 0.4²), η_province ~ N(2.3, 0.3²), u ~ N(0, 1.5²) (criteria correlated
within a person: Cronbach's α ≈ 0.88 on the satisfied indicators), which puts the median
counter at 84 % (5–95 %: 70–92 %). One stratum per agency, weights N/n and fpc N with
N = 10–30 × n.

Direct estimate of a counter: its SIPAS index from ``sipas.indices(design, "sipas",
by="counter")`` with its logit interval; parent: the agency's SIPAS (by="agency"). True value
of a counter: its expected SIPAS, the mean over elements of the mean over criteria of
E_u expit(η_counter + β_k + u) (Gauss–Hermite). Goals: average coverage of the 95 % model
interval ≥ 93 % and model MSE < direct MSE; exit status 1 when a goal is missed. The direct
intervals cover a little less than 95 %: their SEs target the finite-population value (fpc,
f ≈ 3–10 %) and the linearised variance of a small domain is low by about (n − 1)/n, while
the truth here is the expected (superpopulation) SIPAS.
Run: ``.venv/bin/python bench/bench_small_area.py [SEED]``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import SurveyDesign, sipas, small_area

PROVINCES, AGENCIES, COUNTERS, RESPONDENTS = 40, (12, 18), (3, 8), (3, 40)
ONLINE = (100, 250)
SD_PROVINCE, SD_AGENCY, SD_COUNTER, SD_PERSON, LEVEL = 0.3, 0.4, 0.35, 1.5, 2.3
GOAL_COVERAGE = 0.93


def hierarchy(rng) -> dict:
    """Province → agency → counter effects on the logit scale, and counter sizes."""
    agencies = rng.integers(AGENCIES[0], AGENCIES[1] + 1, PROVINCES)
    province_of = np.repeat(np.arange(PROVINCES), agencies)
    counters = rng.integers(COUNTERS[0], COUNTERS[1] + 1, len(province_of))
    agency_of = np.repeat(np.arange(len(province_of)), counters)
    eta_province = rng.normal(LEVEL, SD_PROVINCE, PROVINCES)
    eta_agency = rng.normal(eta_province[province_of], SD_AGENCY)
    eta_counter = rng.normal(eta_agency[agency_of], SD_COUNTER)
    size = np.rint(np.exp(rng.uniform(*np.log(RESPONDENTS), len(agency_of)))).astype(int)
    online = rng.integers(ONLINE[0], ONLINE[1] + 1, len(province_of))
    return {"agency_of": agency_of, "eta_agency": eta_agency, "eta_counter": eta_counter,
            "size": size, "online": online}


def answers(rng, eta: np.ndarray, beta: np.ndarray, criteria: list[str]) -> np.ndarray:
    """Answers 1..5 (NaN = unanswered) of respondents with linear predictors ``eta``."""
    linear = eta[:, None] + beta[None, :] + rng.normal(0, SD_PERSON, len(eta))[:, None]
    satisfied = rng.random(linear.shape) < special.expit(linear)
    score = np.where(satisfied, rng.integers(4, 6, linear.shape),
                     rng.integers(1, 4, linear.shape)).astype(float)
    unanswered = np.array([0.20 if c.startswith("GY") else 0.03 for c in criteria])
    score[rng.random(linear.shape) < unanswered] = np.nan
    return score


def responses(rng, h: dict, beta: np.ndarray, criteria: list[str]) -> pd.DataFrame:
    """One row per respondent: agency, counter (None online), stratum, weight, fpc, answers."""
    counter = np.repeat(np.arange(len(h["size"])), h["size"])
    n_agencies = len(h["online"])
    agency = np.r_[h["agency_of"][counter], np.repeat(np.arange(n_agencies), h["online"])]
    eta = np.r_[h["eta_counter"][counter], np.repeat(h["eta_agency"], h["online"])]
    frame = pd.DataFrame(answers(rng, eta, beta, criteria), columns=criteria)
    labels = np.char.add("C", np.char.zfill(counter.astype(str), 5)).astype(object)
    frame["counter"] = np.r_[labels, np.full(h["online"].sum(), None, dtype=object)]
    frame["agency"] = np.char.add("A", np.char.zfill(agency.astype(str), 4))
    n = np.bincount(agency, minlength=n_agencies)
    population = np.rint(n * rng.uniform(10, 30, n_agencies))
    frame["stratum"] = frame["agency"]
    frame["weight"] = (population / n)[agency]
    frame["fpc"] = population[agency]
    return frame


def true_sipas(eta: np.ndarray, beta: np.ndarray, structure) -> np.ndarray:
    """Expected SIPAS of units with linear predictors ``eta`` (Gauss–Hermite over persons)."""
    x, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / w.sum()
    share = special.expit(eta[:, None, None] + beta[None, :, None]
                          + SD_PERSON * x[None, None, :]) @ w
    k = 0
    elements = []
    for element in structure.elements:
        elements.append(share[:, k:k + len(element.criteria)].mean(axis=1))
        k += len(element.criteria)
    weights = np.array([e.weight for e in structure.elements])
    return np.column_stack(elements) @ (weights / weights.sum())


def index_records(design: SurveyDesign, by: str) -> pd.DataFrame:
    """The SIPAS index record of each domain of ``by`` (fractions), indexed by label."""
    table = sipas.indices(design, "sipas", by=by).to_frame()
    rows = table[(table["level"] == "index") & (table["by"] != "ALL")].set_index("by")
    return rows[["estimate", "se", "ci_low", "ci_high", "n"]].astype(float).assign(
        estimate=lambda f: f["estimate"] / 100, se=lambda f: f["se"] / 100,
        ci_low=lambda f: f["ci_low"] / 100, ci_high=lambda f: f["ci_high"] / 100)


def simulate(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Direct and model-based estimates of every counter, with its true SIPAS."""
    rng = np.random.default_rng(seed)
    structure = sipas.load_structure("sipas")
    beta = rng.normal(0, 0.3, len(structure.criteria))
    h = hierarchy(rng)
    frame = responses(rng, h, beta, structure.criteria)
    design = SurveyDesign(frame, weights="weight", strata="stratum", fpc="fpc")
    direct = index_records(design, "counter")
    agencies = index_records(design, "agency")
    labels = np.char.add("C", np.char.zfill(np.arange(len(h["size"])).astype(str), 5))
    direct = direct.reindex(labels)
    parent = agencies.reindex(np.char.add("A", np.char.zfill(h["agency_of"].astype(str), 4)))
    start = time.perf_counter()
    model = small_area.shrink(direct["estimate"].to_numpy(), direct["se"].to_numpy(),
                              direct["n"].to_numpy(), parent["estimate"].to_numpy(),
                              parent["se"].to_numpy())
    seconds = time.perf_counter() - start
    direct["truth"] = true_sipas(h["eta_counter"], beta, structure)
    return direct, model, {"respondents": len(frame), "agencies": len(h["online"]),
                           "shrink_seconds": seconds}


def summary(direct: pd.DataFrame, model: pd.DataFrame, rows=slice(None)) -> dict:
    """Coverage, mean width and MSE of both estimates over ``rows``."""
    truth = direct["truth"].to_numpy()[rows]
    out = {}
    for name, est in (("model", model), ("direct", direct)):
        low, high = est["ci_low"].to_numpy()[rows], est["ci_high"].to_numpy()[rows]
        finite = np.isfinite(low) & np.isfinite(high)
        error = est["estimate"].to_numpy()[rows] - truth
        out[name] = {"coverage": float(np.mean(finite & (low <= truth) & (truth <= high))),
                     "width": float(np.mean((high - low)[finite])),
                     "mse": float(np.mean(error ** 2)), "no_interval": int((~finite).sum())}
    return out


def report(direct: pd.DataFrame, model: pd.DataFrame, counts: dict) -> bool:
    """Print the figures; True when both goals are met."""
    n = direct["n"].to_numpy()
    attrs = model.attrs
    print(f"counters {len(direct)} (respondents 3–40), agencies {counts['agencies']}, "
          f"respondents {counts['respondents']}; prior concentration M = "
          f"{attrs['concentration']:.1f} (SE of log M {attrs['log_concentration_se']:.3f}), "
          f"pooled deff {attrs['deff_prior']:.3f} (prior df {attrs['deff_prior_df']:.1f})")
    for title, rows in (("all counters", n > 0), ("n < 10", n < 10),
                        ("10 ≤ n < 30", (n >= 10) & (n < 30)), ("n ≥ 30", n >= 30)):
        m, d = summary(direct, model, rows).values()
        print(f"{title:>13} ({int(rows.sum()):4d}): coverage model {100 * m['coverage']:.1f} % "
              f"/ direct {100 * d['coverage']:.1f} %; mean width model {100 * m['width']:.1f} / "
              f"direct {100 * d['width']:.1f} points; MSE model {1e4 * m['mse']:.2f} / direct "
              f"{1e4 * d['mse']:.2f} points² (direct without interval: {d['no_interval']})")
    s = summary(direct, model, n > 0)
    ok_coverage = s["model"]["coverage"] >= GOAL_COVERAGE
    ok_mse = s["model"]["mse"] < s["direct"]["mse"]
    print(f"goal coverage ≥ {100 * GOAL_COVERAGE:.0f} %: {'met' if ok_coverage else 'MISSED'}; "
          f"goal MSE model < direct ({s['model']['mse'] / s['direct']['mse']:.2f} × direct): "
          f"{'met' if ok_mse else 'MISSED'}")
    return ok_coverage and ok_mse


def main() -> int:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 2026
    start = time.perf_counter()
    direct, model, counts = simulate(seed)
    ok = report(direct, model, counts)
    print(f"seed {seed}; run time {time.perf_counter() - start:.1f} s "
          f"(small_area.shrink {counts['shrink_seconds']:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
