"""The portal-style table (/reports/portal): counts from the rows, Wilson intervals, attainment,
on-time follow-ups, viewer scope, XLSX and PDF, hostile filters."""
from __future__ import annotations

import io
import math
import re
import sys
import types
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analysis.followup import OnTime
from survey.extensions import db
from survey.models import (
    Agency,
    Answer,
    Counter,
    PopulationTotal,
    Questionnaire,
    Response,
    ServiceArea,
)
from survey.reports.compute import clear_cache

PERIOD = "2026-Q3"
Z = 1.959963984540054
TARGET = 0.9

# (counter, answers, status, day): the rows the table must count
SPECS = (
    [("SNV-Q1", {"HL": 5, "TC1": 2}, "valid", date(2026, 7, 3))] * 6
    + [("SNV-Q1", {"HL": 3, "TC1": 5, "TT1": 5}, "valid", date(2026, 8, 3))] * 3
    + [("SNV-Q1", {"TC1": 4, "TT1": 4}, "flagged", date(2026, 9, 3))] * 2
    + [("SNV-Q1", {"TC1": 3, "TT1": 4}, "valid", date(2026, 9, 4))]
    + [("SNV-Q1", {"HL": 5}, "excluded", date(2026, 7, 5))] * 2       # not counted
    + [("SNV-Q1", {"HL": 5}, "valid", date(2026, 6, 30))] * 2         # another quarter
    + [("H-AN-Q1", {"HL": 4, "CC1": 1}, "valid", date(2026, 7, 10))] * 10
    + [("H-AN-Q1", {"HL": 2}, "flagged", date(2026, 7, 11))] * 5
)
TOTALS = [("SNV", "DATDAI", 100), ("H-AN", "DATDAI", 10), ("X-AN1", "HOTICH", 40)]


def is_satisfied(answers: dict) -> bool | None:
    if "HL" in answers:
        return answers["HL"] >= 4
    criteria = [v for k, v in answers.items() if k != "HL"]
    return sum(criteria) / len(criteria) >= 4 if criteria else None


def expected(counter_prefix: str) -> tuple[int, int]:
    """n and satisfied of one agency's counted rows in the period, from SPECS."""
    rows = [a for c, a, status, day in SPECS if c.startswith(counter_prefix)
            and status != "excluded" and date(2026, 7, 1) <= day < date(2026, 10, 1)]
    return len(rows), sum(bool(is_satisfied(a)) for a in rows)


def wilson(x: float, n: float) -> tuple[float, float]:
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def store(session, specs, legacy: int = 0) -> None:
    """Store ``specs`` as responses; the last ``legacy`` ones without ``item_values``."""
    questionnaire = session.scalars(sa.select(Questionnaire).where(
        Questionnaire.code == "sipas")).first()
    made = []
    for counter_code, answers, status, day in specs:
        counter = session.scalars(sa.select(Counter).where(Counter.code == counter_code)).one()
        response = Response(
            uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
            counter_id=counter.id, agency_id=counter.agency_id,
            service_area_id=counter.service_areas[0].id, channel="kiosk",
            received_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC),
            survey_date=day, status=status,
            answers=[Answer(item_code=k, value=v) for k, v in answers.items()])
        session.add(response)
        made.append(response)
    session.flush()
    for response in made[len(made) - legacy:] if legacy else []:
        response.item_values = None


@pytest.fixture
def portal_data(app, province):
    """SPECS and TOTALS stored; one more satisfied SNV response stored without item_values."""
    clear_cache()
    with app.app_context():
        session = db.session
        store(session, SPECS)
        store(session, [("SNV-Q1", {"HL": 4}, "valid", date(2026, 8, 20))], legacy=1)
        for agency, area, dossiers in TOTALS:
            session.add(PopulationTotal(
                period=PERIOD, dossiers=dossiers,
                agency_id=session.scalar(sa.select(Agency.id).where(Agency.code == agency)),
                service_area_id=session.scalar(sa.select(ServiceArea.id).where(
                    ServiceArea.code == area))))
        session.commit()
    yield
    clear_cache()


@pytest.fixture
def analyst(portal_data, client, login_as):
    login_as("analyst")
    return client


