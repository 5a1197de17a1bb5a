"""The workspace in a real browser: sign in, counters, token rotation, audit log, data quality."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

PASSWORD = "correct-horse-battery"


def _flagged_responses(app) -> None:
    """Two automatically flagged responses and one valid one, for the quality page."""
    from survey.extensions import db
    from survey.models import Answer, Counter, Questionnaire, Response, ResponseFlag

    with app.app_context():
        questionnaire = db.session.query(Questionnaire).filter_by(code="sipas").one()
        for code, flags in (("SNV-Q1", [("too_fast", "4.0 s for 9 answers (minimum 9.0 s)")]),
                            ("X-AN1-Q1", [("straightlining", "all 9 criteria answered 5")]),
                            ("H-AN-Q1", [])):
            counter = db.session.query(Counter).filter_by(code=code).one()
            now = datetime.now(UTC)
            values = (5, 5, 5, 5) if flags else (4, 3, 5, 4)
            db.session.add(Response(
                uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
                counter_id=counter.id, agency_id=counter.agency_id,
                service_area_id=counter.service_areas[0].id, channel="kiosk",
                survey_date=date.today(), received_at=now, submitted_at=now,
                duration_seconds=4.0 if flags else 80.0, client_id=f"tablet-{code}",
                status="flagged" if flags else "valid",
                answers=[Answer(item_code=c, value=v)
                         for c, v in zip(("TC1", "TT1", "CC1", "KQ1"), values)],
                flags=[ResponseFlag(kind=k, detail=d) for k, d in flags]))
        db.session.commit()


def test_admin_signs_in_rotates_a_token_and_sees_it_in_the_audit_log(
        app, province, make_user, live_server, browser, screenshot):
    make_user("admin", username="ba-lan", password=PASSWORD)
    _flagged_responses(app)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/auth/login?next=/admin/counters")
    assert page.locator("h1").inner_text() == "Đăng nhập khu làm việc"
    page.fill("input[name=username]", "ba-lan")
    page.fill("input[name=password]", PASSWORD)
    screenshot(page, "workspace-login")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/counters")
    row = page.locator("tr[data-counter='SNV-Q1']")
    assert province.tokens["SNV-Q1"] in row.locator("td.links a").first.get_attribute("href")
    screenshot(page, "workspace-counters")

    row.get_by_role("link", name="Cấp mã mới").click()
    page.wait_for_url("**/rotate")
    page.get_by_role("button", name="Đồng ý, cấp mã mới").click()
    page.wait_for_url("**/admin/counters")
    assert "Đã cấp mã mới cho quầy SNV-Q1" in page.locator(".flash").inner_text()
    new_href = page.locator("tr[data-counter='SNV-Q1'] td.links a").first.get_attribute("href")
    assert province.tokens["SNV-Q1"] not in new_href

    page.click("nav a[href='/admin/audit']")
    page.wait_for_url("**/admin/audit")
    entry = page.locator("tr[data-action='rotate_token']")
    assert entry.count() == 1 and "ba-lan" in entry.inner_text()
    screenshot(page, "workspace-audit")

    page.goto(live_server.url + "/admin/quality")
    assert page.locator("tr[data-response]").count() == 2
    assert "trả lời quá nhanh" in page.locator("table.responses").inner_text()
    screenshot(page, "workspace-quality")
    page.close()


def test_analyst_sees_the_agency_tree_and_previews_a_questionnaire_in_english(
        app, province, make_user, live_server, browser, screenshot):
    make_user("analyst", username="chi-mai", password=PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/auth/login?next=/admin/agencies")
    page.fill("input[name=username]", "chi-mai")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/agencies")
    assert page.locator("ul.tree li").count() == 3
    assert page.locator("nav a[href='/admin/users']").count() == 0
    screenshot(page, "workspace-agencies")
    page.goto(live_server.url + "/admin/questionnaires")
    page.locator("a", has_text="Xem trước").first.click()
    assert page.locator("label.scale-option", has_text="Rất hài lòng").count() > 10
    page.click("a[href='?text=en']")
    assert page.locator("label.scale-option", has_text="Very satisfied").count() > 10
    screenshot(page, "workspace-questionnaire-preview")
    page.close()
