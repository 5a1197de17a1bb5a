"""Model-based small-area estimates (``analysis.small_area``): closed forms, edge cases, input
errors, and coverage/MSE by a small seeded simulation."""
import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from analysis import small_area
from analysis.design import DesignError


def binomial_se(p, n):
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    return np.sqrt(p * (1 - p) / n)


def test_known_concentration_gives_the_conjugate_beta_posterior():
    p = np.array([0.5, 0.9, 0.75, 0.6])
    n = np.array([10, 20, 40, 8])
    mu = np.array([0.8, 0.8, 0.7, 0.7])
    m = 30.0
    out = small_area.shrink(p, binomial_se(p, n), n, mu, concentration=m)
    y = p * n
    a, b = m * mu + y, m * (1 - mu) + n - y
    assert out["n_eff"].to_numpy() == pytest.approx(n)        # binomial SEs: deff = 1
    assert out["estimate"].to_numpy() == pytest.approx((m * mu + y) / (m + n))
    assert out["shrinkage"].to_numpy() == pytest.approx(n / (m + n))
    assert out["ci_low"].to_numpy() == pytest.approx(stats.beta.ppf(0.025, a, b), abs=1e-9)
    assert out["ci_high"].to_numpy() == pytest.approx(stats.beta.ppf(0.975, a, b), abs=1e-9)
    assert out["se"].to_numpy() == pytest.approx(stats.beta.std(a, b))
    assert list(out["method"]) == ["eb-beta-binomial"] * 4
    assert out.attrs["label"] == "model-based" and out.attrs["concentration"] == pytest.approx(m)


def test_estimate_is_the_shrinkage_weighted_mean_of_direct_and_prior():
    rng = np.random.default_rng(3)
    n = rng.integers(5, 60, 50)
    p = rng.binomial(n, 0.8) / n
    out = small_area.shrink(p, binomial_se(p, n) * 0.7, n, np.full(50, 0.8),
                            np.full(50, 0.01), level=0.9)
    b = out["shrinkage"].to_numpy()
    assert out["estimate"].to_numpy() == pytest.approx(
        b * p + (1 - b) * out["prior_mean"].to_numpy())
    assert ((out["ci_low"] <= out["estimate"]) & (out["estimate"] <= out["ci_high"])).all()
    assert out.attrs["level"] == 0.9 and 0 < out.attrs["concentration"] < 1e6


def test_interval_carries_the_uncertainty_of_the_estimated_parameters():
    rng = np.random.default_rng(5)
    n = rng.integers(5, 30, 12)
    p = rng.binomial(n, 0.8) / n
    full = small_area.shrink(p, binomial_se(p, n), n, np.full(12, 0.8), np.full(12, 0.04),
                             nested=False)
    plug_in = small_area.shrink(p, binomial_se(p, n), n, np.full(12, 0.8), nested=False,
                                concentration=full.attrs["concentration"])
    assert full["estimate"].to_numpy() == pytest.approx(plug_in["estimate"].to_numpy())
    assert ((full["ci_low"] < plug_in["ci_low"]) & (full["ci_high"] > plug_in["ci_high"])).all()
    assert (full["se"] > plug_in["se"]).all() and full.attrs["log_concentration_se"] > 0


def test_design_effects_are_pooled_for_units_without_variance_information():
    p = np.array([0.8, 0.7, 0.9, 1.0, 0.6])
    n = np.array([30, 40, 25, 12, 1])
    se = binomial_se(p, n) * np.sqrt(0.25)                   # deff 0.25 everywhere
    deff, pooled, prior_df = small_area.moderated_deff(p, se, n)
    assert pooled == pytest.approx(0.25) and np.isinf(prior_df)
    assert deff == pytest.approx(np.full(5, 0.25))           # p = 1 and n = 1 get the pool
    assert small_area.moderated_deff(p, np.zeros(5), n)[0] == pytest.approx(np.ones(5))


def test_nested_prior_mean_leaves_the_unit_out_of_its_parent():
    p, n = np.array([0.6, 0.9]), np.array([50, 150])
    parent = (p * n).sum() / n.sum()
    parent_se = np.sqrt(parent * (1 - parent) / n.sum())
    mu, mu_se, overlap = small_area.prior_means(p, n, np.full(2, parent),
                                                np.full(2, parent_se))
    assert overlap == pytest.approx(n / n.sum())
    assert mu == pytest.approx(p[::-1])                      # each unit's prior: the other
    assert mu_se == pytest.approx(np.sqrt(parent * (1 - parent) / n[::-1]))
    flat = small_area.prior_means(p, n, np.full(2, parent), np.full(2, parent_se),
                                  nested=False)
    assert flat[0] == pytest.approx([parent, parent]) and (flat[2] == 0).all()


def test_concentration_is_recovered_from_beta_binomial_data():
    rng = np.random.default_rng(11)
    mu = rng.uniform(0.7, 0.95, 600)
    n = rng.integers(5, 50, 600)
    y = rng.binomial(n, rng.beta(40 * mu, 40 * (1 - mu)))
    log_m, log_m_se = small_area.fit_concentration(y, n, mu)
    assert abs(log_m - np.log(40)) < 3 * log_m_se + 0.1
    assert 0 < log_m_se < 0.5


def test_a_large_unit_keeps_its_direct_estimate():
    p = np.array([0.62, 0.9, 0.8, 0.85, 0.95, 0.7])
    n = np.array([5000, 8, 12, 6, 10, 9])
    out = small_area.shrink(p, binomial_se(p, n), n, np.full(6, 0.85), np.full(6, 0.02))
    assert out["shrinkage"].iloc[0] > 0.98
    assert out["estimate"].iloc[0] == pytest.approx(0.62, abs=0.002)
    assert out["ci_high"].iloc[0] - out["ci_low"].iloc[0] < 0.03
    assert (out["shrinkage"].iloc[1:] < 0.9).all()


