"""On-time counts, workload and later satisfaction by agency, built from follow-ups with known
deadlines and answer times; and the summary page that shows them."""
from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

import pytest
from followup_helpers import DUE, OPENED, days

from analysis.followup import LaterSatisfaction
from survey.extensions import db

NOW = datetime(2026, 8, 20, 3, 0, tzinfo=UTC)
AUGUST = (date(2026, 8, 1), date(2026, 8, 31))
Z95 = 1.959963984540054


def wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 / (1 + Z95 ** 2 / n) * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n))
    return centre - half, centre + half


@pytest.fixture
def august(make_follow_up):
    """Follow-ups of SNV and H-AN with deadlines around August 2026 (local dates)."""
    later_due = datetime(2026, 8, 25, 10, 0, tzinfo=UTC)
    ids = {
        "early": make_follow_up(status="done", handled=DUE - days(3)),
        "at_deadline": make_follow_up(status="done", handled=DUE),
        "late": make_follow_up(status="done", handled=DUE + days(1)),
        "never": make_follow_up(status="open"),
        "in_progress_not_due": make_follow_up(status="in_progress", due=later_due),
        "done_before_due": make_follow_up(status="done", due=later_due, handled=NOW),
        # 2026-08-01 00:30 local is in August; 2026-07-31 23:30 local is not.
        "first_local_day": make_follow_up(status="open",
                                          due=datetime(2026, 7, 31, 17, 30, tzinfo=UTC)),
        "last_july": make_follow_up(status="open",
                                    due=datetime(2026, 7, 31, 16, 30, tzinfo=UTC)),
        "september": make_follow_up(status="open", due=datetime(2026, 9, 1, 3, 0, tzinfo=UTC)),
        "district_late": make_follow_up("H-AN-Q1", status="in_progress"),
    }
    return ids


def test_deadline_of_the_fixture_is_five_working_days_after_opening(app):
    from survey.alerts.calendar import Calendar

    assert Calendar.from_config(app.config).add_working_days(OPENED, 5) == DUE


def test_on_time_counts_exactly_the_follow_ups_due_in_the_period(app, province, august):
    from survey.followups.stats import on_time

    with app.app_context():
        found = on_time(db.session, *AUGUST, now=NOW)
    snv, district = province.agency_ids["SNV"], province.agency_ids["H-AN"]
    assert set(found) == {snv, district}
    root = found[snv]
    # on time: early, at_deadline, done_before_due; late: late, never, first_local_day.
    assert (root.due, root.on_time, root.late, root.open_not_due) == (6, 3, 3, 1)
    assert root.share == 0.5
    assert (root.low, root.high) == pytest.approx(wilson(3, 6), abs=1e-12)
    assert (found[district].due, found[district].late, found[district].share) == (1, 1, 0.0)


def test_on_time_gives_every_asked_agency_an_entry(app, province, august):
    from survey.followups.stats import on_time

    commune = province.agency_ids["X-AN1"]
    with app.app_context():
        found = on_time(db.session, *AUGUST, [province.agency_ids["SNV"], commune], now=NOW)
    assert set(found) == {province.agency_ids["SNV"], commune}
    assert found[commune].due == 0 and found[commune].share is None
    assert found[commune].low is None and found[commune].high is None


def test_before_the_deadline_passes_an_open_item_is_not_counted(app, province, august):
    from survey.followups.stats import on_time

    with app.app_context():
        found = on_time(db.session, *AUGUST, now=DUE - days(4))
    root = found[province.agency_ids["SNV"]]
    # at that moment "late" (answered after the deadline) is done late already; "never" and
    # "in_progress_not_due" wait, "first_local_day" is past.
    assert (root.on_time, root.late, root.open_not_due) == (3, 2, 2)


def test_workload_counts_opened_done_and_overdue_now(app, province, august):
    from survey.followups.stats import workload

    with app.app_context():
        found = workload(db.session, *AUGUST, now=NOW)
    assert found[province.agency_ids["SNV"]] == {"opened": 9, "done": 4, "overdue": 3}
    assert found[province.agency_ids["H-AN"]] == {"opened": 1, "done": 0, "overdue": 1}


