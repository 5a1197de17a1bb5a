"""The design of counter data (cells, w = N/n, stratum = cell, fpc = N) against R survey 4.1.1.

``tests/fixtures/reference/r/cell_design_reference.R`` builds the cells, merges and fpc in R
from the raw responses and totals, independently of ``analysis.cells``; these tests compare.
"""
from functools import cache

import numpy as np
import pandas as pd
import pytest
import reference_cases as rc

from analysis import breakdowns, cells, sipas

TOLERANCE = 1e-6
DESIGNS = {"2026-Q3": ["2026-Q3"], "2026-H": ["2026-Q2", "2026-Q3"]}


@cache
def _responses() -> pd.DataFrame:
    return pd.read_csv(rc.REFERENCE / "cell-design-responses.csv")


@cache
def _plan(name: str) -> cells.CellPlan:
    frame = _responses()
    frame = frame[frame["quarter"].isin(DESIGNS[name])].reset_index(drop=True)
    return cells.counter_design(frame, pd.read_csv(rc.REFERENCE / "cell-design-totals.csv"))


@cache
def _reference() -> pd.DataFrame:
    return pd.read_csv(rc.REFERENCE / "cell-design-reference.csv", keep_default_na=False,
                       na_values=["NA"])


@cache
def _ours(name: str, by: str) -> pd.DataFrame:
    design = _plan(name).design()
    table = sipas.indices(design, "sipas", by=None if by == "ALL" else by).to_frame()
    return table.set_index(["by", "level", "measure"])


def _rows(levels):
    ref = _reference()
    ref = ref[ref["level"].isin(levels)]
    return [r for r in ref.to_dict("records")]


@pytest.mark.parametrize("name", DESIGNS)
def test_cells_weights_and_fpc_equal_those_built_in_r(name):
    frame = pd.read_csv(rc.REFERENCE / "cell-design-frame.csv", keep_default_na=False,
                        na_values=["NA"])
    expected = frame[frame["design"] == name].set_index("response_id")
    ours = _plan(name).frame.set_index("response_id").loc[expected.index]
    assert list(ours["stratum"]) == list(expected["stratum"])
    np.testing.assert_allclose(ours["weight"], expected["weight"], rtol=1e-12)
    np.testing.assert_array_equal(ours["fpc"], expected["fpc"].astype(float))


def test_the_reference_data_exercise_every_cell_rule():
    flags = set(_plan("2026-H").cells["flag"])
    assert {"merged_small", "merged_agency", "over_covered", "no_total", "ok"} <= flags
    summary = _plan("2026-H").summary()
    assert summary["merged_cells"] >= 3 and summary["merged_into_agency"] >= 1
    assert summary["over_covered"] and summary["cells_without_total"] >= 1


@pytest.mark.parametrize("row", _rows(["criterion", "element", "index", "mean"]),
                         ids=lambda r: f"{r['design']}:{r['by']}:{r['level']}:{r['measure']}")
def test_sipas_records_equal_r_on_the_counter_data_design(row):
    ours = _ours(row["design"], row["by_column"]).loc[(str(row["by"]), row["level"],
                                                       row["measure"])]
    degenerate = row["se"] == 0   # a share of 0 or 100 %: R's deff is 0/0 rounding noise
    for key in ("estimate", "se", "ci_low", "ci_high", "deff"):
        if pd.isna(row[key]) or (key == "deff" and degenerate):
            continue
        assert ours[key] == pytest.approx(row[key], rel=TOLERANCE), key
    assert ours["df"] == row["df"]
    if degenerate:
        assert ours["se"] == 0


@pytest.mark.parametrize("name", DESIGNS)
def test_index_without_flagged_responses_equals_r(name):
    row = _reference().query("design == @name and level == 'sensitivity'").iloc[0]
    ours = breakdowns.sensitivity(_plan(name).design(), "sipas", "status", "valid")
    for key in ("estimate", "se", "ci_low", "ci_high"):
        assert ours[key] == pytest.approx(row[key], rel=TOLERANCE), key


def test_change_between_quarters_in_one_design_equals_r():
    expected = _reference().query("level == 'difference'").set_index("measure")
    change = breakdowns.period_change(_plan("2026-H").design(), "sipas", "quarter", "2026-Q3",
                                      "2026-Q2").set_index("measure")
    change = change[change["level"].isin(["element", "index"])]
    assert set(change.index) == set(expected.index)
    for measure, row in expected.iterrows():
        assert change.loc[measure, "difference"] == pytest.approx(row["estimate"], rel=TOLERANCE)
        assert change.loc[measure, "se"] == pytest.approx(row["se"], rel=TOLERANCE)


def test_every_agency_of_the_quarter_gets_an_interval():
    table = _ours("2026-Q3", "agency").reset_index()
    index = table[table["level"] == "index"]
    assert np.isfinite(index[index["n"] >= 10][["ci_low", "ci_high"]]).all().all()


def test_a_small_cell_is_merged_within_its_agency_quarter_with_summed_totals():
    frame = pd.DataFrame({"quarter": "Q", "agency": ["A"] * 6 + ["B"] * 3,
                          "service_area": list("xxxyzw") + list("xxy")})
    totals = pd.DataFrame({"quarter": "Q", "agency": ["A"] * 4 + ["B"] * 2,
                           "service_area": list("xyzw") + list("xy"),
                           "dossiers": [30, 5, 7, 8, 20, 9]})
    plan = cells.counter_design(frame, totals)
    strata = plan.strata
    assert strata.loc["Q|A|*small", ["responses", "dossiers"]].tolist() == [3, 20]
    assert plan.frame.loc[3, "weight"] == pytest.approx(20 / 3)
    assert strata.loc["Q|B|*", ["responses", "dossiers"]].tolist() == [3, 29]
    assert plan.summary()["merged_into_agency"] == 2


