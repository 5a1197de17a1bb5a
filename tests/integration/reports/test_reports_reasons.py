"""Reasons for dissatisfaction in the report and its XLSX (never the free text), and the
``import`` channel (paper and telephone surveys) in the filters, the breakdown and the CLI."""
from __future__ import annotations

import io
import json
import re
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from survey.extensions import db
from survey.models import (
    Answer,
    Counter,
    Questionnaire,
    Response,
    ResponseComment,
    ResponseReason,
)
from survey.reports.compute import build_report, clear_cache
from survey.reports.filters import ReportFilters

PERIOD = "2026-Q3"
SECRET = "Cán bộ Nguyễn Văn Bí-mật-4711 đòi tiền"


def add(session, counter_code: str, answers: dict, reasons: dict | None = None,
        status: str = "valid", day: date = date(2026, 8, 4), channel: str = "kiosk",
        comment: str | None = None) -> None:
    """Store one response with its reasons ({item: [codes]}) and comment."""
    questionnaire = session.scalars(sa.select(Questionnaire).where(
        Questionnaire.code == "sipas")).first()
    counter = session.scalars(sa.select(Counter).where(Counter.code == counter_code)).one()
    response = Response(
        uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
        counter_id=counter.id, agency_id=counter.agency_id,
        service_area_id=counter.service_areas[0].id, channel=channel,
        import_mode="paper" if channel == "import" else None,
        received_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC), survey_date=day,
        status=status, answers=[Answer(item_code=k, value=v) for k, v in answers.items()])
    session.add(response)
    session.flush()
    for item, codes in (reasons or {}).items():
        session.add_all(ResponseReason(response_id=response.id, item_code=item, reason_code=c)
                        for c in codes)
    if comment:
        session.add(ResponseComment(response_id=response.id, text=comment, complaint=True))


@pytest.fixture
def reasons_data(app, province):
    clear_cache()
    with app.app_context():
        s = db.session
        for i in range(8):
            add(s, "SNV-Q1", {"HL": 4 + i % 2, "TC1": 4, "TT1": 5})
        add(s, "SNV-Q1", {"HL": 2, "TC1": 1}, {"TC1": ["ACC_WAIT", "ACC_SIGNS"]},
            comment=SECRET)
        add(s, "SNV-Q1", {"HL": 3, "TC1": 2}, {"TC1": ["ACC_WAIT"]})
        add(s, "SNV-Q1", {"HL": 1, "TC1": 1}, {"TC1": ["ACC_WAIT"], "HL": ["ALL_TIME"]})
        add(s, "SNV-Q1", {"TC1": 1}, {"TC1": ["ACC_WAIT"]}, status="excluded")
        add(s, "SNV-Q1", {"TC1": 1}, {"TC1": ["ACC_WAIT"]}, day=date(2026, 6, 1))
        add(s, "H-AN-Q1", {"HL": 3, "CC1": 2}, {"CC1": ["STF_ATTITUDE"]}, status="flagged")
        add(s, "H-AN-Q1", {"HL": 2, "CC1": 1}, {"CC1": ["STF_ATTITUDE"]})
        add(s, "X-AN1-Q1", {"HL": 2, "TC1": 2}, {"TC1": ["ACC_WAIT"]}, comment=SECRET)
        s.commit()
    yield
    clear_cache()


@pytest.fixture
def analyst(reasons_data, client, login_as):
    login_as("analyst")
    return client


def section(html: str, ident: str) -> str:
    match = re.search(rf'<section[^>]*id="{ident}".*?</section>', html, re.DOTALL)
    assert match, ident
    return match.group(0)


def page_counts(html: str, level: str) -> dict[tuple[str, str], int]:
    table = re.search(rf'<table[^>]*id="reasons-{level}".*?</table>', html, re.DOTALL)
    assert table, level
    rows = re.findall(r'<tr data-unit="([^"]+)" data-reason="([^"]+)">.*?class="num count">'
                      r'(\d+)<', table.group(0), re.DOTALL)
    return {(unit, code): int(n) for unit, code, n in rows}


def low_ratings(html: str, level: str) -> dict[str, int]:
    table = re.search(rf'<table[^>]*id="reasons-{level}".*?</table>', html, re.DOTALL).group(0)
    return {unit: int(n) for unit, n in re.findall(
        r'<tr data-unit="([^"]+)"[^>]*><th[^>]*>[^<]*</th><td class="num low-ratings"[^>]*>'
        r'(\d+)<', table)}


def test_reason_counts_equal_the_rows_created(analyst):
    html = analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    reasons = section(html, "reasons")
    assert "Lý do chưa hài lòng" in reasons
    assert page_counts(html, "agency") == {
        ("SNV", "ACC_WAIT"): 3, ("SNV", "ACC_SIGNS"): 1, ("SNV", "ALL_TIME"): 1,
        ("H-AN", "STF_ATTITUDE"): 2, ("X-AN1", "ACC_WAIT"): 1}
    assert low_ratings(html, "agency") == {"SNV": 4, "H-AN": 2, "X-AN1": 1}
    assert "Phải chờ lâu" in reasons and "Thái độ chưa lịch sự" in reasons
    assert 'id="reasons-counter"' not in html


