"""Early-warning charts (``analysis.warning``): weekly indices against ``sipas.indices``, the chart
against an explicit computation, BH against R and statsmodels, and seeded simulations."""
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import SurveyDesign, sipas, warning

REPO = Path(__file__).resolve().parents[3]
MONDAY = date(2026, 1, 5)
MINI = sipas.load_structure({
    "code": "mini",
    "elements": [{"code": "A", "weight": 1.0, "criteria": [{"code": "A1"}, {"code": "A2"}]},
                 {"code": "B", "weight": 2.0, "criteria": [{"code": "B1"}, {"code": "B2"}]}]})


def monday(week: int) -> date:
    return MONDAY + timedelta(weeks=week)


def answers_from(latent: np.ndarray, rng, skip: float = 0.05) -> np.ndarray:
    """Answers 1..5 from latent values (satisfied, 4 or 5, when latent ≥ 0), some unanswered."""
    values = 1.0 + np.searchsorted([-1.6, -0.8, 0.0, 1.0], latent, side="right")
    values[rng.random(values.shape) < skip] = np.nan
    return values


def simulate(rng, structure, units: int, weeks: int, per_week, level: float = 0.9,
             wobble: float = 0.0, shift=None) -> tuple[pd.DataFrame, np.ndarray]:
    """Responses of ``units`` units over ``weeks`` weeks: latent level + week wobble + person
    effect + criterion noise; ``shift(unit, week)`` moves the latent mean."""
    k = len(structure.criteria)
    sizes = rng.poisson(per_week, (units, weeks)) if np.isscalar(per_week) else per_week
    unit = np.repeat(np.arange(units), sizes.sum(axis=1))
    week = np.concatenate([np.repeat(np.arange(weeks), row) for row in sizes])
    mean = level + rng.normal(0, wobble, (units, weeks))
    if shift is not None:
        mean = mean + np.fromfunction(np.vectorize(shift), (units, weeks))
    person = mean[unit, week] + rng.normal(0, 0.8, len(unit))
    latent = person[:, None] + rng.normal(0, 1.0, (len(unit), k))
    keys = pd.DataFrame({"unit_id": unit, "week": [monday(int(w)) for w in week]})
    return keys, answers_from(latent, rng)


def sipas_of(frame_answers: np.ndarray, structure) -> dict:
    """The SIPAS record of ``sipas.indices`` for rows answering something: each row its own
    PSU, equal weights, no fpc."""
    rows = frame_answers[~np.isnan(frame_answers).all(axis=1)]
    design = SurveyDesign(pd.DataFrame(rows, columns=structure.criteria))
    return sipas.indices(design, structure).get("SIPAS")


@pytest.fixture(scope="module")
def shipped():
    return sipas.load_structure("sipas")


@pytest.fixture(scope="module")
def weighted():
    definition = json.loads((REPO / "survey" / "questionnaires" / "sipas.json").read_text())
    definition["elements"][0]["weight"] = 3.0
    definition["elements"][3]["weight"] = 0.5
    return sipas.load_structure(definition)


def unit_weeks(structure, seed: int = 11):
    """Two levels over three weeks: missing answers, a response answering nothing, responses
    without a counter, a criterion and a whole element unanswered in one unit-week, and a
    unit-week where everyone is satisfied."""
    rng = np.random.default_rng(seed)
    rows = 420
    latent = 0.7 + rng.normal(0, 0.8, rows)[:, None] + rng.normal(0, 1, (rows, 22))
    answers = answers_from(latent, rng, skip=0.12)
    counter = rng.choice(np.array(["C1", "C2", "C3", None], dtype=object), rows,
                         p=[0.35, 0.3, 0.25, 0.1])
    agency = np.where(rng.random(rows) < 0.5, "A1", "A2").astype(object)
    week = np.array([monday(int(w)) for w in rng.integers(0, 3, rows)], dtype=object)
    criteria = structure.criteria
    first = (counter == "C1") & (week == monday(0))
    answers[first, criteria.index("TC1")] = np.nan
    gy = [criteria.index(c) for c in criteria if c.startswith("GY")]
    second = (counter == "C2") & (week == monday(1))
    answers[np.ix_(second, gy)] = np.nan
    answers[3] = np.nan
    counter[10:25], week[10:25], agency[10:25] = "C9", monday(2), "A3"
    answers[10:25] = 5.0
    answers[12, 4] = np.nan
    keys = pd.DataFrame({"counter_id": counter, "agency_id": agency, "week": week})
    return keys, answers


