"""Closing the loop in a real browser: the one-stop system asks for a dossier's invitation, the
citizen opens the link on a phone, rates one criterion 2, gives a reason, and the agency's
viewer finds the follow-up in the workspace, with that reason and its deadline.
"""
from __future__ import annotations

from datetime import UTC, datetime

from survey.alerts.calendar import Calendar
from survey.extensions import db
from survey.models import FollowUp, Invitation, Response, ResponseReason
from survey.questionnaires.reasons import reasons_for
from survey.responses import dossier_hash

PHONE = {"width": 390, "height": 844}
DOSSIER = "000.00.20.H12-261203-0007"


def _invitation_url(app, live_server) -> str:
    from survey.invitations.keys import create_client

    with app.app_context():
        key = create_client(db.session, None, "Một cửa tỉnh", None).key
        db.session.commit()
    with app.test_client() as api:
        reply = api.post("/api/v1/invitations", json={
            "dossier": DOSSIER, "counter": "H-AN-Q1", "service_area": "DATDAI"},
            headers={"Authorization": f"Bearer {key}"})
    assert reply.status_code == 201, reply.get_json()
    url = reply.get_json()["url"]
    assert url.startswith(live_server.url + "/i/")
    return url


def test_an_invited_citizen_rates_low_and_the_agency_sees_the_follow_up(
        app, province, make_user, browser, live_server, screenshot):
    url = _invitation_url(app, live_server)
    reason = reasons_for("sipas", "CC")[0]       # the first reason offered for the officer
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="vi-VN")
    page = context.new_page()
    page.goto(url)
    assert page.locator('input[name="dossier_ref"]').count() == 0    # nothing to type
    page.locator("#dossier-bound").wait_for()
    for code, value in [("TC1", "4"), ("CC1", "2"), ("HL", "4")]:
        page.locator(f'input[name="{code}"][value="{value}"]').check()
    page.locator("button[type=submit]").click()
    page.locator("#why-title").wait_for()
    assert page.locator("fieldset.why").count() == 1               # only CC1 was rated low
    screenshot(page, "closing-loop-reasons-phone")
    page.locator(f'input[type=checkbox][value="{reason.code}"]').check()
    page.get_by_role("button", name="Gửi", exact=True).click()
    page.get_by_text("Xin cảm ơn!").wait_for()
    context.close()

    with app.app_context():
        stored = db.session.query(Response).one()
        assert stored.dossier_hash == dossier_hash(
            DOSSIER, app.config.get("DOSSIER_HASH_KEY") or app.config["SECRET_KEY"])
        assert (stored.channel, stored.service_area.code) == ("qr", "DATDAI")
        assert [(r.item_code, r.reason_code) for r in db.session.query(ResponseReason)] == [
            ("CC1", reason.code)]
        item = db.session.query(FollowUp).one()
        assert (item.kind, item.status, item.response_id) == ("low_rating", "open", stored.id)
        assert item.agency_id == province.agency_ids["H-AN"]
        received = stored.received_at.replace(tzinfo=stored.received_at.tzinfo or UTC)
        expected_due = Calendar.from_config(app.config).add_working_days(
            received, app.config["FOLLOW_UP_WORKING_DAYS"])
        assert item.due_at.replace(tzinfo=item.due_at.tzinfo or UTC) == expected_due
        assert db.session.query(Invitation).one().response_id == stored.id
        follow_up_id = item.id

    make_user("agency_viewer", "H-AN", username="viewer-an", password="correct-horse-battery")
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = staff.new_page()
    page.goto(f"{live_server.url}/auth/login")
    page.get_by_label("Tên đăng nhập").fill("viewer-an")
    page.get_by_label("Mật khẩu").fill("correct-horse-battery")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Xử lý phản ánh").click()
    rows = page.locator("[data-testid=followups] tr[data-followup]")
    assert rows.count() == 1
    row = page.locator(f'tr[data-followup="{follow_up_id}"]')
    assert row.get_attribute("data-status") == "open"
    assert page.locator("[data-count=open]").inner_text() == "1"
    row.get_by_role("link", name="Xem").click()
    detail = page.locator("main").inner_text()
    assert reason.text("vi") in detail
    screenshot(page, "closing-loop-follow-up")
    staff.close()
    assert datetime.now(UTC) < expected_due
