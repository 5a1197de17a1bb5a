"""Staff mode at the tablet in a real browser: an officer signs on with the PIN through the
discreet Staff button, a citizen's answers then carry that officer, a wrong PIN is refused
with a clear message, and signing off ends the shift."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from kiosk_pages import wait_for_rows

from survey.extensions import db
from survey.models import Officer, OfficerShift, Response


@pytest.fixture
def officer(app, province):
    with app.app_context():
        person = Officer(code="CB07", name="Trần Thị Bảy", agency_id=province.agency_ids["SNV"])
        person.set_pin("97531")
        db.session.add(person)
        db.session.commit()
        return person.id


def test_an_officer_signs_on_and_the_next_answers_carry_them(app, province, officer, browser,
                                                            live_server, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server.url}/kiosk/{province.tokens['SNV-Q1']}")
    page.locator("[data-action=start]").wait_for()
    page.locator("#duty-open").click()
    page.get_by_text("Chưa có cán bộ trực tại quầy này.").wait_for()
    page.get_by_label("Mã cán bộ").fill("cb07")
    page.get_by_label("Mã PIN").fill("11111")
    page.locator("[data-testid=duty-sign-on]").click()
    page.get_by_text("Mã cán bộ không đúng hoặc sai mã PIN.").wait_for()
    page.get_by_label("Mã PIN").fill("97531")
    page.locator("[data-testid=duty-sign-on]").click()
    page.get_by_text("Đang trực: Trần Thị Bảy (CB07)").wait_for()
    screenshot(page, "kiosk-duty-signed-on")
    page.locator("#duty-dialog").wait_for(state="hidden", timeout=5000)
    page.locator("[data-action=start]").click()
    page.locator('[data-action=answer][data-value="5"]').first.click()
    while (page.locator("#screen").get_attribute("data-screen") or "").startswith("page-"):
        current = page.locator("#screen").get_attribute("data-screen")
        for code in page.locator(".crit:not(.done)").evaluate_all(
                "rows => rows.map(r => r.dataset.code)"):
            page.locator(f'.crit[data-code="{code}"] [data-value="4"]').click()
        page.wait_for_function("s => document.getElementById('screen').dataset.screen !== s",
                               arg=current)
    page.locator("[data-action=skip]").click()
    assert wait_for_rows(app, 1) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(Response.officer_id)) == officer
    page.locator("[data-action=start]").wait_for(timeout=10000)
    page.locator("#duty-open").click()
    page.get_by_text("Đang trực: Trần Thị Bảy (CB07)").wait_for()
    page.locator("[data-testid=duty-end]").click()
    page.get_by_text("Ca trực đã kết thúc.").wait_for()
    with app.app_context():
        assert db.session.scalar(sa.select(OfficerShift.ended_reason)) == "signed_off"
    context.close()