def test_without_any_total_the_design_is_unweighted_with_the_same_strata():
    frame = pd.DataFrame({"quarter": "Q", "agency": ["A"] * 4, "service_area": list("xxyy")})
    plan = cells.counter_design(frame, None)
    assert not plan.weighted and (plan.frame["weight"] == 1).all()
    assert np.isinf(plan.frame["fpc"]).all() and len(plan.strata) == 2


def test_a_cell_with_more_responses_than_dossiers_has_no_fpc_and_is_flagged():
    frame = pd.DataFrame({"quarter": "Q", "agency": "A", "service_area": list("xxxyy")})
    totals = pd.DataFrame({"quarter": "Q", "agency": "A", "service_area": ["x", "y"],
                           "dossiers": [2, 50]})
    plan = cells.counter_design(frame, totals)
    assert plan.strata.loc["Q|A|x", "flag"] == "over_covered"
    assert np.isinf(plan.strata.loc["Q|A|x", "fpc"]) and plan.strata.loc["Q|A|y", "fpc"] == 50
    assert plan.summary()["over_covered"] == ["Q|A|x"]


def test_coverage_is_responses_per_hundred_dossiers_of_cells_with_a_total():
    frame = pd.DataFrame({"quarter": "Q", "agency": ["A"] * 4 + ["B"] * 2,
                          "service_area": list("xxyy") + list("xx")})
    totals = pd.DataFrame({"quarter": "Q", "agency": ["A", "A"], "service_area": ["x", "y"],
                           "dossiers": [100, 300]})
    table = cells.coverage(cells.counter_design(frame, totals).frame, "agency").set_index("by")
    assert table.loc["A", "coverage"] == pytest.approx(100 * 4 / 400)
    assert np.isnan(table.loc["B", "coverage"])


def test_breakdowns_leave_the_callers_data_unchanged():
    plan = _plan("2026-Q3")
    before = list(plan.frame.columns)
    inside = (plan.frame["channel"] == "kiosk").to_numpy()
    table = breakdowns.breakdown_table(plan.design(), "sipas", "agency", inside)
    assert list(plan.frame.columns) == before
    assert breakdowns.OUTSIDE not in set(table["by"]) and len(set(table["by"])) == 6


def _quarter_plan(quarter: str) -> cells.CellPlan:
    frame = _responses()
    frame = frame[frame["quarter"] == quarter].reset_index(drop=True)
    return cells.counter_design(frame, pd.read_csv(rc.REFERENCE / "cell-design-totals.csv"))


def test_plans_of_two_quarters_joined_are_the_design_r_built_over_both():
    joined = cells.concat_plans([_quarter_plan("2026-Q3"), _quarter_plan("2026-Q2")])
    frame = pd.read_csv(rc.REFERENCE / "cell-design-frame.csv", keep_default_na=False,
                        na_values=["NA"])
    expected = frame[frame["design"] == "2026-H"].set_index("response_id")
    ours = joined.frame.set_index("response_id").loc[expected.index]
    assert list(ours["stratum"]) == list(expected["stratum"])
    np.testing.assert_allclose(ours["weight"], expected["weight"], rtol=1e-12)
    np.testing.assert_array_equal(ours["fpc"], expected["fpc"].astype(float))
    pooled = _plan("2026-H")
    pd.testing.assert_frame_equal(joined.cells, pooled.cells)
    pd.testing.assert_frame_equal(joined.strata, pooled.strata)
    assert joined.summary() == pooled.summary()
    change = breakdowns.period_change(joined.design(), "sipas", "quarter", "2026-Q3",
                                      "2026-Q2").set_index("measure")
    reference = _reference().query("level == 'difference'").set_index("measure")
    for measure, row in reference.iterrows():
        assert change.loc[measure, "se"] == pytest.approx(row["se"], rel=TOLERANCE)


def test_plans_sharing_an_agency_quarter_are_not_joined():
    frame = pd.DataFrame({"quarter": "Q", "agency": ["A"] * 4, "service_area": list("xxyy")})
    other = pd.DataFrame({"quarter": "Q", "agency": ["A", "B"], "service_area": ["z", "x"]})
    assert cells.concat_plans([cells.counter_design(frame, None),
                               cells.counter_design(other, None)]) is None
    assert cells.concat_plans([cells.counter_design(frame, None),
                               cells.counter_design(frame, None, min_responses=1)]) is None


def test_a_plan_without_totals_joins_a_weighted_one_as_pooling_would():
    weighted = pd.DataFrame({"quarter": "Q1", "agency": "A", "service_area": list("xxyy")})
    totals = pd.DataFrame({"quarter": "Q1", "agency": "A", "service_area": ["x", "y"],
                           "dossiers": [10, 40]})
    bare = pd.DataFrame({"quarter": "Q2", "agency": "A", "service_area": list("xxy")})
    joined = cells.concat_plans([cells.counter_design(bare, None),
                                 cells.counter_design(weighted, totals)])
    pooled = cells.counter_design(pd.concat([weighted, bare], ignore_index=True), totals)
    assert joined.weighted and pooled.weighted
    pd.testing.assert_frame_equal(joined.strata, pooled.strata)
    by_row = joined.frame.sort_values(["quarter", "service_area"], kind="stable")
    assert by_row["weight"].tolist() == [5.0, 5.0, 20.0, 20.0, 1.0, 1.0, 1.0]
    assert np.isinf(by_row["fpc"].to_numpy()[4:]).all()
