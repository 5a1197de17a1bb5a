"""The kiosk in a real browser: every screen, thank-you and reset, idle reset, offline queue."""
from __future__ import annotations

import time

import pytest

from survey.extensions import db
from survey.models import Answer, Response


def _wait_for_rows(app, count: int, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            found = db.session.query(Response).count()
            db.session.remove()
        if found >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _answer_all(page, value_for, shot=None) -> int:
    """Answer every scale question with ``value_for(index)``; return how many there were."""
    index = 0
    while page.locator("[data-action=answer]").count():
        label = page.locator("#progress-label").inner_text()
        if shot and index == 2:
            shot(page)
        page.locator(f'[data-action=answer][data-value="{value_for(index)}"]').click()
        page.wait_for_function(
            "label => document.getElementById('progress-label').textContent !== label", arg=label)
        index += 1
    return index


@pytest.fixture
def kiosk_page(browser, live_server):
    """Open a kiosk page at a tablet viewport; close its context afterwards."""
    contexts = []

    def open_page(token: str, width: int = 1280, height: int = 800, query: str = ""):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/kiosk/{token}{query}")
        page.locator("[data-action=start]").wait_for()
        return context, page

    yield open_page
    for context in contexts:
        context.close()


def test_kiosk_landscape_every_screen_then_thanks_and_reset(app, province, kiosk_page,
                                                             screenshot):
    app.config["KIOSK_THANKS_SECONDS"] = 2
    _context, page = kiosk_page(province.tokens["H-AN-Q1"])
    assert page.locator("html").get_attribute("lang") == "vi"
    screenshot(page, "citizen-kiosk-start")
    page.locator("[data-action=start]").click()
    page.locator('[data-action=area][data-value="XAYDUNG"]').click()
    page.locator("[data-action=answer]").first.wait_for()
    height = page.locator('[data-action=answer][data-value="1"]').bounding_box()["height"]
    assert height >= 64
    answered = _answer_all(page, lambda i: "na" if i == 5 else 1 + i % 5,
                           shot=lambda p: screenshot(p, "citizen-kiosk-question"))
    assert answered == 23
    page.locator('[data-action=profile][data-field="gender"][data-value="female"]').click()
    page.locator("[data-action=send]").click()
    page.get_by_text("Xin cảm ơn!").wait_for()
    screenshot(page, "citizen-kiosk-thanks")
    page.locator("[data-action=start]").wait_for(timeout=6000)
    assert _wait_for_rows(app, 1) == 1
    with app.app_context():
        stored = db.session.query(Response).one()
        assert (stored.channel, stored.service_area.code, stored.gender) == (
            "kiosk", "XAYDUNG", "female")
        assert db.session.query(Answer).count() == 22


def test_kiosk_portrait_english_large_text(app, province, kiosk_page, screenshot):
    _context, page = kiosk_page(province.tokens["SNV-Q1"], 800, 1280)
    page.locator("#lang-toggle").click()
    page.locator("#text-toggle").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "large" in page.locator("html").get_attribute("class")
    page.get_by_role("button", name="Start").click()
    assert page.locator(".answer.a5").bounding_box()["height"] >= 64
    screenshot(page, "citizen-kiosk-portrait-question")
    _answer_all(page, lambda i: 4 if i < 3 else "na")
    page.get_by_role("button", name="Skip").click()
    page.get_by_text("Thank you!").wait_for()
    assert _wait_for_rows(app, 1) == 1
    with app.app_context():
        assert db.session.query(Answer).count() == 3


def test_idle_kiosk_discards_the_answers(app, province, kiosk_page):
    _context, page = kiosk_page(province.tokens["SNV-Q1"], query="?idle=2")
    page.locator("[data-action=start]").click()
    page.locator('[data-action=answer][data-value="2"]').click()
    page.locator("#progress-label").get_by_text("Câu 2 /").wait_for()
    page.locator("[data-action=start]").wait_for(timeout=6000)
    page.locator("[data-action=start]").click()
    assert page.locator("#progress-label").inner_text().startswith("Câu 1 /")
    assert page.locator(".selected").count() == 0
    assert _wait_for_rows(app, 1, timeout=0.5) == 0


def test_offline_submissions_are_sent_once_when_the_network_returns(
        app, province, kiosk_page, screenshot):
    app.config.update(KIOSK_THANKS_SECONDS=1, KIOSK_RETRY_SECONDS=2)
    context, page = kiosk_page(province.tokens["SNV-Q1"])
    context.set_offline(True)
    for round_ in range(3):
        page.locator("[data-action=start]").click()
        _answer_all(page, lambda i, chosen=round_: 5 if i == chosen else "na")
        page.locator("[data-action=send]").click()
        page.locator("[data-action=start]").wait_for(timeout=6000)
    assert page.locator("[data-testid=pending]").inner_text().endswith("3")
    screenshot(page, "citizen-kiosk-pending-offline")
    assert _wait_for_rows(app, 1, timeout=0.5) == 0
    context.set_offline(False)
    page.locator("[data-testid=pending]").wait_for(state="hidden", timeout=20000)
    assert _wait_for_rows(app, 3) == 3
    time.sleep(2.5)
    with app.app_context():
        assert db.session.query(Response).count() == 3


def test_service_worker_serves_the_kiosk_when_the_network_is_down(province, kiosk_page):
    context, page = kiosk_page(province.tokens["H-AN-Q1"])
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cached = ("caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k)"
              ".then(c => c.keys())))).then(lists => lists.flat().map(r => r.url))")
    deadline = time.monotonic() + 15
    while len(page.evaluate(cached)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any("/kiosk/" in url for url in page.evaluate(cached))
    context.set_offline(True)
    page.reload()
    page.locator("[data-action=start]").click()
    page.locator('[data-action=area][data-value="DATDAI"]').wait_for()
    context.set_offline(False)


def test_going_back_to_the_start_discards_the_answers(province, kiosk_page):
    _context, page = kiosk_page(province.tokens["SNV-Q1"])
    page.locator("[data-action=start]").click()
    page.locator('[data-action=answer][data-value="1"]').click()
    page.locator("#progress-label").get_by_text("Câu 2 /").wait_for()
    page.locator("[data-action=back]").click()
    page.locator("[data-action=back]").click()
    page.locator("[data-action=start]").click()
    assert page.locator(".selected").count() == 0


def test_kiosk_asks_for_one_answer_before_sending(app, province, kiosk_page):
    _context, page = kiosk_page(province.tokens["SNV-Q1"])
    page.locator("[data-action=start]").click()
    _answer_all(page, lambda i: "na")
    page.locator("[data-action=send]").click()
    page.get_by_role("alert").get_by_text("Xin vui lòng trả lời ít nhất một câu hỏi.").wait_for()
    assert _wait_for_rows(app, 1, timeout=0.5) == 0
