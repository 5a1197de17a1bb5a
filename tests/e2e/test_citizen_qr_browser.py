"""The QR form on a phone, with and without JavaScript, and the printable poster."""
from __future__ import annotations

from survey.extensions import db
from survey.models import Response

PHONE = {"width": 390, "height": 844}


def _fill_and_send(page) -> None:
    for code, value in [("TC1", "4"), ("TT2", "5"), ("CC1", "3"), ("HL", "4"), ("GY1", "na")]:
        page.locator(f'input[name="{code}"][value="{value}"]').check()
    page.locator('input[name="dossier_ref"]').fill("HS 000.12.2026.0042")
    page.locator("button[type=submit]").click()


def test_qr_form_on_a_phone(app, province, browser, live_server, screenshot):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/q/{province.tokens['H-AN-Q1']}")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.locator('input[name="service_area"][value="DATDAI"]').check()
    screenshot(page, "citizen-qr-phone")
    _fill_and_send(page)
    page.get_by_text("Xin cảm ơn!").wait_for()
    context.close()
    with app.app_context():
        stored = db.session.query(Response).one()
        assert (stored.channel, stored.service_area.code, len(stored.answers)) == (
            "qr", "DATDAI", 4)
        assert stored.dossier_hash and "0042" not in stored.dossier_hash


def test_qr_form_works_without_javascript(app, province, browser, live_server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/q/{province.tokens['SNV-Q1']}")
    page.locator("button[type=submit]").click()
    assert "Xin vui lòng trả lời ít nhất một câu hỏi." in page.content()
    _fill_and_send(page)
    page.get_by_text("Xin cảm ơn!").wait_for()
    context.close()
    with app.app_context():
        assert db.session.query(Response).filter_by(channel="qr").count() == 1


def test_poster_prints(province, browser, live_server, screenshot):
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    page.goto(f"{live_server.url}/kiosk/poster/{province.tokens['H-AN-Q1']}")
    assert page.locator(".qr svg").count() == 1
    screenshot(page, "citizen-qr-poster")
    page.close()
