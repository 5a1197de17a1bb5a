"""Interval methods: R's formulas, edge cases, levels, and coverage by simulation."""
import numpy as np
import pandas as pd
import pytest

from analysis import SurveyDesign, intervals


def test_wald_uses_t_with_df_and_normal_for_infinite_df():
    _, high = intervals.wald(10.0, 1.0, 14)
    assert high - 10 == pytest.approx(2.1447866879178)
    assert intervals.wald(10.0, 1.0, np.inf)[1] - 10 == pytest.approx(1.959963984540054)


def test_logit_interval_is_inside_zero_one_and_asymmetric():
    low, high = intervals.logit(0.95, 0.03, 50)
    assert 0 < low < 0.95 < high < 1
    assert 0.95 - low > high - 0.95


def test_beta_at_zero_and_one_gives_exact_binomial_limits():
    low, high = intervals.beta(np.array([0.0, 1.0]), np.array([0.0, 0.0]), n=np.array([40, 40]),
                               df=39)
    assert low[0] == 0.0 and high[1] == 1.0
    assert high[0] == pytest.approx(1 - 0.025 ** (1 / 40))


def test_share_interval_falls_back_to_beta_when_se_is_zero():
    low, high, used = intervals.share_interval("logit", np.array([1.0, 0.5]),
                                               np.array([0.0, 0.1]), n=np.array([20, 20]),
                                               df=19)
    assert list(used) == ["beta", "logit"] and high[0] == 1.0 and low[0] < 1


def test_wilson_with_effective_n_matches_the_classic_formula_for_srs():
    p, n = 0.2, 100
    se = np.sqrt(p * (1 - p) / n)
    low, high = intervals.wilson(p, se, n, np.inf)
    z = 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (low, high) == pytest.approx((centre - half, centre + half))


@pytest.mark.parametrize("method", intervals.METHODS)
def test_higher_level_gives_wider_interval(method):
    a = intervals.interval(method, 0.8, 0.05, n=60, df=40, level=0.8)
    b = intervals.interval(method, 0.8, 0.05, n=60, df=40, level=0.99)
    assert b[0] < a[0] and b[1] > a[1]


def test_unknown_method_and_level_are_refused():
    with pytest.raises(ValueError):
        intervals.interval("exact", 0.5, 0.1, n=10, df=9)
    with pytest.raises(ValueError):
        intervals.wald(0.5, 0.1, 9, level=95)


def _cluster_sample(rng, n_psu=40, per_psu=5, p=0.85, icc_sd=0.6):
    """A two-stratum cluster sample with PSU effects; returns frame and true share."""
    stratum = np.repeat([0, 1], n_psu // 2)
    effect = rng.normal(0, icc_sd, n_psu) + np.where(stratum == 0, 0.3, -0.3)
    psu = np.repeat(np.arange(n_psu), per_psu)
    base = np.log(p / (1 - p))
    prob = 1 / (1 + np.exp(-(base + effect[psu])))
    y = (rng.random(len(psu)) < prob).astype(float)
    return pd.DataFrame({"h": stratum[psu], "j": psu, "y": y})


def test_nominal_95_percent_intervals_cover_about_95_percent():
    """Seeded simulation (n = 200 per sample): coverage of the mean of y by its own truth.

    The truth is the superpopulation mean of the PSU-level probabilities, approximated by a
    very large draw; logit and wald intervals should cover 93–97 % of the time.
    """
    rng = np.random.default_rng(20261123)
    truth_draws = [_cluster_sample(rng, n_psu=4000)["y"].mean() for _ in range(5)]
    truth = float(np.mean(truth_draws))
    hits = {"logit": 0, "wald": 0}
    replicates = 600
    for _ in range(replicates):
        frame = _cluster_sample(rng)
        design = SurveyDesign(frame, strata="h", clusters="j")
        for method in hits:
            result = design.proportion("y", 1.0, ci=method)
            hits[method] += result.ci_low <= truth <= result.ci_high
    for method, hit in hits.items():
        assert 0.93 <= hit / replicates <= 0.97, (method, hit / replicates)


T_LEVELS = [(0.6, 1e-13), (0.8, 1e-13), (0.9, 1e-13), (0.95, 1e-13), (0.975, 1e-13),
            (0.995, 1e-13), (0.9995, 5e-13)]


@pytest.mark.parametrize("p, tolerance", T_LEVELS)
def test_t_quantile_agrees_with_scipy_for_every_regime(p, tolerance):
    """Exact series (integer df < 1000), Cornish–Fisher (df ≥ 1000), normal (df = ∞) and scipy
    itself (fractional df) against ``scipy.special.stdtrit``, which matches R's ``qt``."""
    from scipy import special

    dfs = [*range(1, 1001), 1001, 1500, 5000, 123_456, 1e6, 2.5, 7.3, 999.5]
    got = np.array([intervals.t_quantile(p, float(df)) for df in dfs])
    want = special.stdtrit(np.array(dfs, dtype=float), p)
    assert np.max(np.abs(got / want - 1)) < tolerance
    assert intervals.t_quantile(p, np.inf) == pytest.approx(special.ndtri(p), rel=1e-15)


def test_t_quantile_closed_forms_and_symmetry():
    """df = 1 is Cauchy (tan), df = 2 has t = (2p−1)·√(2/(1−(2p−1)²)); t is symmetric."""
    for p in (0.9, 0.975, 0.9995):
        assert intervals.t_quantile(p, 1.0) == pytest.approx(np.tan(np.pi * (p - 0.5)),
                                                             rel=1e-13)
        a = 2 * p - 1
        assert intervals.t_quantile(p, 2.0) == pytest.approx(a * np.sqrt(2 / (1 - a * a)),
                                                             rel=1e-13)
        assert intervals.t_quantile(1 - p, 7.0) == -intervals.t_quantile(p, 7.0)
    assert intervals.t_quantile(0.5, 3.0) == 0.0
    with pytest.raises(ValueError):
        intervals.t_quantile(1.0, 3.0)


def test_quantile_is_nan_without_degrees_of_freedom_and_keeps_the_shape():
    got = intervals.quantile(0.95, np.array([[np.inf, 0.0, -1.0], [np.nan, 14.0, 14.0]]))
    assert got.shape == (2, 3)
    assert np.isnan(got[0, 1:]).all() and np.isnan(got[1, 0])
    assert got[1, 1] == got[1, 2] == pytest.approx(2.1447866879178, rel=1e-12)
    assert got[0, 0] == pytest.approx(1.959963984540054, rel=1e-15)
    assert intervals.quantile(0.95, 14.0).shape == ()
