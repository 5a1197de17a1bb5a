"""Slice sums give the default design's numbers: the respondent rows are the reference.

Every table is computed twice from the same responses: once from the rows
(``cells.counter_design`` → ``SurveyDesign``) and once from their slices (``slices.from_answers``
→ ``counter_design(count="rows")`` → ``SliceDesign``); estimates, SEs, intervals, n_eff, deff
and df must agree to a relative 1e-9, including merged small cells, cells without a total,
an over-covered cell, a lonely stratum, domains inside a report domain and a difference of
two periods.
"""
import numpy as np
import pandas as pd
import pytest

from analysis import DesignError, breakdowns, cells, compare, sipas, slices

STRUCTURE = sipas.load_structure("sipas")
KEYS = ["quarter", "agency", "service_area", "counter", "channel", "status"]
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "n", "n_eff", "deff", "df"]


def _rows(seed: int = 3, n: int = 900) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    counters = [("A1", "A"), ("A2", "A"), ("B1", "B"), ("C1", "C"), ("C2", "C"), ("C3", "C"),
                ("D1", "D")]
    pick = rng.choice(len(counters), size=n, p=[.2, .1, .25, .15, .1, .1, .1])
    frame = pd.DataFrame({
        "quarter": rng.choice(["2026-Q1", "2026-Q2"], size=n),
        "counter": [counters[i][0] for i in pick], "agency": [counters[i][1] for i in pick],
        "service_area": rng.choice(["HT", "DD", "XD"], size=n, p=[.6, .3, .1]),
        "channel": rng.choice(["kiosk", "qr"], size=n),
        "status": rng.choice(["valid", "flagged"], size=n, p=[.85, .15])})
    frame.loc[0, ["quarter", "agency", "counter", "service_area"]] = ["2026-Q2", "D", "D1", "XD"]
    frame = frame[~((frame["agency"] == "D") & (frame["service_area"] == "XD")
                    & (frame["quarter"] == "2026-Q2"))].copy()
    lonely = frame.iloc[:1].copy()
    lonely[["quarter", "agency", "counter", "service_area"]] = ["2026-Q2", "E", "E1", "HT"]
    frame = pd.concat([frame, lonely], ignore_index=True)
    latent = 3.8 + rng.normal(0, 0.8, (len(frame), len(STRUCTURE.criteria)))
    answers = np.clip(np.rint(latent), 1, 5)
    answers[rng.random(answers.shape) < 0.08] = np.nan
    answers[5] = np.nan                      # a respondent answering nothing
    frame[STRUCTURE.criteria] = answers
    cell_keys = frame.groupby(list(cells.CELL)).size().reset_index(name="k")
    totals = cell_keys.assign(dossiers=(cell_keys["k"] * rng.uniform(5, 40, len(cell_keys))
                                        ).round())
    totals = totals.iloc[1:].copy()           # one cell without a total
    totals.iloc[0, totals.columns.get_loc("dossiers")] = 1   # one over-covered cell
    return frame.reset_index(drop=True), totals.drop(columns="k")


def _plans(frame, totals):
    rows = cells.counter_design(frame, totals)
    sums = slices.from_answers(frame, frame[STRUCTURE.criteria].to_numpy(), STRUCTURE, KEYS)
    plan = cells.counter_design(sums.keys, totals, count="rows", sums=sums)
    return rows, plan


def _same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    expected = expected.sort_values(["by", "level", "measure"]).reset_index(drop=True)
    got = got.sort_values(["by", "level", "measure"]).reset_index(drop=True)
    assert list(expected["by"]) == list(got["by"])
    assert list(expected["flag"]) == list(got["flag"])
    for column in NUMBERS:
        a, b = expected[column].to_numpy(float), got[column].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), column
        ok = ~np.isnan(a)
        np.testing.assert_allclose(b[ok], a[ok], rtol=1e-9, atol=1e-12, err_msg=column)


