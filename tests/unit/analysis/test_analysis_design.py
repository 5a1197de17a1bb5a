"""SurveyDesign: optional parts, lonely PSUs, fpc, domains and missing values."""
import numpy as np
import pandas as pd
import pytest

from analysis import DesignError, SurveyDesign, linearised_variance


def _frame():
    return pd.DataFrame({"h": ["a", "a", "a", "b", "b", "c"], "j": [1, 2, 2, 3, 4, 5],
                         "y": [1.0, 2.0, 4.0, 3.0, 5.0, 6.0], "w": [1, 2, 1, 3, 1, 2.0]})


def test_design_without_strata_clusters_or_weights_is_simple_random_sampling():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0]})
    result = SurveyDesign(frame).mean("y")
    assert result.estimate == 3.0
    assert result.se == pytest.approx(np.std(frame["y"], ddof=1) / 2)
    assert result.df == 3


def test_codes_are_computed_once_and_nest_clusters_in_strata():
    frame = pd.DataFrame({"h": [1, 1, 2, 2], "j": [1, 2, 1, 2], "y": [1, 2, 3, 4.0]})
    design = SurveyDesign(frame, strata="h", clusters="j")
    assert design.n_psu == 4 and design.df == 2
    assert list(design.layout.psu_stratum) == [0, 0, 1, 1]


def test_lonely_psu_fail_names_the_stratum():
    with pytest.raises(DesignError, match="stratum c") as error:
        SurveyDesign(_frame(), weights="w", strata="h", clusters="j", lonely_psu="fail")
    assert error.value.stratum == "c"


def test_lonely_psu_default_is_adjust_and_reports_the_strata():
    design = SurveyDesign(_frame(), weights="w", strata="h", clusters="j")
    assert design.lonely_psu == "adjust"
    assert design.lonely_strata == ["c"]


def test_remove_and_certainty_give_less_variance_than_adjust():
    se = {rule: SurveyDesign(_frame(), weights="w", strata="h", clusters="j",
                             lonely_psu=rule).total("y").se
          for rule in ("adjust", "remove", "certainty")}
    assert se["remove"] == se["certainty"] < se["adjust"]


def test_unknown_lonely_rule_is_refused():
    with pytest.raises(DesignError, match="lonely_psu"):
        SurveyDesign(_frame(), lonely_psu="average")


def test_fpc_population_and_fraction_give_the_same_design():
    frame = _frame().iloc[:5]
    frame = frame.assign(N=[10, 10, 10, 4, 4], f=[0.2, 0.2, 0.2, 0.5, 0.5])
    a = SurveyDesign(frame, weights="w", strata="h", clusters="j", fpc="N").mean("y")
    b = SurveyDesign(frame, weights="w", strata="h", clusters="j", fpc="f").mean("y")
    assert a.se == pytest.approx(b.se)


def test_fpc_equal_to_sample_makes_a_stratum_contribute_nothing():
    frame = pd.DataFrame({"h": [1, 1, 2, 2], "y": [1, 3, 10, 20.0], "N": [2, 2, 100, 100]})
    full = SurveyDesign(frame, strata="h", fpc="N").total("y").se
    only_second = SurveyDesign(frame.iloc[2:], strata="h", fpc="N").total("y").se
    assert full == pytest.approx(only_second)


def test_fpc_that_varies_within_a_stratum_is_refused():
    frame = _frame().assign(N=[10, 11, 10, 4, 4, 3])
    with pytest.raises(DesignError, match="stratum a"):
        SurveyDesign(frame, strata="h", fpc="N")


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_weight_names_column_and_row(bad):
    frame = _frame()
    frame.loc[3, "w"] = bad
    with pytest.raises(DesignError) as error:
        SurveyDesign(frame, weights="w")
    assert (error.value.column, error.value.row) == ("w", 4)


def test_missing_stratum_value_names_the_row():
    frame = _frame()
    frame.loc[1, "h"] = None
    with pytest.raises(DesignError, match="row 2"):
        SurveyDesign(frame, strata="h")


