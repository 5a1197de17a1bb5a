"""Who may see and change a follow-up, its handling (audited), and hostile input."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from survey.extensions import db

NOW = datetime(2026, 8, 12, 4, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """The follow-up pages read this clock."""
    from survey.followups import routes

    monkeypatch.setattr(routes, "utcnow", lambda: NOW)


def _item(app, item_id):
    from survey.models import FollowUp

    with app.app_context():
        item = db.session.get(FollowUp, item_id)
        return {"status": item.status, "response_text": item.response_text,
                "handled_by": item.handled_by, "handled_at": item.handled_at}


def test_anonymous_is_sent_to_the_login_page(client, make_follow_up):
    item = make_follow_up()
    for page in ("/followups/", f"/followups/{item}", "/followups/summary"):
        response = client.get(page)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_officer_accounts_get_403(app, client, make_follow_up, sign_in):
    from survey.catalog import create_user
    from survey.models import Agency, Officer

    item = make_follow_up()
    with app.app_context():
        agency = db.session.query(Agency).filter_by(code="SNV").one()
        db.session.add(Officer(code="CB01", name="Cán bộ 1", agency_id=agency.id, active=True,
                               failed_pins=0))
        db.session.flush()
        create_user(db.session, "officer-cb01", "correct-horse-battery", "officer",
                    officer_code="CB01")
        db.session.commit()
    assert sign_in("officer-cb01").status_code == 302
    for page in ("/followups/", f"/followups/{item}", "/followups/summary"):
        assert client.get(page).status_code == 403


def test_viewer_sees_only_the_items_of_their_agency_subtree(client, as_role, make_follow_up):
    root_item = make_follow_up("SNV-Q1")
    commune_item = make_follow_up("X-AN1-Q1")
    as_role("agency_viewer", "H-AN")
    page = client.get("/followups/").get_data(as_text=True)
    assert f'data-followup="{commune_item}"' in page
    assert f'data-followup="{root_item}"' not in page
    assert client.get(f"/followups/{commune_item}").status_code == 200
    assert client.get(f"/followups/{root_item}").status_code == 404


def test_viewer_cannot_change_another_agencys_item(app, client, as_role, make_follow_up,
                                                    session_token):
    root_item = make_follow_up("SNV-Q1")
    as_role("agency_viewer", "X-AN1")
    token = session_token()
    response = client.post(f"/followups/{root_item}", data={
        "csrf_token": token, "status": "done", "response_text": "Đã xử lý."})
    assert response.status_code == 404
    assert client.post(f"/followups/{root_item}/reopen",
                       data={"csrf_token": token}).status_code == 404
    assert _item(app, root_item)["status"] == "open"


def test_done_records_who_and_when_with_an_audit_event(app, client, as_role, make_follow_up,
                                                       submit, audit_events):
    item = make_follow_up("X-AN1-Q1")
    user_id = as_role("agency_viewer", "H-AN")
    response = submit(f"/followups/{item}", {"status": "done",
                                             "response_text": "  Đã gọi điện xin lỗi.\r\n "})
    assert response.status_code == 302
    stored = _item(app, item)
    assert stored["status"] == "done"
    assert stored["response_text"] == "Đã gọi điện xin lỗi."
    assert stored["handled_by"] == user_id
    assert stored["handled_at"].replace(tzinfo=UTC) == NOW
    [event] = audit_events("follow_up_handle")
    assert event["entity_id"] == str(item) and event["user_id"] == user_id
    assert event["before"] == {"status": "open", "response_text": None, "handled_by": None,
                               "handled_at": None}
    assert event["after"]["status"] == "done"
    assert event["after"]["response_text"] == "Đã gọi điện xin lỗi."
    assert event["after"]["handled_by"] == user_id
    assert event["after"]["handled_at"].startswith("2026-08-12T04:30:00")


def test_in_progress_needs_no_text_but_done_does(app, client, as_role, make_follow_up, submit,
                                                 audit_events):
    item = make_follow_up()
    as_role("analyst")
    assert submit(f"/followups/{item}", {"status": "in_progress",
                                         "response_text": ""}).status_code == 302
    assert _item(app, item)["status"] == "in_progress"
    response = submit(f"/followups/{item}", {"status": "done", "response_text": "   "})
    assert response.status_code == 422
    assert "Hãy ghi câu trả lời" in response.get_data(as_text=True)
    assert _item(app, item)["status"] == "in_progress"
    assert len(audit_events("follow_up_handle")) == 1


@pytest.mark.parametrize("data", [
    {"status": "done", "response_text": "x" * 4001},
    {"status": "done", "response_text": "Đã trả lời\x00"},
    {"status": "closed", "response_text": "Đã trả lời."},
    {"status": "open", "response_text": "Đã trả lời."},
    {"response_text": "Đã trả lời."},
])
def test_hostile_handling_is_refused_with_422_and_nothing_changes(app, client, as_role,
                                                                  make_follow_up, submit,
                                                                  audit_events, data):
    item = make_follow_up()
    as_role("analyst")
    assert submit(f"/followups/{item}", data).status_code == 422
    assert _item(app, item)["status"] == "open"
    assert audit_events() == []


def test_4000_characters_are_accepted(app, client, as_role, make_follow_up, submit):
    item = make_follow_up()
    as_role("analyst")
    assert submit(f"/followups/{item}", {"status": "done",
                                         "response_text": "x" * 4000}).status_code == 302
    assert len(_item(app, item)["response_text"]) == 4000


def test_changes_need_the_csrf_token(app, client, as_role, make_follow_up):
    item = make_follow_up()
    as_role("analyst")
    assert client.post(f"/followups/{item}", data={
        "status": "done", "response_text": "Đã trả lời."}).status_code == 400
    assert client.post(f"/followups/{item}/reopen").status_code == 400
    assert _item(app, item)["status"] == "open"


def test_a_done_item_is_reopened_by_an_analyst_only(app, client, as_role, make_follow_up,
                                                    submit, session_token, audit_events):
    item = make_follow_up("X-AN1-Q1", status="done", handled=NOW, response_text="Đã xử lý.")
    as_role("agency_viewer", "H-AN")
    page = client.get(f"/followups/{item}").get_data(as_text=True)
    assert f"/followups/{item}/reopen" not in page
    token = session_token()
    assert client.post(f"/followups/{item}/reopen",
                       data={"csrf_token": token}).status_code == 403
    assert client.post(f"/followups/{item}", data={
        "csrf_token": token, "status": "in_progress", "response_text": "x"}).status_code == 409
    assert _item(app, item)["status"] == "done"
    with client.session_transaction() as session:
        session.clear()
    analyst = as_role("analyst")
    assert submit(f"/followups/{item}/reopen", page=f"/followups/{item}").status_code == 302
    stored = _item(app, item)
    assert stored["status"] == "open" and stored["response_text"] == "Đã xử lý."
    [event] = audit_events("follow_up_reopen")
    assert event["user_id"] == analyst
    assert (event["before"]["status"], event["after"]["status"]) == ("done", "open")


def test_reopening_an_item_that_is_not_done_is_409(app, client, as_role, make_follow_up,
                                                   submit):
    item = make_follow_up()
    as_role("analyst")
    assert submit(f"/followups/{item}/reopen", page=f"/followups/{item}").status_code == 409
    assert _item(app, item)["status"] == "open"


@pytest.mark.parametrize("query", ["?status=closed", "?period=2026-Q9", "?agency=NOPE",
                                   "?agency=%3Cscript%3E", "?status=%00", "?period=" + "9" * 500])
def test_hostile_list_filters_are_400(client, as_role, make_follow_up, query):
    make_follow_up()
    as_role("analyst")
    assert client.get("/followups/" + query).status_code == 400


def test_viewer_filtering_on_an_agency_outside_scope_is_400_like_an_unknown_one(
        client, as_role, make_follow_up):
    make_follow_up()
    as_role("agency_viewer", "H-AN")
    assert client.get("/followups/?agency=SNV").status_code == 400
    assert client.get("/followups/?agency=X-AN1").status_code == 200


@pytest.mark.parametrize("page", ["/followups/999999", "/followups/-1", "/followups/abc"])
def test_unknown_items_are_404(client, as_role, session_token, page):
    as_role("analyst")
    assert client.get(page).status_code == 404
    assert client.post(page, data={"csrf_token": session_token(), "status": "done",
                                   "response_text": "x"}).status_code == 404
    assert client.post(page + "/reopen",
                       data={"csrf_token": session_token()}).status_code == 404


def test_hostile_summary_period_is_400(client, as_role, province):
    as_role("analyst")
    assert client.get("/followups/summary?period=2026-Q9").status_code == 400
    assert client.get("/followups/summary?date_from=2026-13-01&date_to=x").status_code == 400