def test_all_satisfied_units_with_zero_se_get_an_interval_inside_zero_one():
    p = np.array([1.0, 1.0, 0.8, 0.7, 0.9, 0.0])
    n = np.array([8, 3, 20, 15, 30, 4])
    se = np.where((p > 0) & (p < 1), binomial_se(p, n), 0.0)
    out = small_area.shrink(p, se, n, np.full(6, 0.85), np.full(6, 0.02))
    assert out.notna().all().all()
    assert ((out["ci_low"] > 0) & (out["ci_high"] <= 1)).all()
    assert (out["ci_low"] < out["estimate"]).all() & (out["estimate"] < out["ci_high"]).all()
    assert (out["estimate"].iloc[:2] < 1).all() and out["estimate"].iloc[5] > 0


def test_units_without_data_get_the_synthetic_estimate_and_a_wide_interval():
    p = np.array([0.8, np.nan, 0.9, 0.7, 0.85])
    n = np.array([20, 0, 25, 15, 30])
    out = small_area.shrink(p, binomial_se(np.nan_to_num(p), np.maximum(n, 1)), n,
                            [0.8, 0.75, 0.8, 0.8, np.nan], [0.02, 0.03, 0.02, 0.02, np.nan],
                            nested=False)
    empty = out.iloc[1]
    assert empty["estimate"] == pytest.approx(0.75) and empty["shrinkage"] == 0
    width = out["ci_high"] - out["ci_low"]
    assert width.iloc[1] > width.iloc[[0, 2, 3]].max()
    assert out.iloc[:4].notna().all().all()
    assert out["method"].iloc[4] == "none" and out.iloc[4, :-1].isna().all()


def test_series_index_is_kept_and_results_are_deterministic():
    index = pd.Index(["Q1", "Q2", "Q3"], name="counter")
    p = pd.Series([0.7, 0.95, 0.85], index=index)
    args = (p, binomial_se(p, 10), [10, 10, 10], [0.85] * 3, [0.02] * 3)
    first, second = small_area.shrink(*args), small_area.shrink(*args)
    assert list(first.index) == ["Q1", "Q2", "Q3"]
    pd.testing.assert_frame_equal(first, second)


def simulate_units(rng, parents=30, per_parent=8, person_sd=1.0, items=5):
    """Units of 3–40 respondents scoring `items` binary items; direct estimate = mean score
    with its SRS standard error; parent = all its units plus 150 more respondents."""
    eta_parent = rng.normal(1.8, 0.4, parents)
    rows = []
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    for j in range(parents):
        eta = rng.normal(eta_parent[j], 0.4, per_parent)
        sizes = rng.integers(3, 41, per_parent)
        scores = []
        for eta_i, size in zip(eta, sizes):
            person = rng.normal(0, person_sd, size)[:, None]
            s = (rng.random((size, items)) < special.expit(eta_i + person)).mean(axis=1)
            scores.append(s)
            truth = special.expit(eta_i + person_sd * nodes) @ weights / weights.sum()
            rows.append({"parent": j, "estimate": s.mean(), "n": size, "truth": truth,
                         "se": s.std(ddof=1) / np.sqrt(size) if size > 1 else 0.0})
        person = rng.normal(0, person_sd, 150)[:, None]
        scores.append((rng.random((150, items)) < special.expit(eta_parent[j] + person))
                      .mean(axis=1))
        pooled = np.concatenate(scores)
        for row in rows[-per_parent:]:
            row["parent_estimate"] = pooled.mean()
            row["parent_se"] = pooled.std(ddof=1) / np.sqrt(len(pooled))
    return pd.DataFrame(rows)


def test_simulation_model_intervals_cover_and_beat_the_direct_mse():
    rng = np.random.default_rng(2026)
    hits, model_se2, direct_se2, count = 0, 0.0, 0.0, 0
    for _ in range(4):
        units = simulate_units(rng)
        out = small_area.shrink(units["estimate"], units["se"], units["n"],
                                units["parent_estimate"], units["parent_se"])
        truth = units["truth"].to_numpy()
        hits += int(((out["ci_low"] <= truth) & (truth <= out["ci_high"])).sum())
        model_se2 += float(((out["estimate"] - truth) ** 2).sum())
        direct_se2 += float(((units["estimate"] - truth) ** 2).sum())
        count += len(units)
    assert hits / count >= 0.93
    assert model_se2 < 0.8 * direct_se2


@pytest.mark.parametrize("kwargs, message", [
    ({"se": [0.1, 0.1]}, "se has 2 elements but estimate has 3"),
    ({"parent_estimate": [0.8]}, "parent_estimate has 1 elements"),
    ({"se": [0.1, -0.01, 0.1]}, r"se\[1\] = -0.01 is negative"),
    ({"estimate": [80.0, 70.0, 90.0]}, "not a fraction in 0..1"),
    ({"n": [10, 0, 12]}, r"estimate\[1\] is given but n\[1\] = 0"),
    ({"parent_se": [0.01, -0.02, 0.01]}, "parent_se"),
    ({"level": 95}, "level must be between 0 and 1"),
    ({"concentration": -3.0}, "concentration must be a positive number"),
    ({"estimate": ["a", "b", "c"]}, "estimate must be numbers"),
])
def test_bad_input_raises_design_error(kwargs, message):
    args = {"estimate": [0.8, 0.7, 0.9], "se": [0.1, 0.1, 0.1], "n": [10, 8, 12],
            "parent_estimate": [0.8, 0.8, 0.8], "parent_se": [0.01, 0.01, 0.01]}
    args.update(kwargs)
    with pytest.raises(DesignError, match=message):
        small_area.shrink(**args)