def test_the_plan_of_slices_has_the_cells_of_the_rows():
    rows, plan = _plans(*_rows())
    assert plan.summary() == rows.summary()
    table_rows = rows.cell_table().sort_values("stratum").reset_index(drop=True)
    table_slices = plan.cell_table().sort_values("stratum").reset_index(drop=True)
    pd.testing.assert_frame_equal(table_rows, table_slices)
    assert rows.summary()["merged_cells"] > 0 and rows.summary()["over_covered"]
    assert rows.summary()["cells_without_total"] == 1 and rows.summary()["lonely_strata"]


@pytest.mark.parametrize("by", [None, "service_area", "agency", "counter", "channel",
                                "status", "quarter"])
@pytest.mark.parametrize("weighted", [True, False])
def test_every_breakdown_from_slices_equals_the_rows(by, weighted):
    rows, plan = _plans(*_rows())
    expected = sipas.indices(rows.design(weighted), STRUCTURE, by=by).to_frame()
    got = sipas.indices(plan.design(weighted), STRUCTURE, by=by).to_frame()
    assert len(got) == len(expected) > 0
    _same(expected, got)


def test_domains_inside_a_report_domain_and_the_flagged_sensitivity_equal_the_rows():
    rows, plan = _plans(*_rows(seed=11))
    for source in (rows, plan):
        source.inside = (source.frame["service_area"] == "HT").to_numpy()
    for column in ("counter", "agency"):
        _same(breakdowns.breakdown_table(rows.design(), STRUCTURE, column, rows.inside),
              breakdowns.breakdown_table(plan.design(), STRUCTURE, column, plan.inside))
    _same(breakdowns.overall_table(rows.design(), STRUCTURE, rows.inside),
          breakdowns.overall_table(plan.design(), STRUCTURE, plan.inside))
    expected = breakdowns.sensitivity(rows.design(), STRUCTURE, "status", "valid", rows.inside)
    got = breakdowns.sensitivity(plan.design(), STRUCTURE, "status", "valid", plan.inside)
    for name in NUMBERS:
        assert got[name] == pytest.approx(expected[name], rel=1e-9)


def test_coverage_of_slices_counts_their_responses():
    rows, plan = _plans(*_rows())
    for by in (None, "agency", "counter"):
        expected = cells.coverage(rows.frame, by).set_index("by").sort_index()
        got = cells.coverage(plan.frame, by, "rows").set_index("by").sort_index()
        np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float), rtol=1e-12)


def test_a_difference_of_two_periods_from_slices_equals_the_rows():
    rows, plan = _plans(*_rows(seed=5))
    expected = compare.sipas_difference(rows.design(), STRUCTURE, "quarter", "2026-Q2",
                                        "2026-Q1")
    got = compare.sipas_difference(plan.design(), STRUCTURE, "quarter", "2026-Q2", "2026-Q1")
    for column in ("estimate_a", "estimate_b", "difference", "se", "ci_low", "ci_high",
                   "p_value"):
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-9, atol=1e-12,
                                   err_msg=column)


def test_the_variance_is_not_the_subset_variance():
    """A counter's SE from slices keeps every stratum: it differs from the SE of the
    counter's rows alone (which would drop the other counters of its cells)."""
    rows, plan = _plans(*_rows())
    full = sipas.indices(plan.design(), STRUCTURE, by="counter").get("SIPAS", "index", "A1")
    subset_rows = rows.frame[rows.frame["counter"] == "A1"]
    subset = cells.counter_design(subset_rows.drop(columns=[
        "stratum", "weight", "fpc", "unit_weight", "has_total", "cell_flag"]),
        None).design(weighted=False)
    alone = sipas.indices(subset, STRUCTURE).get("SIPAS", "index")
    assert full["se"] != pytest.approx(alone["se"], rel=1e-3)