@pytest.mark.parametrize("which", ["shipped", "weighted"])
def test_weekly_index_and_se_equal_sipas_indices_for_every_unit_week(which, request):
    structure = request.getfixturevalue(which)
    keys, answers = unit_weeks(structure)
    weekly = warning.weekly_indices(keys, answers, structure, ["counter_id", "agency_id"])
    assert len(weekly) == 3 * 3 + 1 + 2 * 3 + 1
    assert set(weekly["level"]) == {"counter_id", "agency_id"}
    for row in weekly.itertuples():
        rows = (keys[row.level] == row.unit).to_numpy() & (keys["week"] == row.week).to_numpy()
        expected = sipas_of(answers[rows], structure)
        assert row.n == expected["n"]
        assert row.estimate == pytest.approx(expected["estimate"], rel=1e-9)
        assert row.se == pytest.approx(expected["se"], rel=1e-9, abs=1e-12)
    full = weekly[(weekly["unit"] == "C9")].iloc[0]
    assert full["estimate"] == pytest.approx(100.0, rel=1e-12) and full["se"] == 0.0


def test_weekly_sums_are_the_counts_and_cross_products_of_the_rows(shipped):
    keys, answers = unit_weeks(shipped)
    weekly = warning.weekly_indices(keys, answers, shipped, ["counter_id"])
    row = weekly[(weekly["unit"] == "C1") & (weekly["week"] == monday(0))].iloc[0]
    rows = answers[((keys["counter_id"] == "C1") & (keys["week"] == monday(0))).to_numpy()]
    answered = ~np.isnan(rows)
    satisfied = answered & (rows >= 4)
    x = np.hstack([satisfied, answered]).astype(float)
    upper = np.triu_indices(44)
    assert np.array_equal(row["s_k"], satisfied.sum(axis=0))
    assert np.array_equal(row["a_k"], answered.sum(axis=0))
    assert np.array_equal(row["cross"], (x.T @ x)[upper])
    assert row["a_k"][shipped.criteria.index("TC1")] == 0


def test_responses_without_the_unit_are_left_out_of_that_level_only(shipped):
    keys, answers = unit_weeks(shipped)
    weekly = warning.weekly_indices(keys, answers, shipped, ["counter_id", "agency_id"])
    per_level = weekly.groupby("level")["n"].sum()
    answering = ~np.isnan(answers).all(axis=1)
    assert per_level["agency_id"] == answering.sum()
    assert per_level["counter_id"] == (answering & keys["counter_id"].notna()).sum()


def test_bad_answers_and_keys_are_refused(shipped):
    keys, answers = unit_weeks(shipped)
    bad = answers.copy()
    bad[0, 0] = 4.5
    with pytest.raises(ValueError, match="whole numbers on the 1..5 scale"):
        warning.weekly_indices(keys, bad, shipped, ["counter_id"])
    with pytest.raises(ValueError, match="22 criteria"):
        warning.weekly_indices(keys, answers[:, :5], shipped, ["counter_id"])
    with pytest.raises(ValueError, match="no column 'officer_id'"):
        warning.weekly_indices(keys, answers, shipped, ["officer_id"])


def test_week_labels_as_dates_or_strings_are_calendar_weeks():
    numbers = warning.week_numbers([date(2026, 1, 5), "2026-01-12", "2026-03-02"])
    assert list(numbers - numbers[0]) == [0, 1, 8]
    with pytest.raises(ValueError, match="must be dates"):
        warning.week_numbers(["week one"])


def explicit_chart(weekly, keys, answers, structure, tested: int, settings):
    """The chart's numbers for one unit and week, computed directly: baseline from
    ``sipas.indices`` on the pooled baseline rows, Var(E) = aᵀ Σ a with Σ built explicitly."""
    week_no = {monday(w): w for w in range(60)}
    weeks = weekly.assign(t=weekly["week"].map(week_no))
    observed = weeks[weeks["n"] >= settings.min_week]
    window = observed[observed["t"].between(tested - settings.window + 1, tested)]
    base = observed[observed["t"].between(tested - settings.window - settings.baseline + 1,
                                          tested - settings.window)]
    in_base = keys["week"].isin(list(base["week"])).to_numpy()
    pooled = sipas_of(answers[in_base], structure)
    p0, se0 = pooled["estimate"], pooled["se"]
    tau2 = max(0.0, base["estimate"].var(ddof=1) - (base["se"] ** 2).mean())
    m, m_b = len(window), len(base)
    a = settings.lam * (1 - settings.lam) ** (m - 1 - np.arange(m))
    d = window["estimate"].to_numpy() - p0
    sigma = np.diag(window["se"].to_numpy() ** 2 + tau2) \
        + (se0 ** 2 + tau2 / m_b) * np.ones((m, m))
    ewma, var = a @ d, a @ sigma @ a
    return {"baseline": p0, "baseline_se": se0, "baseline_n": pooled["n"],
            "baseline_weeks": m_b, "window_weeks": m, "tau": np.sqrt(tau2), "ewma": ewma,
            "ewma_se": np.sqrt(var), "z": ewma / np.sqrt(var),
            "p": stats.norm.cdf(ewma / np.sqrt(var)), "level_now": p0 + ewma / a.sum(),
            "drop": -ewma / a.sum()}