@pytest.fixture
def on_time_module(monkeypatch, app):
    """``survey.followups.stats`` replaced by a module that returns fixed counts."""
    calls = []
    with app.app_context():
        ids = dict(db.session.execute(sa.select(Agency.code, Agency.id)).all())

    def on_time(session, start, end, agency_ids):
        calls.append((start, end, sorted(agency_ids)))
        return {ids["SNV"]: OnTime(8, 6, 2, 1, 0.75, 0.41, 0.93),
                ids["H-AN"]: OnTime(2, 2, 0, 0, 1.0, 0.34, 1.0)}

    module = types.ModuleType("survey.followups.stats")
    module.on_time = on_time
    monkeypatch.setitem(sys.modules, "survey.followups.stats", module)
    return calls


def records(app, client, query: str = f"period={PERIOD}") -> dict[str, list]:
    """The rows of /reports/portal as the XLSX holds them, keyed by agency code."""
    response = client.get(f"/reports/portal.xlsx?{query}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert sheet.cell(row=3, column=3).value == "Hồ sơ đã giải quyết (N)"
    return {row[0]: list(row) for row in sheet.iter_rows(min_row=4, values_only=True)}


def test_counts_equal_the_rows_created(analyst, app):
    from survey.reports.filters import ReportFilters
    from survey.reports.portal import portal_table

    with app.test_request_context("/"):
        table = portal_table(db.session, ReportFilters(period=PERIOD))
    lines = {line.code: line.figures for line in table.lines}
    n, good = expected("SNV")
    assert (lines["SNV"].rated, lines["SNV"].ratings, lines["SNV"].satisfied) == \
        (n + 1, n + 1, good + 1)   # + the response stored without item_values
    assert (n + 1, good + 1) == (13, 9)
    n, good = expected("H-AN")
    assert (lines["H-AN"].rated, lines["H-AN"].satisfied) == (n, good) == (15, 10)
    assert (lines["X-AN1"].rated, lines["X-AN1"].ratings, lines["X-AN1"].satisfied) == (0, 0, 0)
    assert [lines[c].dossiers for c in ("SNV", "H-AN", "X-AN1")] == [100, 10, 40]
    total = table.total.figures
    assert (total.dossiers, total.rated, total.satisfied) == (150, 28, 19)


def test_shares_and_bounds_follow_the_wilson_formula(analyst, app):
    with app.app_context():
        assert app.config["PORTAL_SATISFIED_TARGET"] == TARGET
    row = records(app, analyst)["SNV"]
    assert row[4] == pytest.approx(13.0, rel=1e-12)
    low, high = wilson(13, 100)
    assert (row[5], row[6]) == (pytest.approx(100 * low, rel=1e-12),
                                pytest.approx(100 * high, rel=1e-12))
    low, high = wilson(9, 13)
    assert row[9] == pytest.approx(100 * 9 / 13, rel=1e-12)
    assert (row[10], row[11]) == (pytest.approx(100 * low, rel=1e-12),
                                  pytest.approx(100 * high, rel=1e-12))
    assert row[12] == pytest.approx(90.0)
    assert row[13] == pytest.approx(100 * (9 / 13) / TARGET, rel=1e-12)
    total = records(app, analyst)["ALL"]
    assert total[2:4] == [150, 28]
    low, high = wilson(19, 28)
    assert (total[9], total[10], total[11]) == (
        pytest.approx(100 * 19 / 28, rel=1e-12), pytest.approx(100 * low, rel=1e-12),
        pytest.approx(100 * high, rel=1e-12))


def test_more_rated_than_dossiers_is_flagged_without_interval(analyst, app):
    row = records(app, analyst)["H-AN"]
    assert row[4] == pytest.approx(150.0)
    assert row[5] is None and row[6] is None
    assert "nhiều phiếu hơn hồ sơ" in row[-1]
    assert row[13] == pytest.approx(100 * (10 / 15) / TARGET, rel=1e-12)


def test_attainment_is_zero_when_nobody_rated(analyst, app):
    row = records(app, analyst)["X-AN1"]
    assert row[2:4] == [40, 0]
    assert row[4] == 0.0 and row[9] is None
    assert row[13] == 0.0
    html = analyst.get(f"/reports/portal?period={PERIOD}").get_data(as_text=True)
    x_an1 = re.search(r'<tr data-unit="X-AN1".*?</tr>', html, re.DOTALL).group(0)
    assert 'class="num attainment">0,0<' in x_an1


def test_page_shows_the_counts_the_note_and_links(analyst):
    html = analyst.get(f"/reports/portal?period={PERIOD}").get_data(as_text=True)
    snv = re.search(r'<tr data-unit="SNV".*?</tr>', html, re.DOTALL).group(0)
    assert 'class="num rated">13<' in snv and 'class="num satisfied">9/13<' in snv
    assert 'class="num dossiers">100<' in snv
    assert "giá trị trung bình" not in html  # the rule is stated in the note below
    assert "trung bình các tiêu chí đã trả lời" in html
    assert "/reports/portal.xlsx" in html and "/reports/portal.pdf" in html
    report = analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    assert 'id="portal-link"' in report


def test_on_time_column_reads_the_follow_ups(analyst, app, on_time_module):
    got = records(app, analyst)
    snv, total = got["SNV"], got["ALL"]
    assert snv[14:19] == [8, 6, 75.0, 41.0, 93.0]
    assert total[14:16] == [10, 8]
    low, high = wilson(8, 10)
    assert total[16:19] == [pytest.approx(80.0), pytest.approx(100 * low, rel=1e-12),
                            pytest.approx(100 * high, rel=1e-12)]
    assert got["X-AN1"][14] is None
    start, end, ids = on_time_module[0]
    assert (start, end, len(ids)) == (date(2026, 7, 1), date(2026, 9, 30), 3)
    html = analyst.get(f"/reports/portal?period={PERIOD}").get_data(as_text=True)
    assert "6/8" in re.search(r'<tr data-unit="SNV".*?</tr>', html, re.DOTALL).group(0)


def test_sipas_index_beside_is_the_reports(analyst, app):
    from survey.reports.compute import build_report
    from survey.reports.filters import ReportFilters

    got = records(app, analyst)
    with app.test_request_context("/"):
        report = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
    agency = report.current.breakdowns["agency"]
    snv = agency[(agency["by"] == "SNV") & (agency["level"] == "index")].iloc[0]
    row = got["SNV"]
    assert row[19] == pytest.approx(snv["estimate"], rel=1e-12)
    assert row[20] == pytest.approx(snv["ci_low"], rel=1e-12)
    assert got["ALL"][19] == pytest.approx(report.sipas["estimate"], rel=1e-12)


def test_agency_viewer_sees_its_subtree_only(portal_data, client, login_as, app):
    login_as("agency_viewer", "H-AN")
    got = records(app, client)
    assert set(got) == {"H-AN", "X-AN1", "ALL"}
    assert got["ALL"][2:4] == [50, 15]
    assert client.get(f"/reports/portal?period={PERIOD}&agency=SNV").status_code == 403
    assert client.get(f"/reports/portal.xlsx?period={PERIOD}&agency=SNV").status_code == 403
    html = client.get(f"/reports/portal?period={PERIOD}").get_data(as_text=True)
    assert 'data-unit="SNV"' not in html and 'data-unit="H-AN"' in html


def test_pdf_is_a_pdf(analyst):
    response = analyst.get(f"/reports/portal.pdf?period={PERIOD}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].endswith('.pdf"')


def test_strangers_are_sent_to_sign_in(portal_data, client):
    assert client.get("/reports/portal").status_code in (302, 401)
    assert client.get("/reports/portal.xlsx").status_code in (302, 401)


@pytest.mark.parametrize("query", ["period=2026-Q9", "period=2026%00", "agency=NOPE",
                                   "agency=%00", "questionnaire=evil", "channel=%3Cscript%3E",
                                   "weights=x", "date_from=2026-13-40&date_to=2026-01-01",
                                   "period=9999-99-99..0000-00-00"])
def test_hostile_filter_values_are_bad_requests(analyst, query):
    for url in ("/reports/portal", "/reports/portal.xlsx", "/reports/portal.pdf"):
        assert analyst.get(f"{url}?{query}").status_code == 400, (url, query)


def test_unknown_format_is_not_found(analyst):
    assert analyst.get(f"/reports/portal.doc?period={PERIOD}").status_code == 404
