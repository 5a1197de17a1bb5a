"""Officers as domains (``analysis.officers``) against a hand computation of the domain
ratio, its linearised variance and its logit interval."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import officers
from analysis.design import SurveyDesign
from analysis.sipas import Element, Structure

STRUCTURE = Structure("t", (Element("E1", 1.0, ("C1", "C2")), Element("E2", 2.0, ("C3",))))


def _frame(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 90
    frame = pd.DataFrame({
        "stratum": np.repeat(["A", "B", "C"], 30),
        "officer": rng.choice(np.array(["7", "8", None], dtype=object), n, p=[.4, .35, .25]),
        "C1": rng.integers(1, 6, n).astype(float),
        "C2": rng.integers(2, 6, n).astype(float),
        "C3": rng.integers(3, 6, n).astype(float)})
    frame.loc[rng.random(n) < 0.15, "C2"] = np.nan
    population = {"A": 300, "B": 120, "C": 45}
    frame["fpc"] = frame["stratum"].map(population).astype(float)
    frame["weight"] = frame["fpc"] / frame.groupby("stratum")["stratum"].transform("size")
    return frame


def _by_hand(frame: pd.DataFrame, officer: str) -> dict:
    """Domain ratio, SE (each row its own PSU, V = Σ_h (1 − n_h/N_h) n_h/(n_h − 1) Σ (z − z̄)²)
    and logit interval with t of (rows − strata) of the domain."""
    inside = (frame["officer"] == officer).to_numpy()
    w = frame["weight"].to_numpy()
    z_criteria, shares = [], []
    for code in ("C1", "C2", "C3"):
        x = frame[code].to_numpy()
        answered = np.isfinite(x) & inside
        satisfied = answered & (np.nan_to_num(x) >= 4)
        total = (w * answered).sum()
        p = (w * satisfied).sum() / total
        shares.append(p)
        z_criteria.append(w * (satisfied - p * answered) / total)
    index = ((shares[0] + shares[1]) / 2 + 2 * shares[2]) / 3
    z = ((z_criteria[0] + z_criteria[1]) / 2 + 2 * z_criteria[2]) / 3
    variance = 0.0
    for rows in frame.groupby("stratum").indices.values():
        n_h, big_n = len(rows), frame["fpc"].iloc[rows[0]]
        zh = z[rows]
        variance += (1 - n_h / big_n) * n_h / (n_h - 1) * ((zh - zh.mean()) ** 2).sum()
    se = np.sqrt(variance)
    df = inside.sum() - frame.loc[inside, "stratum"].nunique()
    t = stats.t.ppf(0.975, df)
    logit, half = np.log(index / (1 - index)), t * se / (index * (1 - index))
    return {"estimate": 100 * index, "se": 100 * se, "n": int(inside.sum()),
            "ci_low": 100 / (1 + np.exp(-(logit - half))),
            "ci_high": 100 / (1 + np.exp(-(logit + half)))}


def test_an_officers_index_is_the_domain_estimate_computed_by_hand():
    frame = _frame()
    design = SurveyDesign(frame, weights="weight", strata="stratum", fpc="fpc")
    table = officers.officer_estimates(design, STRUCTURE, frame["officer"])
    assert sorted(table["by"].unique()) == ["7", "8"]
    for officer in ("7", "8"):
        got = table[(table["by"] == officer) & (table["level"] == "index")].iloc[0]
        expected = _by_hand(frame, officer)
        assert got["n"] == expected["n"]
        for key in ("estimate", "se", "ci_low", "ci_high"):
            assert got[key] == pytest.approx(expected[key], rel=1e-9), key


def test_the_model_based_index_lies_between_the_officer_and_the_whole():
    frame = _frame(5)
    design = SurveyDesign(frame, weights="weight", strata="stratum", fpc="fpc")
    table = officers.officer_estimates(design, STRUCTURE, frame["officer"])
    index = table[table["level"] == "index"]
    assert (index["model_method"] == "eb-beta-binomial").all()
    assert ((index["model_ci_low"] <= index["model_estimate"])
            & (index["model_estimate"] <= index["model_ci_high"])).all()
    whole = _by_hand(frame.assign(officer="all"), "all")["estimate"]
    for _, row in index.iterrows():
        low, high = sorted([row["estimate"], whole])
        assert low - 1.0 <= row["model_estimate"] <= high + 1.0
    assert table[table["level"] != "index"]["model_estimate"].isna().all()


def test_rows_without_an_officer_stay_in_the_design_but_in_no_domain():
    frame = _frame()
    design = SurveyDesign(frame, weights="weight", strata="stratum", fpc="fpc")
    labels = frame["officer"].where(frame["officer"].notna(), "")
    table = officers.officer_estimates(design, STRUCTURE, labels)
    assert set(table["by"]) == {"7", "8"}
    nobody = officers.officer_estimates(design, STRUCTURE, [None] * len(frame))
    assert nobody.empty and "model_estimate" in nobody.columns
    with pytest.raises(ValueError):
        officers.officer_estimates(design, STRUCTURE, ["7"])


def test_shown_needs_the_minimum_of_answers_and_an_estimate():
    table = pd.DataFrame({"n": [29, 30, 31, 40], "estimate": [80.0, 70.0, np.nan, 90.0]})
    assert officers.shown(table, 30).tolist() == [False, True, False, True]
