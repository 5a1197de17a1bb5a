"""The kiosk in a real browser: every screen, thank-you and reset, idle reset, offline queue,
the "other" service area, the language button and the progress bar."""
from __future__ import annotations

import time

import pytest
from kiosk_pages import wait_for_rows

from survey.extensions import db
from survey.models import Answer, Counter, Response


def _assert_in_viewport(page, selector: str) -> None:
    """The element is entirely visible without scrolling."""
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (box, viewport)
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (box, viewport)


def screen(page) -> str:
    """The kiosk's current screen: start, area, page-<k>, profile, send or thanks."""
    return page.locator("#screen").get_attribute("data-screen") or ""


def _answer_all(page, value_for, shot=None) -> int:
    """Answer every row of every element page with ``value_for(index)``; return how many there
    were. The tap that completes a page moves on by itself."""
    index = 0
    while screen(page).startswith("page-"):
        current = screen(page)
        for code in page.locator(".crit").evaluate_all("rows => rows.map(r => r.dataset.code)"):
            if shot and index == 2:
                shot(page)
            page.locator(f'.crit[data-code="{code}"] [data-value="{value_for(index)}"]').click()
            index += 1
        page.wait_for_function("s => document.getElementById('screen').dataset.screen !== s",
                               arg=current)
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
    page.locator('[data-action=area][data-value="XAYDUNG"]').wait_for()
    assert page.locator("#progress-label").inner_text() == ""
    page.locator('[data-action=area][data-value="XAYDUNG"]').click()
    page.locator("[data-action=answer]").first.wait_for()
    assert page.locator("#progress-label").inner_text() == "Phần 1 / 5"
    assert page.locator(".crit").count() == 4
    height = page.locator('[data-action=answer][data-value="1"]').first.bounding_box()["height"]
    assert height >= 64
    answered = _answer_all(page, lambda i: "na" if i == 5 else 1 + i % 5,
                           shot=lambda p: screenshot(p, "citizen-kiosk-question"))
    assert answered == 23
    # Ratings of 1 and 2 bring the reasons screen; passed over with "Bỏ qua".
    assert screen(page) == "reasons"
    page.locator("[data-action=reasons-skip]").click()
    page.wait_for_function("document.getElementById('screen').dataset.screen === 'profile'")
    assert page.locator("#progress-label").inner_text() == ""
    _assert_in_viewport(page, "[data-action=send]")
    _assert_in_viewport(page, "[data-action=skip]")
    _assert_in_viewport(page, "[data-action=back]")
    screenshot(page, "citizen-kiosk-profile-landscape")
    page.locator('[data-action=profile][data-field="gender"][data-value="female"]').click()
    page.locator("[data-action=send]").click()
    page.get_by_text("Xin cảm ơn!").wait_for()
    screenshot(page, "citizen-kiosk-thanks")
    page.locator("[data-action=start]").wait_for(timeout=6000)
    assert wait_for_rows(app, 1) == 1
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
    assert page.locator(".answer.a5").first.bounding_box()["height"] >= 64
    screenshot(page, "citizen-kiosk-portrait-question")
    _answer_all(page, lambda i: 4 if i < 3 else "na")
    _assert_in_viewport(page, "[data-action=send]")
    _assert_in_viewport(page, "[data-action=skip]")
    screenshot(page, "citizen-kiosk-profile-portrait-large")
    page.get_by_role("button", name="Skip").click()
    page.get_by_text("Thank you!").wait_for()
    assert wait_for_rows(app, 1) == 1
    with app.app_context():
        assert db.session.query(Answer).count() == 3