@pytest.fixture
def other_questionnaire(app):
    """A copy of the ``sipas`` definition under another code (a dossier is rated once per
    code); returns the code."""
    from survey.models import Questionnaire

    def make(code: str) -> str:
        with app.app_context():
            sipas = db.session.query(Questionnaire).filter_by(code="sipas").first()
            db.session.add(Questionnaire(code=code, version=1, title=code,
                                         definition={**sipas.definition, "code": code},
                                         checksum=code))
            db.session.commit()
        return code

    return make


@pytest.fixture
def dossier_later(make_follow_up, make_response, other_questionnaire):
    """Follow-ups answered on 2026-08-12 and the responses given with their dossiers."""
    handled = datetime(2026, 8, 12, 3, 0, tzinfo=UTC)
    make_follow_up(status="done", handled=handled, dossier_hash="d1")
    make_follow_up("H-AN-Q1", status="done", handled=handled)          # no dossier known
    make_follow_up("X-AN1-Q1", status="done", handled=handled, dossier_hash="d3")
    # d1: overall 5 → satisfied (sipas-2023 has the overall question HL)
    make_response(answers={"A1": 2, "HL": 5}, received=handled + days(3), dossier_hash="d1",
                  questionnaire="sipas-2023")
    # d1: no overall answer, criteria mean (4 + 3) / 2 = 3.5 → not satisfied
    make_response(answers={"TC1": 4, "TC2": 3}, received=handled + days(4), dossier_hash="d1",
                  questionnaire=other_questionnaire("round2"))
    # d1 before the answer, and d1 excluded: neither counts
    make_response(answers={"HL": 5}, received=handled - days(1), dossier_hash="d1",
                  questionnaire=other_questionnaire("before"))
    make_response(answers={"HL": 5}, received=handled + days(2), dossier_hash="d1",
                  questionnaire=other_questionnaire("excluded"), status="excluded")
    return handled


def test_later_satisfaction_reads_the_same_dossiers_later_responses(app, province,
                                                                    dossier_later):
    from survey.followups.stats import later

    with app.app_context():
        found = later(db.session, *AUGUST)
    assert found == {province.agency_ids["SNV"]: LaterSatisfaction(2, 2, 1, 0.5)}


def test_later_satisfaction_counts_only_follow_ups_answered_in_the_period(app, dossier_later):
    from survey.followups.stats import later

    with app.app_context():
        assert later(db.session, date(2026, 9, 1), date(2026, 9, 30)) == {}


def _cells(html: str, agency: str) -> dict[str, str]:
    row = re.search(rf'<tr[^>]*data-agency="{agency}"[^>]*>(.*?)</tr>', html, re.DOTALL).group(1)
    return {col: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()
            for col, text in re.findall(r'data-col="(\w+)">(.*?)</td>', row, re.DOTALL)}


def test_summary_page_shows_the_figures_by_agency(app, client, as_role, monkeypatch, august,
                                                  dossier_later):
    from survey.followups import summary

    monkeypatch.setattr(summary, "utcnow", lambda: NOW)
    as_role("analyst")
    response = client.get("/followups/summary?period=2026-08")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # SNV: the nine of ``august`` and the one answered with dossier d1 (on time: 4 of 7)
    low, high = wilson(4, 7)
    root = _cells(html, "SNV")
    assert root["opened"] == "10" and root["done"] == "5" and root["overdue"] == "3"
    assert root["on_time"] == (f"57.1 % ({low * 100:.1f}–{high * 100:.1f}) 4/7"
                               .replace(".", ","))
    assert (root["later_count"], root["later_share"]) == ("2", "50,0 % 1/2")
    district = _cells(html, "H-AN")
    assert (district["later_count"], district["later_share"]) == ("chưa biết", "chưa biết")
    total = _cells(html, "total")
    # SNV 4 of 7, H-AN 1 of 2, X-AN1 1 of 1
    assert total["opened"] == "13" and total["on_time"].endswith(" 6/10")
    assert (total["later_count"], total["later_share"]) == ("2", "50,0 % 1/2")
    assert "trung bình các tiêu chí" in html


def test_summary_for_an_agency_viewer_covers_their_subtree_only(client, as_role, august,
                                                               monkeypatch):
    from survey.followups import summary

    monkeypatch.setattr(summary, "utcnow", lambda: NOW)
    as_role("agency_viewer", "H-AN")
    html = client.get("/followups/summary?period=2026-08").get_data(as_text=True)
    assert 'data-agency="H-AN"' in html and 'data-agency="SNV"' not in html
    assert client.get("/followups/summary?period=2026-08&agency=SNV").status_code == 403
