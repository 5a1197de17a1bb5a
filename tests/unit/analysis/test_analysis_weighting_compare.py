"""Weighting (post-stratification, raking, trimming, Kish), comparisons and rank bands."""
import numpy as np
import pandas as pd
import pytest
import reference_cases as rc

from analysis import DesignError, SurveyDesign, compare, reliability, sipas, weighting


@pytest.fixture
def clus1():
    return rc.api_designs()["clus1"]


def test_post_stratified_weights_sum_to_the_totals(clus1):
    design = weighting.post_stratify(clus1, rc.POSTSTRATA)
    sums = pd.Series(design.weights).groupby(clus1.frame["stype"].to_numpy()).sum()
    assert sums.to_dict() == pytest.approx({"E": 4421, "H": 755, "M": 1018})
    assert clus1.calibration == () and len(design.calibration) == 1


def test_post_stratify_accepts_a_mapping(clus1):
    a = weighting.post_stratify(clus1, {"E": 4421, "H": 755, "M": 1018}, cells="stype")
    b = weighting.post_stratify(clus1, rc.POSTSTRATA)
    assert a.mean("api00").se == pytest.approx(b.mean("api00").se)


def test_post_stratify_refuses_a_sample_cell_without_total(clus1):
    with pytest.raises(DesignError, match="no population total"):
        weighting.post_stratify(clus1, {"E": 4421, "H": 755}, cells="stype")


def test_post_stratify_refuses_an_empty_population_cell_unless_partial(clus1):
    totals = {"E": 4421, "H": 755, "M": 1018, "X": 10}
    with pytest.raises(DesignError, match="partial"):
        weighting.post_stratify(clus1, totals, cells="stype")
    design = weighting.post_stratify(clus1, totals, cells="stype", partial=True)
    assert design.weights.sum() == pytest.approx(4421 + 755 + 1018)


def test_raking_matches_both_margins(clus1):
    design = weighting.rake(clus1, rc.RAKE_MARGINS, maxit=50, epsilon=1e-9)
    frame = clus1.frame
    by_type = pd.Series(design.weights).groupby(frame["stype"].to_numpy()).sum()
    by_wide = pd.Series(design.weights).groupby(frame["sch.wide"].to_numpy()).sum()
    assert by_type["H"] == pytest.approx(755) and by_wide["Yes"] == pytest.approx(5122)
    assert design.calibration[-1].converged


def test_calibration_lowers_the_variance_of_a_calibrated_total(clus1):
    design = weighting.post_stratify(clus1, rc.POSTSTRATA)
    frame = clus1.frame.assign(one=1.0)
    calibrated = SurveyDesign(frame, weights="pw", clusters="dnum")
    calibrated = weighting.post_stratify(calibrated, rc.POSTSTRATA)
    assert calibrated.total("one").se == pytest.approx(0, abs=1e-6)
    assert design.mean("api00").estimate != clus1.mean("api00").estimate


def test_trimming_caps_at_the_multiple_and_keeps_the_total():
    w = np.random.default_rng(3).lognormal(0, 1, 500)
    trimmed = weighting.trim_weights(w, cap=3.0)
    assert (trimmed < w).sum() > 5
    assert trimmed.max() <= 3.0 * np.median(w) * (1 + 1e-9)
    assert trimmed.sum() == pytest.approx(w.sum())
    assert weighting.kish_deff(trimmed) < weighting.kish_deff(w)


def test_trimming_a_design_returns_a_new_design(clus1):
    trimmed = weighting.trim_weights(clus1, cap=2.0)
    assert isinstance(trimmed, SurveyDesign) and trimmed is not clus1


def test_kish_design_effect():
    assert weighting.kish_deff(np.ones(10)) == 1.0
    assert weighting.kish_deff([1, 3]) == pytest.approx(1 + np.var([1, 3]) / 4)


def test_independent_difference():
    d = compare.difference(80.0, 3.0, 74.0, 4.0)
    assert d.estimate == 6.0 and d.se == 5.0
    assert d.ci_low == pytest.approx(6 - 1.959963984540054 * 5)
    assert d.p_value == pytest.approx(0.2301393, rel=1e-6)


