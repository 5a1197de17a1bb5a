"""Awkward periods get a note in the report and a flag in the data, never a crash or a NaN.

Partial totals, a cell with more responses than dossiers, a unit without responses, a
questionnaire version change inside the period and an agency with one respondent, together.
"""
import copy
import io
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from survey import queries
from survey import questionnaires as qdefs
from survey.catalog import new_token, publish_questionnaire
from survey.extensions import db
from survey.models import Agency, Answer, Counter, PopulationTotal, Response, ServiceArea
from survey.reports.compute import clear_cache

PERIOD = "2026-Q3"


def _responses(session, counter_code: str, area_code: str, count: int, questionnaire,
               value: int = 4) -> None:
    counter = session.scalars(db.select(Counter).where(Counter.code == counter_code)).one()
    area = session.scalars(db.select(ServiceArea).where(ServiceArea.code == area_code)).one()
    for i in range(count):
        day = date(2026, 7, 1 + i % 28)
        answers = {"TC1": value if i % 3 else 5, "TT1": 3 + i % 3, "CC1": 4, "KQ1": 5,
                   "GY1": 2 + i % 4}
        session.add(Response(
            uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
            counter_id=counter.id, agency_id=counter.agency_id, service_area_id=area.id,
            channel="kiosk", received_at=datetime(2026, 7, 1 + i % 28, 3, tzinfo=UTC),
            survey_date=day, status="valid",
            answers=[Answer(item_code=c, value=v) for c, v in answers.items()]))


def _total(session, agency: str, area: str, dossiers: int) -> None:
    session.add(PopulationTotal(
        period=PERIOD, dossiers=dossiers,
        agency_id=session.scalars(db.select(Agency.id).where(Agency.code == agency)).one(),
        service_area_id=session.scalars(db.select(ServiceArea.id).where(
            ServiceArea.code == area)).one()))


@pytest.fixture
def awkward(app, province):
    """A period with every awkward case at once."""
    clear_cache()
    with app.app_context():
        session = db.session
        first = queries.latest_questionnaire(session, "sipas")
        definition = copy.deepcopy(first.definition)
        definition["version"] = first.version + 1
        second, _ = publish_questionnaire(session, definition)
        commune = Agency(code="X-AN2", name="UBND xã An Lạc", level=3,
                         parent_id=province.agency_ids["H-AN"])
        area = session.scalars(db.select(ServiceArea).where(ServiceArea.code == "HOTICH")).one()
        session.add_all([commune, Counter(code="X-AN2-Q1", name="Quầy 1", agency=commune,
                                          token=new_token(), service_areas=[area])])
        _responses(session, "SNV-Q1", "DATDAI", 30, first)           # 30 responses, 20 dossiers
        _responses(session, "H-AN-Q1", "DATDAI", 25, first)
        _responses(session, "H-AN-Q1", "XAYDUNG", 12, second)        # no total, new version
        _responses(session, "X-AN1-Q1", "HOTICH", 1, first)          # one respondent
        _total(session, "SNV", "DATDAI", 20)
        _total(session, "H-AN", "DATDAI", 500)
        _total(session, "X-AN1", "HOTICH", 100)
        session.commit()
    yield app
    clear_cache()


def test_the_page_notes_every_awkward_case_and_shows_no_nan(awkward, client, login_as):
    login_as("analyst")
    response = client.get(f"/reports/?period={PERIOD}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for bad in ("nan", "NaN", "inf", "None"):
        assert f">{bad}<" not in html and f" {bad} " not in html, bad
    assert "nhiều phiếu hơn số hồ sơ (2026-Q3|SNV|DATDAI)" in html
    first = qdefs.load_file(qdefs.FOLDER / "sipas.json")["version"]
    assert f"nhiều phiên bản bảng hỏi ({first}, {first + 1})" in html
    assert "chỉ có một phiếu kể cả sau khi gộp (2026-Q3|X-AN1|*)" in html
    assert "Kỳ này chưa có số hồ sơ (tổng thể) cho 1/4 ô" in html
    assert 'data-unit="X-AN2"' in html and "chưa có phiếu" in html
    for fmt in ("xlsx", "pdf", "csv"):
        assert client.get(f"/reports/export.{fmt}?period={PERIOD}").status_code == 200


def test_the_data_formats_carry_the_flags(awkward, client, login_as):
    login_as("analyst")
    result = awkward.test_cli_runner().invoke(
        args=["sipas", "report", "--period", PERIOD, "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    kinds = {r["flag"] for r in records if r["section"] == "warning"}
    assert kinds == {"partial_totals", "over_covered", "lonely", "merged",
                     "questionnaire_versions"}
    cells = {r["by"]: r for r in records if r["section"] == "cells"}
    assert cells["2026-Q3|SNV|DATDAI"]["flag"] == "over_covered"
    assert cells["2026-Q3|SNV|DATDAI"]["coverage"] == pytest.approx(100 * 30 / 20)
    assert cells["2026-Q3|H-AN|XAYDUNG"]["flag"] == "no_total"
    assert cells["2026-Q3|H-AN|XAYDUNG"]["coverage"] is None
    agencies = {r["by"]: r for r in records if r["section"] == "agency"
                and r["measure"] == "SIPAS"}
    assert agencies["X-AN2"]["n"] == 0 and agencies["X-AN2"]["cell_notes"] == "no_responses"
    assert agencies["X-AN1"]["n"] == 1 and agencies["X-AN1"]["flag"] == "suppressed"
    assert "over_covered" in agencies["SNV"]["cell_notes"]
    assert "no_total" in agencies["H-AN"]["cell_notes"]
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?period={PERIOD}").data))
    flags = {row[7] for row in book.worksheets[-1].iter_rows(min_row=4, values_only=True)}
    assert {"phiếu > hồ sơ", "chưa có số hồ sơ"} <= flags


@pytest.mark.parametrize("query", ["agency=%00", "service_area=DAT%00DAI",
                                   "questionnaire=sipas%00", "period=2026%00"])
def test_a_control_character_in_a_filter_is_a_bad_request(analyst, query):
    """A NUL would reach a code lookup as text, which PostgreSQL refuses (once a 500)."""
    assert analyst.get(f"/reports/?{query}").status_code == 400
    assert analyst.get(f"/reports/export.csv?{query}").status_code == 400
