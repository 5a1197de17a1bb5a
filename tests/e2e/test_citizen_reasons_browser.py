"""Why a low rating, in a real browser: the kiosk's reasons screen (taps, the stored reason and
follow-up), the QR form's two steps on a phone without JavaScript, and both screens fitting
small phones in large text (inside the viewport, nothing covering them)."""
from __future__ import annotations

import time

import pytest
from kiosk_pages import screen, wait_for_rows, wait_screen_change

from survey.extensions import db
from survey.models import FollowUp, Response, ResponseComment, ResponseReason

PHONE_WIDTH = 600
SMALL = [(320, 568), (390, 844)]
WORDS = "Chờ hơn một tiếng."

# Runs in the page: the controls of ``selector`` that leave the viewport (or, on the kiosk, the
# room between the bars) once scrolled into view, are covered at their centre or overflow.
CHECK = """(selector) => {
  const main = document.getElementById('screen'), nav = document.getElementById('nav');
  const problems = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1 ||
      (main && main.scrollWidth > main.clientWidth + 1))
    problems.push('horizontal overflow');
  const controls = [...document.querySelectorAll(selector)].filter(el => el.getClientRects().length);
  if (!controls.length) problems.push('nothing matches ' + selector);
  for (const el of controls) {
    el.scrollIntoView({block: 'nearest', behavior: 'instant'});
    const r = el.getBoundingClientRect(), name = (el.textContent || el.id || el.name).trim().slice(0, 40);
    let top = 0, bottom = window.innerHeight;
    if (main && !nav.contains(el)) {
      top = main.getBoundingClientRect().top;
      bottom = nav.hidden ? bottom : nav.getBoundingClientRect().top;
    }
    if (r.left < -0.5 || r.right > window.innerWidth + 0.5 || r.top < top - 0.5 || r.bottom > bottom + 0.5)
      problems.push(name + ' outside ' + JSON.stringify([r.left, r.top, r.right, r.bottom, top, bottom]));
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const target = el.closest('label') || el;
    if (!hit || (hit !== target && !target.contains(hit))) problems.push(name + ' covered by ' + (hit ? hit.outerHTML.slice(0, 60) : 'nothing'));
    if (r.height < 44) problems.push(name + ' too small ' + r.height);
  }
  if (main) main.scrollTop = 0; else window.scrollTo(0, 0);
  return problems;
}"""
KIOSK_CONTROLS = "[data-action=reason], [data-action=complaint], #why-comment, #nav button"
QR_CONTROLS = ".why-opt, textarea, .why-complaint, .why-actions button"


def _kiosk(browser, live_server, token: str, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN",
                                  has_touch=True, is_mobile=width < PHONE_WIDTH)
    page = context.new_page()
    page.goto(f"{live_server.url}/kiosk/{token}")
    page.locator("[data-action=start]").wait_for()
    return context, page


def _answer_pages(page, value_for, tap) -> list[str]:
    """Answer every row of the element pages; the screens seen."""
    seen, index = [], 0
    while screen(page).startswith("page-"):
        current = screen(page)
        for code in page.locator(".crit").evaluate_all("rows => rows.map(r => r.dataset.code)"):
            tap(page.locator(f'.crit[data-code="{code}"] [data-value="{value_for(index)}"]'))
            index += 1
        seen.append(wait_screen_change(page, current))
    return seen


def test_kiosk_asks_why_after_a_low_rating_and_opens_a_follow_up(app, province, browser,
                                                                   live_server, screenshot,
                                                                   capsys):
    context, page = _kiosk(browser, live_server, province.tokens["SNV-Q1"], 1280, 800)
    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        locator.click()
        taps += 1

    try:
        seen = [screen(page)]
        tap(page.locator("[data-action=start]"))
        seen.append(wait_screen_change(page, seen[-1]))
        # TC1 (the first criterion) gets 2, everything else 4.
        seen += _answer_pages(page, lambda i: 2 if i == 0 else 4, tap)
        assert seen[-1] == "reasons"
        assert page.get_by_role("heading", name="Vì sao Ông/Bà chưa hài lòng?").is_visible()
        assert page.locator(".why-row").evaluate_all(
            "rows => rows.map(r => r.dataset.code)") == ["TC1"]
        chip = page.locator('[data-action=reason][data-value="ACC_WAIT"]')
        assert chip.get_attribute("aria-pressed") == "false"
        tap(chip)
        assert chip.get_attribute("aria-pressed") == "true"
        page.locator("#why-comment").fill(WORDS)
        screenshot(page, "citizen-kiosk-reasons")
        tap(page.locator("[data-action=reasons-continue]"))
        seen.append(wait_screen_change(page, "reasons"))
        assert seen[-1] == "profile"
        tap(page.locator("[data-action=skip]"))
        seen.append(wait_screen_change(page, "profile"))
        assert seen[-1] == "thanks"
    finally:
        context.close()
    with capsys.disabled():
        print(f"\nkiosk with one low rating: screens {len(seen)} ({' > '.join(seen)}), "
              f"taps {taps} (23 answers + start + 1 reason + Tiếp tục + Bỏ qua), 1 text box")
    assert taps == 23 + 4
    assert wait_for_rows(app, 1) == 1
    deadline = time.monotonic() + 10
    while True:
        with app.app_context():
            follow_ups = db.session.query(FollowUp).all()
            if follow_ups or time.monotonic() > deadline:
                reasons = [(r.item_code, r.reason_code) for r in db.session.query(ResponseReason)]
                comments = [c.text for c in db.session.query(ResponseComment)]
                kinds = [(f.kind, f.agency_id) for f in follow_ups]
                channel = db.session.query(Response).one().channel
                db.session.remove()
                break
        time.sleep(0.2)
    assert reasons == [("TC1", "ACC_WAIT")] and comments == [WORDS]
    assert kinds == [("low_rating", province.agency_ids["SNV"])] and channel == "kiosk"


