"""Per-officer results against a hand computation: the direct index of an officer is a domain
of the default design of the agency's responses; the model-based one is ``small_area.shrink``
of the hand-computed officers toward the hand-computed agency; few answers show no numbers."""
from __future__ import annotations

import re

import numpy as np
import pytest

from analysis import small_area
from survey.reports.numbers import format_number

PERIOD = "2026-Q3"
DISTRICT_CELLS = ("H-AN-Q1", "X-AN1-Q1")


def _vi(value: float) -> str:
    return format_number(value, 1, "vi")


def _row(html: str, code: str) -> str:
    match = re.search(rf'<tr data-officer="{code}".*?</tr>', html, re.DOTALL)
    assert match, f"no row for {code}"
    return match.group(0)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _expected(survey_data, by_hand) -> dict:
    rows = [r for r in survey_data.rows if r["cell"] in DISTRICT_CELLS]
    officers = {code: by_hand(rows, lambda r, c=code: r["officer"] == c)
                for code in ("CB-A", "CB-B")}
    agency = by_hand(rows, lambda r: True)
    codes = ["CB-A", "CB-B"]
    model = small_area.shrink(
        np.array([officers[c]["estimate"] for c in codes]) / 100,
        np.array([officers[c]["se"] for c in codes]) / 100,
        np.array([officers[c]["n"] for c in codes], dtype=float),
        np.full(2, agency["estimate"] / 100), np.full(2, agency["se"] / 100))
    for i, code in enumerate(codes):
        officers[code]["model"] = [100 * model[k].iloc[i]
                                   for k in ("estimate", "ci_low", "ci_high")]
    return officers


def test_an_officers_direct_and_model_estimates_equal_the_hand_computation(
        app, survey_data, by_hand):
    from survey.extensions import db
    from survey.models import Officer
    from survey.officers.results import figures
    from survey.reports.compute import clear_cache
    from survey.reports.filters import ReportFilters

    expected = _expected(survey_data, by_hand)
    clear_cache()
    with app.app_context():
        people = [db.session.get(Officer, survey_data.officers[c]) for c in ("CB-A", "CB-B")]
        found = figures(db.session, people, ReportFilters(period=PERIOD))
    for code, officer in zip(("CB-A", "CB-B"), people):
        record = found[officer.id].index
        assert record["n"] == expected[code]["n"]
        for key in ("estimate", "se", "ci_low", "ci_high"):
            assert record[key] == pytest.approx(expected[code][key], rel=1e-9), (code, key)
        got = [record["model_estimate"], record["model_ci_low"], record["model_ci_high"]]
        assert got == pytest.approx(expected[code]["model"], rel=1e-6), code
    assert found[people[0].id].shown and not found[people[1].id].shown


def test_the_results_page_shows_the_numbers_and_hides_officers_with_few_answers(
        client, survey_data, by_hand, as_role):
    expected = _expected(survey_data, by_hand)["CB-A"]
    as_role("analyst")
    html = client.get(f"/officers/results?period={PERIOD}").get_data(as_text=True)
    row = _text(_row(html, "CB-A"))
    assert " 36 " in f" {row} "
    assert f"{_vi(expected['estimate'])} ({_vi(expected['ci_low'])}–{_vi(expected['ci_high'])})" \
        in row
    low, high = expected["model"][1:]
    assert f"{_vi(expected['model'][0])} ({_vi(low)}–{_vi(high)})" in row
    few = _row(html, "CB-B")
    assert "quá ít phiếu để hiển thị" in few and " 14 " in f" {_text(few)} "
    assert not re.search(r"\d+,\d", _text(few))
    assert 'data-officer="CB-C"' in html
    assert html.index('data-agency="SNV"') < html.index('data-agency="H-AN"')


def test_the_minimum_of_answers_comes_from_the_configuration(app, client, survey_data,
                                                             as_role):
    app.config["OFFICER_MIN_RESPONSES"] = 37
    as_role("analyst")
    html = client.get(f"/officers/results?period={PERIOD}").get_data(as_text=True)
    assert "quá ít phiếu để hiển thị" in _row(html, "CB-A")
    app.config["OFFICER_MIN_RESPONSES"] = 10
    html = client.get(f"/officers/results?period={PERIOD}").get_data(as_text=True)
    assert "quá ít phiếu để hiển thị" not in _row(html, "CB-B")


def test_one_officers_page_shows_index_elements_and_criteria(client, survey_data, by_hand,
                                                             as_role):
    expected = _expected(survey_data, by_hand)["CB-A"]
    as_role("admin")
    officer_id = survey_data.officers["CB-A"]
    html = client.get(f"/officers/{officer_id}?period={PERIOD}").get_data(as_text=True)
    headline = re.search(r'id="officer-index">(.*?)</div>', html, re.DOTALL).group(1)
    assert _text(headline) == _vi(expected["estimate"])
    assert f"{_vi(expected['ci_low'])}–{_vi(expected['ci_high'])}" in html
    for measure in ("SIPAS", "TC", "TT", "CC", "KQ", "GY", "TC1", "GY4"):
        assert f'data-measure="{measure}"' in html, measure
    assert "Nguyễn Thị An" in html and "Lê Văn Bình" not in html
    few = survey_data.officers["CB-B"]
    html = client.get(f"/officers/{few}?period={PERIOD}").get_data(as_text=True)
    assert "quá ít phiếu để hiển thị" in html and 'id="officer-measures"' not in html


def test_a_period_without_answers_and_a_bad_period_give_no_numbers_and_no_error(
        client, survey_data, as_role):
    as_role("analyst")
    html = client.get("/officers/results?period=2025-Q1").get_data(as_text=True)
    assert "quá ít phiếu để hiển thị" in _row(html, "CB-A")
    for query in ("period=2026-Q9", "period=%00", "date_from=2026-13-01&date_to=2026-01-01",
                  "agency=NOPE", "questionnaire=nope", "weights=%00", "agency=%00",
                  "questionnaire=%00", "service_area=%00", "agency=H-AN%0a", "%00=1"):
        response = client.get(f"/officers/results?{query}")
        assert response.status_code in (200, 400), query
        assert 'id="officer-results"' not in response.get_data(as_text=True), query
        officer_id = survey_data.officers["CB-A"]
        response = client.get(f"/officers/{officer_id}?{query}")
        assert response.status_code in (200, 400), query


def test_a_new_assignment_is_seen_at_once(app, client, province, survey_data, as_role):
    from survey.extensions import db
    from survey.models import Response

    as_role("analyst")
    html = client.get(f"/officers/results?period={PERIOD}").get_data(as_text=True)
    assert " 14 " in f" {_text(_row(html, 'CB-B'))} "
    with app.app_context():
        spare = db.session.query(Response).filter(
            Response.officer_id.is_(None),
            Response.agency_id == province.agency_ids["H-AN"]).first()
        spare.officer_id = survey_data.officers["CB-B"]
        db.session.commit()
    html = client.get(f"/officers/results?period={PERIOD}").get_data(as_text=True)
    assert " 15 " in f" {_text(_row(html, 'CB-B'))} "
