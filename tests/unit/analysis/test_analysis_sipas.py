"""SIPAS measures: structure loading, records, composites, flags, calibrated designs."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import DesignError, SurveyDesign, sipas

REPO = Path(__file__).resolve().parents[3]
RECORD_FIELDS = ["by", "level", "measure", "estimate", "se", "ci_low", "ci_high", "n", "n_eff",
                 "deff", "flag"]


def test_structure_from_the_shipped_questionnaire_matches_criteria_csv(structure):
    shipped = sipas.load_structure("sipas")
    assert shipped.criteria == structure.criteria
    assert [e.code for e in shipped.elements] == ["TC", "TT", "CC", "KQ", "GY"]
    assert shipped.satisfied_min == 4 and (shipped.scale_min, shipped.scale_max) == (1, 5)
    assert [e.weight for e in shipped.elements] == [1.0] * 5


def test_second_national_form_loads_by_code_and_by_path():
    by_code = sipas.load_structure("sipas-2023")
    by_path = sipas.load_structure(str(REPO / "survey" / "questionnaires" / "sipas-2023.json"))
    assert by_code == by_path
    assert [len(e.criteria) for e in by_code.elements] == [3, 4, 3, 3, 3]


def test_unknown_questionnaire_is_a_clear_error():
    with pytest.raises(DesignError, match="unknown questionnaire 'nope'"):
        sipas.load_structure("nope")


def test_records_have_the_fields_and_one_row_per_domain_and_measure(sipas_design, structure):
    table = sipas.indices(sipas_design, structure, by="service_area")
    records = table.records()
    assert list(records[0])[:len(RECORD_FIELDS)] == RECORD_FIELDS
    assert len(records) == 11 * (22 + 5 + 1 + 22)
    assert {r["by"] for r in records} == {"ALL"} | {f"LV0{i}" for i in range(10)}
    assert {r["level"] for r in records} == {"criterion", "element", "index", "mean"}


def test_without_by_only_all_rows(sipas_design, structure):
    frame = sipas.indices(sipas_design, structure).to_frame()
    assert set(frame["by"]) == {"ALL"} and len(frame) == 50


def test_element_is_the_mean_of_its_criteria_and_index_the_mean_of_elements(sipas_design,
                                                                          structure):
    table = sipas.indices(sipas_design, structure)
    crit = [table.get(c, "criterion")["estimate"] for c in ("TC1", "TC2", "TC3", "TC4")]
    assert table.get("TC", "element")["estimate"] == pytest.approx(np.mean(crit))
    elements = [table.get(e.code, "element")["estimate"] for e in structure.elements]
    assert table.get("SIPAS")["estimate"] == pytest.approx(np.mean(elements))


def test_composite_se_is_linearised_not_averaged(sipas_design, structure):
    table = sipas.indices(sipas_design, structure)
    crit_se = [table.get(c, "criterion")["se"] for c in ("TC1", "TC2", "TC3", "TC4")]
    element_se = table.get("TC", "element")["se"]
    assert element_se < np.mean(crit_se)          # averaging intervals would overstate it
    assert element_se > np.mean(crit_se) / 2


def test_element_weights_from_the_definition_are_used(sipas_design):
    definition = json.loads((REPO / "survey" / "questionnaires" / "sipas.json").read_text())
    definition["elements"][0]["weight"] = 3.0
    weighted = sipas.indices(sipas_design, definition)
    elements = [weighted.get(e, "element")["estimate"] for e in ("TC", "TT", "CC", "KQ", "GY")]
    expected = np.average(elements, weights=[3, 1, 1, 1, 1])
    assert weighted.get("SIPAS")["estimate"] == pytest.approx(expected)


def test_element_n_counts_respondents_answering_any_of_its_criteria(sipas_frame, sipas_design,
                                                                   structure):
    table = sipas.indices(sipas_design, structure)
    gy = sipas_frame[["GY1", "GY2", "GY3", "GY4"]].notna().any(axis=1).sum()
    assert table.get("GY", "element")["n"] == gy
    assert table.get("TC1", "criterion")["n"] == sipas_frame["TC1"].notna().sum()


@pytest.mark.parametrize("method", ["logit", "beta", "wilson", "wald"])
def test_every_interval_method_contains_the_estimate(sipas_design, structure, method):
    frame = sipas.indices(sipas_design, structure, by="agency", ci=method, level=0.9).to_frame()
    shares = frame[frame["level"] != "mean"]
    assert (shares["ci_low"] <= shares["estimate"]).all()
    assert (shares["estimate"] <= shares["ci_high"]).all()
    assert (frame.loc[frame["level"] == "mean", "ci_method"] == "wald").all()


def test_flags_follow_the_reliability_rule():
    rows = []
    for i in range(40):
        rows.append({"d": "small", "TC1": 5 if i < 5 else None})
        rows.append({"d": "mid", "TC1": 5 if i < 20 else (4 if i < 25 else None)})
        rows.append({"d": "big", "TC1": [5, 4, 2, 1][i % 4]})
    frame = pd.DataFrame(rows)
    definition = {"code": "t", "elements": [{"code": "E", "criteria": [{"code": "TC1"}]}]}
    table = sipas.indices(SurveyDesign(frame), definition, by="d")
    assert table.get("TC1", "criterion", by="small")["flag"] == "suppressed"
    mid = table.get("TC1", "criterion", by="mid")
    assert mid["flag"] == "low_n" and mid["ci_method"] == "beta"
    assert mid["se"] == 0 and mid["ci_high"] == 100 and mid["ci_low"] < 100
    assert table.get("TC1", "criterion", by="big")["flag"] == "wide"


def test_zero_se_flag_at_one_hundred_percent():
    frame = pd.DataFrame({"TC1": [5] * 50})
    definition = {"code": "t", "elements": [{"code": "E", "criteria": [{"code": "TC1"}]}]}
    row = sipas.indices(SurveyDesign(frame), definition).get("TC1", "criterion")
    assert row["flag"] == "zero_se" and row["estimate"] == 100
    assert row["ci_low"] == pytest.approx(100 * 0.025 ** (1 / 50))


@pytest.mark.parametrize("value,message", [(6, "row 3"), (0, "row 3"), (2.5, "row 3"),
                                           ("x", "row 3")])
def test_answers_off_the_scale_name_column_and_row(value, message):
    frame = pd.DataFrame({"TC1": [1, 2, value, 4]}, dtype=object)
    definition = {"code": "t", "elements": [{"code": "E", "criteria": [{"code": "TC1"}]}]}
    with pytest.raises(DesignError, match=message) as error:
        sipas.indices(SurveyDesign(frame), definition)
    assert error.value.column == "TC1"


def test_calibrated_design_keeps_estimates_of_weights_already_calibrated(sipas_frame,
                                                                          sipas_design,
                                                                          structure):
    from analysis import weighting
    totals = sipas_frame.groupby("agency", as_index=False)["weight"].sum()
    calibrated = weighting.post_stratify(sipas_design, totals.rename(columns={"weight": "total"}))
    plain = sipas.indices(sipas_design, structure, by="service_area").to_frame()
    cal = sipas.indices(calibrated, structure, by="service_area").to_frame()
    assert np.allclose(plain["estimate"], cal["estimate"], rtol=1e-12)
    assert (cal["se"] <= plain["se"] * (1 + 1e-9)).mean() > 0.5


def test_sums_path_equals_frame_path(sipas_design, structure):
    direct = sipas.indices(sipas_design, structure, by="service_area").to_frame()
    sums = sipas.design_sums(sipas_design, structure, by="service_area")
    assert len(sums) < len(sipas_design.frame) / 5
    via = sipas.indices_from_sums(sums, structure).to_frame()
    composite = direct["level"].isin(["element", "index"])
    assert via.loc[composite, "deff"].isna().all()   # sums hold no cross-products (rows do)
    pd.testing.assert_frame_equal(direct.drop(columns="deff"), via.drop(columns="deff"),
                                  rtol=1e-12)
    pd.testing.assert_series_equal(direct.loc[~composite, "deff"], via.loc[~composite, "deff"],
                                   rtol=1e-12)


@pytest.mark.parametrize("calibration", ["post_stratify", "rake"])
def test_calibrated_sums_equal_row_level_residuals(sipas_frame, sipas_design, structure,
                                                   calibration):
    import reference_cases as rc

    from analysis import weighting
    totals = pd.read_csv(rc.REFERENCE / "sipas-poststrata.csv")
    if calibration == "post_stratify":
        design = weighting.post_stratify(sipas_design, totals)
    else:
        agencies = sipas_frame.groupby("agency")["weight"].sum() * 1.1
        design = weighting.rake(sipas_design, {
            "service_area": dict(zip(totals["service_area"], totals["Freq"])),
            "agency": agencies.to_dict()})
    table = sipas.indices(design, structure, by="service_area").to_frame()
    for label in ("ALL", "LV04"):
        inside = np.ones(design.n, bool) if label == "ALL" else \
            (sipas_frame["service_area"] == label).to_numpy()
        expected = rc.row_level_calibrated_se(design, structure, inside)
        ours = table[table["by"] == label]
        scale = np.where(ours["level"] == "mean", 1.0, 100.0)
        np.testing.assert_allclose(ours["se"].to_numpy() / scale, expected, rtol=1e-9)