def test_same_design_difference_uses_the_linearised_difference(sipas_design):
    same = compare.design_difference(sipas_design, "TC1", "service_area", "LV01", "LV02")
    a = sipas_design.mean("TC1", by="service_area")
    independent = compare.difference(a["LV01"].estimate, a["LV01"].se, a["LV02"].estimate,
                                     a["LV02"].se)
    assert same.estimate == pytest.approx(independent.estimate)
    assert same.se != pytest.approx(independent.se, rel=1e-3)
    share = compare.design_difference(sipas_design, "TC1", "service_area", "LV01", "LV02",
                                      value=5)
    shares = sipas_design.proportion("TC1", 5, by="service_area")
    assert share.estimate == pytest.approx(shares["LV01"].estimate - shares["LV02"].estimate)


def test_sipas_difference_between_domains(sipas_design, structure):
    table = compare.sipas_difference(sipas_design, structure, "service_area", "LV05", "LV02")
    row = table[table["measure"] == "SIPAS"].iloc[0]
    assert row["level"] == "index" and row["difference"] > 0 and row["p_value"] < 0.05
    assert len(table) == 50


def test_sipas_difference_counts_the_covariance_of_domains_sharing_clusters(sipas_design,
                                                                            structure):
    """The one-pass difference equals z_A − z_B built from each domain's PSU totals."""
    a, b = (sipas.domain_result(sipas_design, structure, "service_area", label)
            for label in ("LV05", "LV02"))
    psu = np.union1d(a["psu"], b["psu"])
    z = np.zeros((len(psu), a["z"].shape[1]))
    z[np.searchsorted(psu, a["psu"])] += a["z"]
    z[np.searchsorted(psu, b["psu"])] -= b["z"]
    expected = np.sqrt(sipas_design.layout.variance_from_cells(psu, z))
    table = compare.sipas_difference(sipas_design, structure, "service_area", "LV05", "LV02")
    scale = np.where(table["level"] == "mean", 1.0, 100.0)
    np.testing.assert_allclose(table["se"], expected * scale, rtol=1e-10)
    independent = np.sqrt(sipas_design.layout.variance_from_cells(a["psu"], a["z"])
                          + sipas_design.layout.variance_from_cells(b["psu"], b["z"]))
    assert not np.allclose(table["se"], independent * scale, rtol=1e-3)  # shared PSUs matter


def test_rank_bands_share_ranks_of_indistinguishable_units():
    ranking = compare.rank(["a", "b", "c", "d"], [90, 89, 70, 50], [1, 1, 1, 30]).to_frame()
    bands = dict(zip(ranking["unit"], ranking["band"]))
    # d is so uncertain that it cannot be told apart from anyone
    assert bands == {"a": "1–3", "b": "1–3", "c": "3–4", "d": "1–4"}
    two = compare.rank(["a", "b", "c"], [90, 89, 70], [1, 1, 1]).to_frame()
    assert list(two["band"]) == ["1–2", "1–2", "3–3"]
    assert list(ranking["rank"]) == [1, 2, 3, 4]


def test_rank_puts_missing_estimates_last():
    ranking = compare.rank(["a", "b"], [np.nan, 5.0], [1.0, 1.0]).to_frame()
    assert list(ranking["unit"]) == ["b", "a"] and np.isnan(ranking["rank"].iloc[1])


def test_cronbach_alpha_and_item_nonresponse(sipas_design, structure):
    alpha = reliability.cronbach_alpha(sipas_design, structure)
    assert list(alpha["element"]) == ["TC", "TT", "CC", "KQ", "GY"]
    assert alpha["alpha"].between(0.5, 1).all()
    plain = reliability.cronbach_alpha(sipas_design.frame, structure, weighted=False)
    assert not np.allclose(plain["alpha"], alpha["alpha"])
    missing = reliability.item_nonresponse(sipas_design, structure)
    gy = missing.set_index("criterion").loc["GY1", "nonresponse"]
    assert 0.3 < gy < 0.4 and missing.set_index("criterion").loc["TC1", "nonresponse"] < 0.1


def test_cronbach_alpha_of_identical_items_is_one():
    frame = pd.DataFrame({"A1": [1, 2, 3, 4, 5.0], "A2": [1, 2, 3, 4, 5.0]})
    definition = {"elements": [{"code": "A", "criteria": [{"code": "A1"}, {"code": "A2"}]}]}
    from analysis import sipas
    alpha = reliability.cronbach_alpha(frame, sipas.Structure.from_definition(definition))
    assert alpha["alpha"].iloc[0] == pytest.approx(1.0)