def test_idle_kiosk_discards_the_answers(app, province, kiosk_page):
    _context, page = kiosk_page(province.tokens["SNV-Q1"], query="?idle=2")
    page.locator("[data-action=start]").click()
    page.locator('[data-action=answer][data-value="2"]').first.click()
    page.locator(".crit.done").wait_for()
    page.locator("[data-action=start]").wait_for(timeout=6000)
    page.locator("[data-action=start]").click()
    assert page.locator("#progress-label").inner_text().startswith("Phần 1 /")
    assert page.locator(".selected").count() == 0
    assert wait_for_rows(app, 1, timeout=0.5) == 0


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
    assert wait_for_rows(app, 1, timeout=0.5) == 0
    context.set_offline(False)
    page.locator("[data-testid=pending]").wait_for(state="hidden", timeout=20000)
    assert wait_for_rows(app, 3) == 3
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
    page.locator('[data-action=answer][data-value="1"]').first.click()
    page.locator(".crit.done").wait_for()
    page.locator("[data-action=back]").click()
    page.locator("[data-action=start]").click()
    assert page.locator(".selected").count() == 0


def test_kiosk_asks_for_one_answer_before_sending(app, province, kiosk_page):
    _context, page = kiosk_page(province.tokens["SNV-Q1"])
    page.locator("[data-action=start]").click()
    _answer_all(page, lambda i: "na")
    page.locator("[data-action=send]").click()
    page.get_by_role("alert").get_by_text(
        "Xin vui lòng đánh giá ít nhất một nội dung (câu 1–22) trước khi gửi.").wait_for()
    assert page.locator("#progress-label").inner_text() == "Phần 1 / 5"
    assert wait_for_rows(app, 1, timeout=0.5) == 0


def test_kiosk_overall_answer_alone_is_not_enough(app, province, kiosk_page):
    _context, page = kiosk_page(province.tokens["SNV-Q1"])
    page.locator("#lang-toggle").click()
    page.locator("[data-action=start]").click()
    assert _answer_all(page, lambda i: 5 if i == 22 else "na") == 23
    page.locator("[data-action=send]").click()
    page.get_by_role("alert").get_by_text(
        "Please rate at least one of the service questions (questions 1–22) before sending."
    ).wait_for()
    assert page.locator("#progress-label").inner_text() == "Part 1 / 5"
    _assert_in_viewport(page, "[data-action=back]")
    page.locator('[data-action=answer][data-value="4"]').first.click()
    page.get_by_role("alert").wait_for(state="detached")
    assert page.locator('.crit[data-code="TC1"] [aria-pressed=true]').get_attribute(
        "data-value") == "4"
    assert wait_for_rows(app, 1, timeout=0.5) == 0


def test_a_sheet_for_a_retired_counter_does_not_block_the_queue(app, province, kiosk_page):
    """A sheet refused for good (404 retired counter) is set aside; the ones after it are sent."""
    from survey.catalog import rotate_token

    with app.app_context():
        counter = db.session.query(Counter).filter_by(code="SNV-Q1").one()
        retired = counter.token
        rotate_token(db.session, counter)
        db.session.commit()
    _context, page = kiosk_page(province.tokens["X-AN1-Q1"])
    stale_id = page.evaluate("""retired => {
        const s = JSON.parse(document.getElementById('kiosk-settings').textContent);
        const id = crypto.randomUUID();
        localStorage.setItem('sipas.kiosk.queue', JSON.stringify([{
            id, counter: retired, questionnaire: s.questionnaire.code, version: s.version,
            channel: 'kiosk', service_area: null, answers: {TC1: 4}, profile: {},
            started_at: new Date().toISOString(), submitted_at: new Date().toISOString(),
            locale: 'vi', client_id: 'old-tablet'}]));
        return id;
    }""", retired)
    page.locator("[data-action=start]").click()
    _answer_all(page, lambda i: 4 if i == 0 else "na")
    page.locator("[data-action=send]").click()
    page.get_by_text("Xin cảm ơn!").wait_for()
    page.locator("[data-testid=pending]").wait_for(state="hidden", timeout=20000)
    assert wait_for_rows(app, 1) == 1
    assert page.evaluate("JSON.parse(localStorage.getItem('sipas.kiosk.queue'))") == []
    rejected = page.evaluate("JSON.parse(localStorage.getItem('sipas.kiosk.rejected'))")
    assert [(r["id"], r["status"], r["error"], r["item"]["counter"]) for r in rejected] == [
        (stale_id, 404, "retired_counter", retired)]
    with app.app_context():
        stored = db.session.query(Response).one()
        assert stored.counter.code == "X-AN1-Q1" and str(stored.id) != stale_id