def test_one_agency_lists_its_counters_too(analyst):
    html = analyst.get(f"/reports/?period={PERIOD}&agency=H-AN").get_data(as_text=True)
    assert page_counts(html, "agency") == {("H-AN", "STF_ATTITUDE"): 2,
                                           ("X-AN1", "ACC_WAIT"): 1}
    assert page_counts(html, "counter") == {("H-AN-Q1", "STF_ATTITUDE"): 2,
                                            ("X-AN1-Q1", "ACC_WAIT"): 1}


def test_reasons_follow_the_channel_domain(analyst):
    html = analyst.get(f"/reports/?period={PERIOD}&channel=qr").get_data(as_text=True)
    assert page_counts(html, "agency") == {}
    assert "Không có lý do nào được nêu." in section(html, "reasons")


def test_xlsx_holds_the_same_reason_counts(analyst):
    book = load_workbook(io.BytesIO(analyst.get(
        f"/reports/export.xlsx?period={PERIOD}&agency=H-AN").data))
    sheet = book["Lý do chưa hài lòng"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert sorted(rows) == sorted([
        ("Cơ quan", "H-AN", "UBND huyện An Phú", 2, "STF_ATTITUDE", "Thái độ chưa lịch sự", 2),
        ("Cơ quan", "X-AN1", "UBND xã An Hòa", 1, "ACC_WAIT", "Phải chờ lâu", 1),
        ("Quầy", "H-AN-Q1", "UBND huyện An Phú – Quầy 1", 2, "STF_ATTITUDE",
         "Thái độ chưa lịch sự", 2),
        ("Quầy", "X-AN1-Q1", "UBND xã An Hòa – Quầy 1", 1, "ACC_WAIT", "Phải chờ lâu", 1)])


def _cells(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(str(v) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def test_free_text_is_never_shown(analyst):
    pages = [analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True),
             analyst.get(f"/reports/?period={PERIOD}&agency=SNV").get_data(as_text=True),
             analyst.get(f"/reports/portal?period={PERIOD}").get_data(as_text=True),
             analyst.get(f"/reports/export.csv?period={PERIOD}").get_data(as_text=True),
             analyst.get(f"/reports/raw.csv?period={PERIOD}").get_data(as_text=True),
             _cells(analyst.get(f"/reports/export.xlsx?period={PERIOD}&agency=SNV").data),
             _cells(analyst.get(f"/reports/raw.xlsx?period={PERIOD}").data),
             _cells(analyst.get(f"/reports/portal.xlsx?period={PERIOD}").data)]
    for text in pages:
        assert "Bí-mật-4711" not in text and "đòi tiền" not in text


# -- the import channel -------------------------------------------------------------------
@pytest.fixture
def three_channels(app, province):
    """12 responses in each channel at SNV; the import ones are lower."""
    clear_cache()
    with app.app_context():
        s = db.session
        for channel, base in (("kiosk", 4), ("qr", 3), ("import", 2)):
            for i in range(12):
                add(s, "SNV-Q1", {"HL": base, "TC1": base + i % 2, "TT1": 5 - i % 3,
                                  "CC1": base}, channel=channel, day=date(2026, 7, 1 + i))
        s.commit()
    yield
    clear_cache()


def test_channel_domain_estimates_for_three_channels(three_channels, app):
    with app.test_request_context("/"):
        whole = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
        channels = whole.current.breakdowns["channel"]
        index = channels[channels["level"] == "index"].set_index("by")
        assert sorted(index.index) == ["import", "kiosk", "qr"]
        assert index["n"].tolist() == [12, 12, 12]
        assert int(whole.sipas["n"]) == 36
        for channel in ("kiosk", "qr", "import"):
            domain = build_report(db.session, ReportFilters(period=PERIOD, channel=channel),
                                  trend=False).sipas
            assert int(domain["n"]) == 12
            for key in ("estimate", "se", "ci_low", "ci_high"):
                assert domain[key] == pytest.approx(index.loc[channel, key], rel=1e-9), key
        assert index.loc["import", "estimate"] < index.loc["kiosk", "estimate"]


def test_import_channel_in_the_page_and_its_breakdown(three_channels, client, login_as):
    login_as("analyst")
    html = client.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    assert "Khảo sát phiếu giấy hoặc điện thoại (nhập vào)" in section(html, "by-channel")
    picker = re.search(r'<select[^>]*name="channel".*?</select>', html, re.DOTALL).group(0)
    assert 'value="import"' in picker
    only = client.get(f"/reports/?period={PERIOD}&channel=import")
    assert only.status_code == 200
    text = only.get_data(as_text=True)
    assert re.search(r'id="sipas-n">[^<]*12', text)
    assert "Khảo sát phiếu giấy hoặc điện thoại (nhập vào)" in section(text, "headline")


def test_import_channel_in_the_cli(three_channels, runner):
    done = runner.invoke(args=["sipas", "report", "--period", PERIOD, "--channel", "import"])
    assert done.exit_code == 0, done.output
    records = json.loads(done.stdout)
    overall = [r for r in records if r["section"] == "overall" and r["measure"] == "SIPAS"]
    assert overall[0]["n"] == 12
    refused = runner.invoke(args=["sipas", "report", "--period", PERIOD, "--channel", "fax"])
    assert refused.exit_code != 0
