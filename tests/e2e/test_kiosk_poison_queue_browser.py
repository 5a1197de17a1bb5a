"""A sheet the server always fails (500) never holds back a tablet's queue: the sheets behind it
are sent, it is retried with backoff, set aside after the last attempt, exported by staff as a
JSON file and stored exactly once through the workspace page."""
from __future__ import annotations

import json
import time
from pathlib import Path

from survey.extensions import db
from survey.models import Response

PASSWORD = "correct-horse-battery"
SEED = """() => {
    const s = JSON.parse(document.getElementById('kiosk-settings').textContent);
    const now = Date.now();
    const items = [0, 1, 2, 3].map(i => ({
        id: crypto.randomUUID(), counter: s.token, questionnaire: s.questionnaire.code,
        version: s.version, channel: 'kiosk', service_area: s.areas[0].code,
        answers: {TC1: 2 + i}, profile: {}, started_at: new Date(now - 90000).toISOString(),
        submitted_at: new Date(now - 1000 * (4 - i)).toISOString(), locale: 'vi',
        client_id: 'tablet-under-test'}));
    localStorage.setItem('sipas.kiosk.queue', JSON.stringify(items));
    return items;
}"""


def _stored_ids(app) -> list[str]:
    with app.app_context():
        ids = [str(r.uuid) for r in db.session.query(Response)]
        db.session.remove()
    return ids


def _wait(page, predicate, timeout: float = 20):
    """Poll ``predicate``; Playwright's own wait lets the route handler run meanwhile."""
    deadline = time.monotonic() + timeout
    while not (found := predicate()) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return found


def _load_file(page, base: str, path: Path) -> dict[str, int]:
    """Upload ``path`` on the workspace page; return its created / existing / refused counts."""
    page.goto(f"{base}/admin/set-aside")
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("input[type=submit]").click()
    page.locator("[data-testid=setaside-report]").wait_for()
    return {name: int(page.locator(f"[data-testid={name}]").inner_text())
            for name in ("created", "existing", "refused")}


def test_a_sheet_that_always_fails_is_set_aside_exported_and_stored_once(
        app, province, browser, live_server, make_user, screenshot, tmp_path):
    app.config.update(KIOSK_RETRY_SECONDS=1, KIOSK_BACKOFF_SECONDS=0.3,
                      KIOSK_BACKOFF_MAX_SECONDS=0.6, KIOSK_SETASIDE_ATTEMPTS=4)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/kiosk/{province.tokens['SNV-Q1']}")
        page.locator("[data-action=start]").wait_for()
        calls: list[str] = []
        poison: dict = {}

        def answer(route):
            sheet_id = route.request.post_data_json["id"]
            calls.append(sheet_id)
            if sheet_id == poison.get("id"):
                route.fulfill(status=500, json={"error": "internal"})
            else:
                route.continue_()

        page.route("**/api/v1/responses", answer)
        items = page.evaluate(SEED)
        poison.update(items[0])
        good = [item["id"] for item in items[1:]]

        # The three sheets behind the failing one are stored; the failing one is not.
        assert _wait(page, lambda: set(good) <= set(_stored_ids(app)))
        assert poison["id"] not in _stored_ids(app)
        assert calls[0] == poison["id"]

        # After its 4 attempts it is set aside: no longer queued, no longer sent.
        page.locator("[data-testid=setaside]").wait_for(timeout=20000)
        assert page.locator("[data-testid=setaside]").inner_text().endswith("1")
        assert calls.count(poison["id"]) == 4
        assert max(calls.index(g) for g in good) < len(calls) - 1 - calls[::-1].index(
            poison["id"]), "the good sheets waited for the failing one"
        assert page.evaluate("JSON.parse(localStorage.getItem('sipas.kiosk.queue'))") == []
        assert page.locator("[data-testid=pending]").is_hidden()
        page.wait_for_timeout(2500)
        assert calls.count(poison["id"]) == 4
        assert sorted(_stored_ids(app)) == sorted(good)
        screenshot(page, "citizen-kiosk-set-aside-count")

        # Staff export the set-aside sheets: a JSON array of the original payloads.
        page.locator("[data-testid=setaside]").click()
        page.locator("#setaside-download").get_by_text("Tải tệp về").wait_for()
        screenshot(page, "citizen-kiosk-set-aside-dialog")
        with page.expect_download() as info:
            page.locator("[data-testid=setaside-download]").click()
        download = info.value
        assert download.suggested_filename.startswith("sipas-set-aside-")
        exported = tmp_path / download.suggested_filename
        download.save_as(str(exported))
        assert json.loads(exported.read_text(encoding="utf-8")) == [poison]
        page.locator("#setaside-close").click()

        # An analyst loads the file in the workspace: stored once, then never again.
        make_user("analyst")
        admin = context.new_page()
        admin.goto(f"{live_server.url}/auth/login")
        admin.locator("#username").fill("analyst-all")
        admin.locator("#password").fill(PASSWORD)
        admin.locator("input[type=submit]").click()
        admin.wait_for_url(lambda url: "/auth/login" not in url)
        assert _load_file(admin, live_server.url, exported) == {"created": 1, "existing": 0, "refused": 0}
        screenshot(admin, "workspace-set-aside-loaded")
        assert _load_file(admin, live_server.url, exported) == {"created": 0, "existing": 1, "refused": 0}
        stored = _stored_ids(app)
        assert sorted(stored) == sorted(good + [poison["id"]])
        assert stored.count(poison["id"]) == 1
    finally:
        context.close()