def test_a_busy_server_stops_the_queue_until_later(app, province, kiosk_page):
    """429 and 5xx keep every sheet in order; they are sent once the server answers again."""
    app.config.update(KIOSK_THANKS_SECONDS=1, KIOSK_RETRY_SECONDS=1)
    _context, page = kiosk_page(province.tokens["SNV-Q1"])
    calls = []

    def busy(route):
        calls.append(route.request.post_data_json["id"])
        route.fulfill(status=503, headers={"Retry-After": "2"}, json={"error": "unavailable"})

    page.route("**/api/v1/responses", busy)
    for round_ in range(2):
        page.locator("[data-action=start]").click()
        _answer_all(page, lambda i, chosen=round_: 5 if i == chosen else "na")
        page.locator("[data-action=send]").click()
        page.locator("[data-action=start]").wait_for(timeout=6000)
    assert page.locator("[data-testid=pending]").inner_text().endswith("2")
    queued = page.evaluate("JSON.parse(localStorage.getItem('sipas.kiosk.queue')).map(i => i.id)")
    assert len(queued) == 2 and set(calls) <= set(queued) and calls[0] == queued[0]
    assert page.evaluate("localStorage.getItem('sipas.kiosk.rejected')") is None
    page.unroute("**/api/v1/responses")
    page.locator("[data-testid=pending]").wait_for(state="hidden", timeout=20000)
    assert wait_for_rows(app, 2) == 2


def test_other_area_is_offered_only_where_the_counter_serves_it(app, province, kiosk_page):
    """"Lĩnh vực khác" is the service area KHAC: absent until the counter serves it, then last,
    and a response given under it is stored with that area (the API contract is unchanged)."""
    from survey.models import ServiceArea

    _context, page = kiosk_page(province.tokens["H-AN-Q1"])
    page.locator("[data-action=start]").click()
    page.locator("[data-action=area]").first.wait_for()
    assert page.locator("[data-action=area]").all_inner_texts() == ["Đất đai", "Xây dựng"]
    with app.app_context():
        counter = db.session.query(Counter).filter_by(code="H-AN-Q1").one()
        counter.service_areas.insert(0, ServiceArea(code="KHAC", name_vi="Lĩnh vực khác",
                                                    name_en="Other"))
        db.session.commit()
    page.reload()
    page.locator("[data-action=start]").click()
    areas = page.locator("[data-action=area]")
    areas.first.wait_for()
    assert areas.all_inner_texts() == ["Đất đai", "Xây dựng", "Lĩnh vực khác"]
    assert "other" in areas.last.get_attribute("class")
    areas.last.click()
    page.locator(".crit").first.wait_for()
    _answer_all(page, lambda i: 4 if i == 0 else "na")
    page.locator("[data-action=send]").click()
    page.get_by_text("Xin cảm ơn!").wait_for()
    assert wait_for_rows(app, 1) == 1
    with app.app_context():
        assert db.session.query(Response).one().service_area.code == "KHAC"


def test_language_button_says_what_it_does_and_progress_is_a_progressbar(province, kiosk_page):
    _context, page = kiosk_page(province.tokens["SNV-Q1"])
    button = page.locator("#lang-toggle")
    assert (button.inner_text(), button.get_attribute("lang")) == ("English", "en")
    assert button.get_attribute("aria-label") is None
    assert page.get_by_role("button", name="English", exact=True).count() == 1
    button.click()
    assert (button.inner_text(), button.get_attribute("lang")) == ("Tiếng Việt", "vi")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("[data-action=start]").click()
    bar = page.get_by_role("progressbar", name="Survey progress")
    assert (bar.get_attribute("aria-valuenow"), bar.get_attribute("aria-valuemax")) == ("1", "5")
    assert page.locator("#progress").get_attribute("aria-label") is None
    page.locator("[data-action=next]").click()
    assert bar.get_attribute("aria-valuenow") == "2"
    assert page.locator("#progress-label").inner_text() == "Part 2 / 5"