@pytest.mark.parametrize("wobble", [0.25, 0.0])
def test_chart_equals_the_explicit_ewma_and_covariance(shipped, wobble):
    rng = np.random.default_rng(5)
    sizes = rng.integers(12, 30, (1, 24))
    sizes[0, 8] = sizes[0, 19] = 3          # unobserved weeks in the baseline and the window
    sizes[0, 5] = 0                         # a week without any response
    keys, answers = simulate(rng, shipped, 1, 24, sizes, wobble=wobble,
                             shift=lambda u, w: -0.4 * (w >= 20))
    weekly = warning.weekly_indices(keys, answers, shipped, ["unit_id"])
    settings = warning.ChartSettings()
    table = warning.chart(weekly, settings, weeks=[monday(23)])
    assert len(table) == 1
    got = table.iloc[0]
    expected = explicit_chart(weekly, keys, answers, shipped, 23, settings)
    assert (got["baseline_weeks"], got["window_weeks"]) == (11, 7)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    assert got["status"] == ("alarm" if got["alarm"] else "ok")
    assert got["q"] == pytest.approx(got["p"])       # one unit tested: q = p


def test_between_week_variance_is_estimated_when_weeks_wobble(shipped):
    rng = np.random.default_rng(8)
    keys, answers = simulate(rng, shipped, 1, 21, 40, wobble=0.25)
    weekly = warning.weekly_indices(keys, answers, shipped, ["unit_id"])
    got = warning.chart(weekly, weeks=[monday(20)]).iloc[0]
    expected = explicit_chart(weekly, keys, answers, shipped, 20, warning.ChartSettings())
    assert expected["tau"] > 0
    assert got["tau"] == pytest.approx(expected["tau"], rel=1e-9)


P = [0.0004, 0.021, 0.021, np.nan, 0.9, 0.049, 0.0105, 0.33, 0.021, 0.7, 0.002, np.nan, 0.06]
#: R 4.x: p.adjust(p, "BH") of P (NA as NaN).
R_BH = [0.0044, 0.0385, 0.0385, np.nan, 0.9, 0.077, 0.0385, 0.40333333333333338, 0.0385,
        0.77, 0.011, np.nan, 0.0825]


def test_bh_q_values_equal_r_p_adjust():
    np.testing.assert_allclose(warning.bh_qvalues(P), R_BH, rtol=1e-12)


def test_bh_q_values_equal_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.array(P)
    finite = np.isfinite(p)
    reference = multitest.multipletests(p[finite], method="fdr_bh")[1]
    np.testing.assert_allclose(warning.bh_qvalues(p)[finite], reference, rtol=1e-12)


def brute_force_bh(p: np.ndarray) -> np.ndarray:
    """q_i = min over p_j ≥ p_i of min(1, m·p_j / rank_j), rank_j = #{p ≤ p_j}."""
    m = len(p)
    rank = np.array([(p <= v).sum() for v in p])
    return np.array([min(1.0, min(m * p[j] / rank[j] for j in range(m) if p[j] >= v))
                     for v in p])


@pytest.fixture(scope="module")
def province():
    """40 stable units and one whose latent mean drops in the last four weeks (150 responses a
    week each), charted at every week with a full baseline."""
    rng = np.random.default_rng(21)
    drop = 40
    keys, answers = simulate(rng, MINI, 41, 25, 150, wobble=0.03,
                             shift=lambda u, w: -0.45 * ((u == drop) & (w >= 21)))
    keys["agency_id"] = keys["unit_id"] // 10
    weekly = warning.weekly_indices(keys, answers, MINI, ["unit_id", "agency_id"])
    return warning.chart(weekly, weeks=[monday(w) for w in range(20, 25)]), drop


