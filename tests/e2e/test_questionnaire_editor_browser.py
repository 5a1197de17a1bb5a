"""The questionnaire editor in a real browser, with JavaScript off: the buttons are plain form
posts, so moving, adding, previewing and publishing must work without any script."""
from __future__ import annotations

PASSWORD = "correct-horse-battery"


def _latest(app, code: str = "sipas"):
    """The newest published version of ``code``: its id, version and definition."""
    from survey.extensions import db
    from survey.models import Questionnaire

    with app.app_context():
        q = (db.session.query(Questionnaire).filter_by(code=code)
             .order_by(Questionnaire.version.desc()).first())
        return q.id, q.version, q.definition


def test_admin_edits_previews_and_publishes_a_new_version_without_javascript(
        app, make_user, live_server, browser, screenshot):
    make_user("admin", username="ba-lan", password=PASSWORD)
    qid, version, base = _latest(app)
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + f"/auth/login?next=/admin/questionnaires/{qid}/edit")
    page.fill("input[name=username]", "ba-lan")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**/admin/questionnaires/{qid}/edit")
    assert page.locator("h1").inner_text() == "Phiên bản mới của sipas"

    second = base["elements"][0]["criteria"][1]["code"]
    page.fill("#title_en", "Satisfaction survey (browser edit)")
    page.locator("#elements-0-criteria-1").get_by_role("button", name="Đưa tiêu chí lên trên").click()
    page.wait_for_load_state()
    assert page.input_value("#elements-0-criteria-0-code") == second
    assert page.input_value("#title_en") == "Satisfaction survey (browser edit)"
    assert page.url.endswith("#elements-0")

    page.locator("#elements-1").get_by_role("button", name="Thêm tiêu chí").click()
    page.wait_for_load_state()
    new = f"#elements-1-criteria-{len(base['elements'][1]['criteria'])}"
    page.fill(f"{new}-label_vi", "Thông tin trên cổng dịch vụ công")
    page.fill(f"{new}-label_en", "Information on the public-service portal")
    page.fill(f"{new}-question_vi", "Ông/Bà hài lòng thế nào với thông tin trên cổng dịch vụ công?")
    page.fill(f"{new}-question_en", "How satisfied are you with the portal's information?")
    page.get_by_role("button", name="Xem trước bằng tiếng Việt").first.click()
    page.wait_for_load_state()
    preview = page.locator("#preview")
    assert "Ông/Bà hài lòng thế nào với thông tin trên cổng dịch vụ công?" in preview.inner_text()
    screenshot(page, "workspace-questionnaire-editor-preview")

    publish = page.get_by_role("button", name=f"Kiểm tra và công bố phiên bản {version + 1}")
    question = page.input_value("#elements-0-criteria-0-question_vi")
    page.fill("#elements-0-weight", "-1")
    page.fill("#elements-0-criteria-0-question_vi", "")
    publish.first.click()
    page.wait_for_load_state()
    problems = page.locator("#problems li")
    assert problems.count() == 2
    assert "elements[0].weight: trọng số phải là số dương" in problems.nth(0).inner_text()
    assert page.locator(".has-error #elements-0-weight").count() == 1
    screenshot(page, "workspace-questionnaire-editor-problems")
    assert _latest(app)[1] == version
    page.fill("#elements-0-weight", "1")
    page.fill("#elements-0-criteria-0-question_vi", question)
    publish.first.click()
    page.wait_for_url("**/admin/questionnaires")
    assert f"Đã công bố sipas phiên bản {version + 1}." in page.locator(".flash").inner_text()
    _id, newest, definition = _latest(app)
    assert newest == version + 1
    assert definition["title"]["en"] == "Satisfaction survey (browser edit)"
    assert definition["elements"][0]["criteria"][0]["code"] == second
    assert definition["elements"][1]["criteria"][-1]["label"]["en"] == (
        "Information on the public-service portal")
    context.close()
