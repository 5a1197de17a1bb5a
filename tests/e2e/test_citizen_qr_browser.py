"""The QR form on a phone, with and without JavaScript, and the printable poster.

The form is grouped as the kiosk is: one fieldset per element, each criterion a row of five
answers and "Không ý kiến" that fits on the phone's screen, uncovered.
"""
from __future__ import annotations

import pytest

from survey import questionnaires as qdefs
from survey.extensions import db
from survey.models import Response

PHONE = {"width": 390, "height": 844}
PHONES = [(320, 568), (360, 640), (390, 844)]

# Runs in the page: rows whose six answers do not fit on screen together or are covered.
CHECK_ROWS = """() => {
  const problems = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push('horizontal overflow ' + document.documentElement.scrollWidth);
  for (const row of document.querySelectorAll('fieldset.crit')) {
    const options = [...row.querySelectorAll('label.face-opt')];
    if (options.length !== 6) problems.push(row.id + ': ' + options.length + ' answers');
    if (row.getBoundingClientRect().height > window.innerHeight) problems.push(row.id + ' taller than the screen');
    row.scrollIntoView({block: 'nearest', behavior: 'instant'});
    for (const label of options) {
      const r = label.getBoundingClientRect();
      if (r.top < 0 || r.bottom > window.innerHeight || r.left < 0 || r.right > window.innerWidth)
        problems.push(row.id + ' ' + label.textContent.trim() + ' off screen');
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (!hit || !label.contains(hit)) problems.push(row.id + ' ' + label.textContent.trim() + ' covered');
    }
  }
  window.scrollTo(0, 0);
  return problems;
}"""


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
    assert page.locator('input[name="csrf_token"]').count() == 1
    assert page.locator("fieldset.element").count() == 6
    page.locator("button[type=submit]").click()
    assert "Xin vui lòng trả lời ít nhất một câu hỏi." in page.content()
    _fill_and_send(page)
    page.get_by_text("Xin cảm ơn!").wait_for()
    context.close()
    with app.app_context():
        assert db.session.query(Response).filter_by(channel="qr").count() == 1


@pytest.mark.parametrize("code", ["sipas", "sipas-2023"])
@pytest.mark.parametrize("width,height", PHONES, ids=[f"{w}x{h}" for w, h in PHONES])
def test_qr_form_is_grouped_by_element_with_rows_that_fit(province, browser, live_server,
                                                          screenshot, code, width, height):
    definition = qdefs.load_file(qdefs.FOLDER / f"{code}.json")
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/q/{province.tokens['H-AN-Q1']}?q={code}")
    elements = page.locator("fieldset.element")
    assert elements.count() == len(definition["elements"]) + 1
    assert elements.locator("> legend").all_inner_texts()[:-1] == [
        e["label"]["vi"] for e in definition["elements"]]
    assert page.locator("fieldset.crit").count() == len(qdefs.item_codes(definition))
    assert page.evaluate(CHECK_ROWS) == []
    screens = page.evaluate("document.documentElement.scrollHeight / window.innerHeight")
    print(f"\nQR {code} {width}x{height}: {page.locator('fieldset.crit').count()} rows in "
          f"{elements.count()} groups, {screens:.1f} screen heights")
    if code == "sipas":
        screenshot(page, f"citizen-qr-{width}x{height}")
    context.close()


def test_poster_prints(province, browser, live_server, screenshot):
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    page.goto(f"{live_server.url}/kiosk/poster/{province.tokens['H-AN-Q1']}")
    assert page.locator(".qr svg").count() == 1
    screenshot(page, "citizen-qr-poster")
    page.close()
