"""The kiosk completed with the keyboard alone (WCAG 2.1.1): Tab and Shift+Tab move between the
buttons, Space and Enter press them; no mouse, no touch, no script clicking for the citizen.

After every screen change the kiosk puts the focus on the screen's heading, so the first Tab
reaches the screen's first button. Each focused button must show a visible focus outline
(WCAG 2.4.7).
"""
from __future__ import annotations

from kiosk_pages import screen, wait_for_rows, wait_screen_change

from survey.extensions import db
from survey.models import Answer, Response, ResponseReason

MAX_TABS = 80

# The focused element, described so the test can tell where it is; and whether it shows a ring.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), action: el.dataset.action || null,
          value: el.dataset.value || null, code: el.dataset.code || null,
          field: el.dataset.field || null,
          ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
}"""






class Keyboard:
    """Moves the focus with Tab / Shift+Tab only, counting the key presses."""

    def __init__(self, page):
        self.page = page
        self.presses = 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1

    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUSED)

    def tab_to(self, backwards: bool = False, **wanted) -> dict:
        """Press Tab (or Shift+Tab) until the focused button has the ``wanted`` data."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(MAX_TABS):
            self.press(key)
            now = self.focused()
            if now and all(now.get(k) == v for k, v in wanted.items()):
                assert now["ring"], f"no visible focus outline on {now}"
                return now
        raise AssertionError(f"{wanted} not reachable with {key} (last focus: {self.focused()})")




def test_a_whole_kiosk_survey_with_the_keyboard_alone(app, province, browser, live_server,
                                                      capsys):
    app.config["KIOSK_THANKS_SECONDS"] = 600
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server.url}/kiosk/{province.tokens['H-AN-Q1']}")
    page.locator("[data-action=start]").wait_for()
    keys = Keyboard(page)

    # Start: the focus is on the heading; Tab reaches "Bắt đầu", Enter presses it.
    keys.tab_to(action="start")
    keys.press("Enter")
    assert wait_screen_change(page, "start") == "area"

    # Service area: Tab to "Xây dựng", Space chooses it and the kiosk moves on.
    keys.tab_to(action="area", value="XAYDUNG")
    keys.press("Space")
    shown = wait_screen_change(page, "area")
    assert shown == "page-1"

    # Question pages: every row answered with Space; the first row's answer is reached by
    # going one face too far and coming back with Shift+Tab. Values cycle 4, 5, 3, 2, 1, na.
    values = ["4", "5", "3", "2", "1", "na"]
    chosen: dict[str, str] = {}
    pages = 0
    while shown.startswith("page-"):
        pages += 1
        codes = page.locator(".crit").evaluate_all("rows => rows.map(r => r.dataset.code)")
        for code in codes:
            value = values[len(chosen) % len(values)]
            if not chosen and value != "na":
                keys.tab_to(action="answer", code=code, value=str(int(value) + 1))
                keys.tab_to(backwards=True, action="answer", code=code, value=value)
            else:
                keys.tab_to(action="answer", code=code, value=value)
            keys.press("Space")
            pressed = page.locator(f'.crit[data-code="{code}"] [data-value="{value}"]')
            if screen(page) == shown:
                assert pressed.get_attribute("aria-pressed") == "true"
            chosen[code] = value
        shown = wait_screen_change(page, shown)

    # Reasons (the answers 2 and 1 are low): the first reason chip chosen with Space, then
    # Tab on to "Tiếp tục" and Enter.
    assert shown == "reasons"
    chip = page.locator("[data-action=reason]").first
    reason = (chip.get_attribute("data-code"), chip.get_attribute("data-value"))
    keys.tab_to(action="reason", code=reason[0], value=reason[1])
    keys.press("Space")
    assert page.locator(f'[data-action=reason][data-code="{reason[0]}"]'
                        f'[data-value="{reason[1]}"]').get_attribute("aria-pressed") == "true"
    keys.tab_to(action="reasons-continue")
    keys.press("Enter")
    shown = wait_screen_change(page, "reasons")
    assert shown == "profile"

    # Profile: one chip chosen with Space, then Tab on to "Gửi" and Enter.
    keys.tab_to(action="profile", field="gender", value="female")
    keys.press("Space")
    assert page.locator('[data-action=profile][data-value="female"]').get_attribute(
        "aria-pressed") == "true"
    keys.tab_to(action="send")
    keys.press("Enter")
    page.get_by_text("Xin cảm ơn!").wait_for()
    assert screen(page) == "thanks"

    assert wait_for_rows(app, 1) == 1
    with app.app_context():
        stored = db.session.query(Response).one()
        assert (stored.channel, stored.service_area.code, stored.gender) == (
            "kiosk", "XAYDUNG", "female")
        answers = {a.item_code: a.value for a in db.session.query(Answer)}
        assert answers == {c: int(v) for c, v in chosen.items() if v != "na"}
        assert db.session.query(Answer).count() == sum(v != "na" for v in chosen.values())
        assert [(r.item_code, r.reason_code) for r in db.session.query(ResponseReason)] == [
            reason]

    # "Kết thúc" on the thank-you screen brings the next citizen back to the start.
    keys.tab_to(action="reset")
    keys.press("Enter")
    assert wait_screen_change(page, "thanks") == "start"
    with capsys.disabled():
        print(f"\nkiosk by keyboard alone: {pages} question pages, {len(chosen)} answers, "
              f"{keys.presses} key presses, 1 response stored")
    context.close()
