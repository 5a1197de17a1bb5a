"""The follow-up list (filters, counts, overdue marking on a fixed clock) and one follow-up's
page: the low answers with their wording and reasons, the comment, the deadline."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from followup_helpers import DUE, days

WEDNESDAY = datetime(2026, 8, 12, 4, 30, tzinfo=UTC)     # 11:30 local, deadline Monday 17
AFTER = datetime(2026, 8, 19, 3, 0, tzinfo=UTC)          # Wednesday after the deadline


@pytest.fixture
def clock(monkeypatch):
    """Set the clock the follow-up pages read."""
    from survey.followups import routes

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(routes, "utcnow", lambda: moment)

    return set_to


def _counts(html: str) -> dict[str, int]:
    return {k: int(re.sub(r"<[^>]+>", "", v)) for k, v in
            re.findall(r'data-count="(\w+)">(.*?)</dd>', html)}


def test_list_marks_overdue_items_and_counts_them(client, as_role, make_follow_up, clock):
    overdue = make_follow_up()
    waiting = make_follow_up(status="in_progress", due=DUE + days(7))
    done = make_follow_up(status="done", handled=DUE - days(1))
    clock(AFTER)
    as_role("analyst")
    html = client.get("/followups/").get_data(as_text=True)
    assert re.search(rf'data-followup="{overdue}"[^>]*data-overdue="1"', html)
    assert not re.search(rf'data-followup="{waiting}"[^>]*data-overdue', html)
    assert not re.search(rf'data-followup="{done}"[^>]*data-overdue', html)
    assert html.index(f'data-followup="{overdue}"') < html.index(f'data-followup="{waiting}"')
    assert _counts(html) == {"open": 1, "in_progress": 1, "done": 1, "overdue": 1}


def test_nothing_is_overdue_before_the_deadline(client, as_role, make_follow_up, clock):
    make_follow_up()
    clock(WEDNESDAY)
    as_role("analyst")
    html = client.get("/followups/").get_data(as_text=True)
    assert 'data-overdue="1"' not in html
    assert _counts(html)["overdue"] == 0


def test_list_filters_by_status_overdue_agency_and_period(client, as_role, make_follow_up,
                                                         clock):
    root = make_follow_up()
    district = make_follow_up("H-AN-Q1", status="done", handled=DUE)
    commune = make_follow_up("X-AN1-Q1", status="in_progress", due=DUE + days(9))
    september = make_follow_up(opened=datetime(2026, 9, 2, 2, 0, tzinfo=UTC),
                               due=datetime(2026, 9, 9, 10, 0, tzinfo=UTC))
    clock(AFTER)
    as_role("analyst")

    def listed(query: str) -> set[int]:
        html = client.get("/followups/" + query).get_data(as_text=True)
        return {int(i) for i in re.findall(r'data-followup="(\d+)"', html)}

    assert listed("") == {root, district, commune, september}
    assert listed("?status=done") == {district}
    assert listed("?overdue=1") == {root}
    assert listed("?agency=H-AN") == {district, commune}
    assert listed("?period=2026-08") == {root, district, commune}
    assert listed("?period=2026-09&status=open") == {september}
    html = client.get("/followups/?agency=H-AN").get_data(as_text=True)
    assert _counts(html) == {"open": 0, "in_progress": 1, "done": 1, "overdue": 0}


def test_item_page_shows_low_answers_reasons_comment_and_deadline(client, as_role,
                                                                  make_follow_up, clock):
    item = make_follow_up(answers={"TC1": 2, "TT1": 4, "CC1": 1, "HL": 2},
                          reasons={"TC1": ["ACC_WAIT", "ACC_SEATS"], "HL": ["ALL_TIME"]},
                          comment="Chờ <b>hơn một tiếng</b>.", complaint=True)
    clock(WEDNESDAY)
    as_role("analyst")
    html = client.get(f"/followups/{item}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-item="(\w+)">(.*?)</tr>', html, re.DOTALL))
    assert list(rows) == ["TC1", "CC1", "HL"]
    assert "Khu vực chờ có đủ chỗ ngồi" in rows["TC1"]
    assert "Phải chờ lâu" in rows["TC1"] and "Thiếu chỗ ngồi, nơi chờ chật" in rows["TC1"]
    assert "Mất nhiều thời gian" in rows["HL"] and "Nhìn chung" in rows["HL"]
    assert "người dân đề nghị cơ quan trả lời" in html
    assert "Chờ &lt;b&gt;hơn một tiếng&lt;/b&gt;." in html
    assert 'data-days-left="3"' in html and "còn 3 ngày làm việc" in html


def test_item_page_in_english_uses_the_english_wording(client, as_role, make_follow_up, clock):
    item = make_follow_up(answers={"TC1": 1}, reasons={"TC1": ["ACC_WAIT"]})
    clock(WEDNESDAY)
    as_role("analyst")
    html = client.get(f"/followups/{item}?lang=en").get_data(as_text=True)
    assert "The waiting area has enough seats" in html and "Long wait" in html
    assert "3 working days left" in html


def test_item_page_marks_an_overdue_item_with_the_working_days_since(client, as_role,
                                                                     make_follow_up, clock):
    item = make_follow_up()
    clock(AFTER)
    as_role("analyst")
    html = client.get(f"/followups/{item}").get_data(as_text=True)
    assert 'data-overdue="1"' in html and "trễ 2 ngày làm việc" in html


def test_working_days_left_skips_weekends_and_holidays(app):
    from survey.alerts.calendar import Calendar
    from survey.followups.queries import working_days_left

    calendar = Calendar.parse("07:30-11:30,13:30-17:00", "1-5", "2026-08-14")
    # Wednesday → Monday 17 with Friday 14 a holiday: Thursday and Monday remain.
    assert working_days_left(calendar, DUE, WEDNESDAY) == 2
    assert working_days_left(calendar, DUE, datetime(2026, 8, 17, 1, 0, tzinfo=UTC)) == 0
    assert working_days_left(calendar, DUE, AFTER) == -2