def test_domain_keeps_every_psu_and_subsetting_first_gives_another_se(sipas_frame,
                                                                      sipas_design):
    # a domain absent from some PSUs: counters Q0 and Q1 of every agency
    frame = sipas_frame.assign(front=sipas_frame["counter"].str[-1].isin(["0", "1"]))
    design = SurveyDesign(frame, weights="weight", strata="agency", clusters="counter")
    domain = design.mean("TC1", by="front")["True"]
    subset = frame[frame["front"]]
    naive = SurveyDesign(subset, weights="weight", strata="agency", clusters="counter")
    wrong = naive.mean("TC1")
    assert wrong.estimate == pytest.approx(domain.estimate)
    assert wrong.se < domain.se * 0.98  # subsetting first understates the SE


def test_missing_values_are_left_out_like_a_domain_of_non_missing():
    frame = _frame().assign(y=[1.0, np.nan, 4.0, 3.0, np.nan, 6.0], d=1)
    design = SurveyDesign(frame, weights="w", strata="h", clusters="j")
    with_missing = design.mean("y")
    present = frame["y"].notna().map({True: "yes", False: "no"})
    as_domain = SurveyDesign(frame.assign(present=present, y=frame["y"].fillna(0)), weights="w",
                             strata="h", clusters="j").mean("y", by="present")["yes"]
    assert with_missing.estimate == pytest.approx(as_domain.estimate)
    assert with_missing.se == pytest.approx(as_domain.se)
    assert with_missing.n == 4


def test_linearised_variance_is_the_stratified_psu_formula():
    frame = pd.DataFrame({"h": [0, 0, 0, 1, 1], "z": [1.0, 2.0, 6.0, 3.0, 5.0]})
    design = SurveyDesign(frame, strata="h")
    expected = 3 / 2 * ((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) + 2 * (1 + 1)
    assert linearised_variance(frame["z"].to_numpy(), design) == pytest.approx(expected)


def test_estimates_carry_interval_flag_and_frame(sipas_design):
    result = sipas_design.proportion("TC1", 5, ci="beta")
    assert result.ci_method == "beta" and result.flag == "ok"
    assert result.ci_low < result.estimate < result.ci_high
    assert result.ci("wald", 0.9)[0] > result.ci("wald", 0.99)[0]
    frame = sipas_design.mean("TC1", by="agency").to_frame()
    assert {"estimate", "se", "ci_low", "ci_high", "n", "n_eff", "deff", "df", "flag"} \
        <= set(frame.columns)
    assert len(frame) == 12


def test_ratio_and_total_by_domain_add_up(sipas_design):
    totals = sipas_design.total("weight", by="service_area").to_frame()
    assert totals["estimate"].sum() == pytest.approx(sipas_design.total("weight").estimate)


def test_design_methods_emit_no_warnings_for_an_empty_domain_variable():
    frame = _frame().assign(y=[np.nan, np.nan, np.nan, 1.0, 2.0, 3.0])
    result = SurveyDesign(frame, strata="h").mean("y", by="h")["a"]
    assert result.n == 0 and result.flag == "suppressed" and np.isnan(result.estimate)


def test_difference_of_two_exact_values_has_no_division_error():
    from analysis import compare

    same = compare.difference(80.0, 0.0, 80.0, 0.0)
    apart = compare.difference(90.0, 0.0, 80.0, 0.0)
    assert np.isnan(same.p_value) and apart.p_value == 0.0


def test_cell_without_degrees_of_freedom_is_flagged_no_df():
    from analysis.reliability import flags, reliability_flag

    assert reliability_flag(50, 50.0, 2.0, float("nan")) == "no_df"
    assert list(flags([50, 5], [50.0, 5.0], [2.0, 2.0], [np.nan, np.nan])) == ["no_df",
                                                                            "suppressed"]


def test_rank_by_intervals_bands_follow_interval_overlap():
    from analysis import compare

    ranked = compare.rank_by_intervals(["a", "b", "c", "d"], [90, 80, 70, 60],
                                       [88, 5, 68, 1], [92, 95, 72, 99],
                                       usable=[True, True, True, False]).to_frame()
    bands = dict(zip(ranked["unit"], ranked["band"]))
    assert bands == {"a": "1–2", "b": "1–3", "c": "2–3", "d": ""}