def test_q_values_are_bh_over_every_unit_of_every_level_within_each_week(province):
    table, _ = province
    assert list(table.columns) == warning.TABLE_COLUMNS
    for _, family in table.groupby("week"):
        assert len(family) == 41 + 5
        np.testing.assert_allclose(family["q"], brute_force_bh(family["p"].to_numpy()),
                                   rtol=1e-12)
    settings = warning.ChartSettings()
    assert table["alarm"].equals((table["q"] <= settings.fdr) & (table["p"] <= settings.alpha))


def test_a_planted_ten_point_drop_is_alarmed_and_ranked_first(province):
    table, drop = province
    unit = table[(table["level"] == "unit_id") & (table["unit"] == drop)].set_index("week")
    true_drop = unit.loc[monday(20), "estimate"] - unit.loc[monday(24), "estimate"]
    assert true_drop > 10
    assert unit.loc[monday(24), "status"] == "alarm"
    last = warning.alarms(table[table["week"] == monday(24)])
    assert set(zip(last["level"], last["unit"])) == {("unit_id", drop), ("agency_id", 4)}
    found = warning.alarms(table)
    assert found["drop"].is_monotonic_decreasing
    top = found.iloc[:2]
    assert set(zip(top["level"], top["unit"], top["week"])) == {
        ("unit_id", drop, monday(24)), ("agency_id", 4, monday(24))}
    now = warning.latest(table)
    assert len(now) == 46 and set(now["week"]) == {monday(24)}


def test_stable_process_gives_calibrated_p_values():
    rng = np.random.default_rng(3)
    units = 1200
    keys, answers = simulate(rng, MINI, units, 21, 25, wobble=0.08)
    weekly = warning.weekly_indices(keys, answers, MINI, ["unit_id"])
    table = warning.chart(weekly, weeks=[monday(20)])
    assert (table["status"] != "insufficient").all() and len(table) == units
    low, high = stats.binom.ppf([0.0005, 0.9995], units, 0.05)
    assert low <= (table["p"] <= 0.05).sum() <= high


def test_short_baselines_and_thin_weeks_are_insufficient(shipped):
    rng = np.random.default_rng(4)
    sizes = np.full((2, 21), 20)
    sizes[0, :12] = 0                        # unit 0: only 9 weeks of history
    sizes[1, 20] = 3                         # unit 1: the tested week is too thin
    keys, answers = simulate(rng, shipped, 2, 21, sizes)
    weekly = warning.weekly_indices(keys, answers, shipped, ["unit_id"])
    table = warning.chart(weekly, weeks=[monday(20)]).set_index("unit")
    assert list(table["status"]) == ["insufficient", "insufficient"]
    assert list(table["reason"]) == ["short baseline", "few responses this week"]
    assert table["p"].isna().all() and table["q"].isna().all() and not table["alarm"].any()
    assert table.loc[0, "baseline_weeks"] == 1
    strict = warning.ChartSettings(min_baseline=300)
    kept = warning.chart(weekly, strict, weeks=[monday(19)]).set_index("unit")
    assert kept.loc[1, "baseline_n"] == 12 * 20
    assert kept.loc[1, "reason"] == "short baseline"


@pytest.mark.parametrize("bad", [
    {"lam": 0.0}, {"lam": 1.5}, {"lam": "0.3"}, {"window": 0}, {"window": 2.5},
    {"baseline": True}, {"min_week": 1}, {"min_baseline": 1}, {"min_baseline_weeks": 1},
    {"min_baseline_weeks": 14}, {"alpha": 0.0}, {"alpha": 1.0}, {"fdr": -0.1},
    {"fdr": float("nan")},
])
def test_bad_settings_raise_value_error(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        warning.ChartSettings(**bad)


def test_chart_needs_the_sums_and_the_structure(shipped):
    keys, answers = unit_weeks(shipped)
    weekly = warning.weekly_indices(keys, answers, shipped, ["counter_id"])
    with pytest.raises(ValueError, match="no column 'cross'"):
        warning.chart(weekly.drop(columns="cross"))
    bare = weekly.copy()
    bare.attrs = {}
    with pytest.raises(ValueError, match="pass structure="):
        warning.chart(bare)
    assert warning.chart(bare, structure=shipped).equals(warning.chart(weekly))


def test_no_responses_give_empty_tables(shipped):
    keys, answers = unit_weeks(shipped)
    weekly = warning.weekly_indices(keys.iloc[:0], answers[:0], shipped, ["counter_id"])
    assert weekly.empty and list(weekly.columns)[-3:] == ["s_k", "a_k", "cross"]
    table = warning.chart(weekly)
    assert table.empty and list(table.columns) == warning.TABLE_COLUMNS
    assert warning.alarms(table).empty and warning.latest(table).empty