def test_packed_vectors_round_trip_and_slices_merge():
    frame, _ = _rows()
    sums = slices.from_answers(frame, frame[STRUCTURE.criteria].to_numpy(), STRUCTURE, KEYS)
    packed = sums.pack()
    assert packed.shape[1] == slices.vector_size(len(STRUCTURE.criteria),
                                                 len(STRUCTURE.elements))
    back = slices.SliceSums.unpack(sums.keys, packed, len(STRUCTURE.criteria),
                                   len(STRUCTURE.elements))
    np.testing.assert_array_equal(back.cross, sums.cross)
    by_agency = sums.grouped(["agency"])
    direct = slices.from_answers(frame, frame[STRUCTURE.criteria].to_numpy(), STRUCTURE,
                                 ["agency"])
    order = np.argsort(by_agency.keys["agency"].to_numpy())
    order_direct = np.argsort(direct.keys["agency"].to_numpy())
    np.testing.assert_array_equal(by_agency.cross[order], direct.cross[order_direct])
    np.testing.assert_array_equal(by_agency.n_any[order], direct.n_any[order_direct])
    assert sums.a.sum() == np.isfinite(frame[STRUCTURE.criteria].to_numpy()).sum()
    assert sums.keys["rows"].sum() == len(frame)


def test_slices_of_an_older_version_map_by_criterion_code():
    frame, _ = _rows()
    dropped = STRUCTURE.criteria[0]
    old = sipas.Structure(STRUCTURE.code, tuple(
        sipas.Element(e.code, e.weight, tuple(c for c in e.criteria if c != dropped))
        for e in STRUCTURE.elements), STRUCTURE.satisfied_min, STRUCTURE.scale_min,
        STRUCTURE.scale_max)
    frame[dropped] = np.nan
    answers = frame[old.criteria].to_numpy()
    mapped = slices.remap(slices.from_answers(frame, answers, old, KEYS), old, STRUCTURE)
    direct = slices.from_answers(frame, frame[STRUCTURE.criteria].to_numpy(), STRUCTURE, KEYS)
    np.testing.assert_array_equal(mapped.cross, direct.cross)
    np.testing.assert_array_equal(mapped.n_element, direct.n_element)
    moved = sipas.Structure(STRUCTURE.code, (
        sipas.Element(STRUCTURE.elements[0].code, 1.0, STRUCTURE.elements[0].criteria[:-1]),
        sipas.Element(STRUCTURE.elements[1].code, 1.0, STRUCTURE.elements[1].criteria
                      + STRUCTURE.elements[0].criteria[-1:]), *STRUCTURE.elements[2:]),
        STRUCTURE.satisfied_min, STRUCTURE.scale_min, STRUCTURE.scale_max)
    assert not slices.compatible(moved, STRUCTURE)
    with pytest.raises(DesignError, match="read the rows"):
        slices.remap(direct, moved, STRUCTURE)


def test_a_slice_design_refuses_weights_that_vary_in_a_stratum():
    _, plan = _plans(*_rows())
    frame = plan.frame.copy()
    frame.loc[0, "weight"] *= 2
    with pytest.raises(DesignError, match="constant weight"):
        slices.SliceDesign(plan.sums, frame)


def test_moments_of_domains_holding_whole_strata_add_up_to_the_rows():
    """Agencies hold whole strata (cells are quarter × agency × area): each agency's moments
    give its row-path numbers, and their sum gives ALL's — the national roll-up's algebra."""
    rows, plan = _plans(*_rows(seed=9))
    design = plan.design()
    g, labels = pd.factorize(design.frame["agency"], sort=True)
    moments = slices.domain_moments(design, np.asarray(g), len(labels))
    total = moments[0]
    for m in moments[1:]:
        total = total + m
    results = slices.moments_results(moments + [total], STRUCTURE)
    got = sipas.records([(str(label), res, df) for label, (res, df) in
                         zip(list(labels) + ["ALL"], results)], STRUCTURE)
    expected = sipas.indices(rows.design(), STRUCTURE, by="agency").to_frame()
    _same(expected, got)
    back = slices.Moments.from_list(total.to_list(), len(STRUCTURE.criteria),
                                    len(STRUCTURE.elements))
    np.testing.assert_array_equal(back.share, total.share)
    with pytest.raises(DesignError, match="finite numbers"):
        slices.Moments.from_list([1.0, 2.0], len(STRUCTURE.criteria), len(STRUCTURE.elements))