def test_kiosk_without_a_low_rating_never_shows_the_reasons_screen(province, browser,
                                                                   live_server):
    context, page = _kiosk(browser, live_server, province.tokens["SNV-Q1"], 1280, 800)
    try:
        page.locator("[data-action=start]").click()
        seen = _answer_pages(page, lambda i: 3 if i % 2 else "na", lambda loc: loc.click())
        assert seen[-1] == "profile" and "reasons" not in seen
        page.locator("[data-action=back]").click()
        assert wait_screen_change(page, "profile").startswith("page-")
    finally:
        context.close()


def test_qr_form_two_steps_on_a_phone_without_javascript(app, province, browser, live_server,
                                                         screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  java_script_enabled=False, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/q/{province.tokens['SNV-Q1']}")
        for code, value in [("TC1", "1"), ("CC1", "4"), ("HL", "2")]:
            page.locator(f'input[name="{code}"][value="{value}"]').check()
        page.locator("button[type=submit]").click()
        page.get_by_role("heading", name="Vì sao Ông/Bà chưa hài lòng?").wait_for()
        assert wait_for_rows(app, 1, timeout=0.3) == 0
        assert page.locator("fieldset.why").count() == 2
        page.locator('input[name="reasons_TC1"][value="ACC_SIGNS"]').check()
        page.locator("textarea[name=comment]").fill(WORDS)
        page.locator('input[name="complaint"]').check()
        screenshot(page, "citizen-qr-reasons-390x844")
        page.get_by_role("button", name="Gửi", exact=True).click()
        page.get_by_text("Xin cảm ơn!").wait_for()
    finally:
        context.close()
    with app.app_context():
        stored = db.session.query(Response).one()
        assert {a.item_code: a.value for a in stored.answers} == {"TC1": 1, "CC1": 4, "HL": 2}
        assert [(r.item_code, r.reason_code) for r in db.session.query(ResponseReason)] == [
            ("TC1", "ACC_SIGNS")]
        assert db.session.query(FollowUp).one().kind == "complaint"


@pytest.mark.parametrize("width,height", SMALL, ids=[f"{w}x{h}" for w, h in SMALL])
def test_kiosk_reasons_screen_fits_in_large_text(province, browser, live_server, screenshot,
                                                 width, height):
    context, page = _kiosk(browser, live_server, province.tokens["SNV-Q1"], width, height)
    try:
        page.locator("#text-toggle").click()
        page.locator("[data-action=start]").click()
        # Every fourth row low (one per element at least), the overall question too.
        seen = _answer_pages(page, lambda i: 1 if i % 4 == 0 or i == 22 else 5,
                             lambda loc: loc.click())
        assert seen[-1] == "reasons"
        assert page.locator(".why-row").count() == 7
        assert page.evaluate(CHECK, KIOSK_CONTROLS) == []
        screenshot(page, f"citizen-kiosk-reasons-{width}x{height}-large")
    finally:
        context.close()


@pytest.mark.parametrize("width,height", SMALL, ids=[f"{w}x{h}" for w, h in SMALL])
def test_qr_reasons_page_fits_in_large_text(province, browser, live_server, screenshot, width,
                                            height):
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/q/{province.tokens['SNV-Q1']}")
        for code in ("TC1", "TT1", "CC1", "KQ1", "GY1", "HL"):
            page.locator(f'input[name="{code}"][value="2"]').check()
        page.locator("button[type=submit]").click()
        page.get_by_role("heading", name="Vì sao Ông/Bà chưa hài lòng?").wait_for()
        # Large text as a phone's accessibility setting gives it: 130 % of the normal size.
        page.evaluate("document.documentElement.style.fontSize = '130%'")
        assert page.evaluate(CHECK, QR_CONTROLS) == []
        screenshot(page, f"citizen-qr-reasons-{width}x{height}-large")
    finally:
        context.close()
