"""An officer in a real browser: signs in, lands on their own results, and the list of the
other officers (and another officer's page) is refused."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

PASSWORD = "correct-horse-battery"
CRITERIA = ("TC1", "TC2", "TT1", "TT2", "CC1", "CC2", "KQ1", "KQ2", "GY1", "GY2")


def _officers_with_answers(app) -> dict[str, int]:
    """Officers CB-A and CB-B of the district, 32 answers each today; an account for CB-A."""
    from survey.catalog import create_user
    from survey.extensions import db
    from survey.models import Answer, Counter, Officer, Questionnaire, Response

    with app.app_context():
        counter = db.session.query(Counter).filter_by(code="H-AN-Q1").one()
        questionnaire = db.session.query(Questionnaire).filter_by(code="sipas").one()
        officers = {}
        for code, name, values in (("CB-A", "Nguyễn Thị An", (5, 4, 4, 3)),
                                   ("CB-B", "Lê Văn Bình", (2, 3, 4, 2))):
            officer = Officer(code=code, name=name, agency_id=counter.agency_id, active=True,
                              failed_pins=0)
            db.session.add(officer)
            db.session.flush()
            officers[code] = officer.id
            for i in range(32):
                now = datetime.now(UTC)
                db.session.add(Response(
                    uuid=uuid.uuid4(), questionnaire_id=questionnaire.id,
                    questionnaire_code="sipas", counter_id=counter.id,
                    agency_id=counter.agency_id, service_area_id=counter.service_areas[0].id,
                    channel="kiosk", survey_date=date.today(), received_at=now,
                    submitted_at=now, duration_seconds=90.0, status="valid",
                    officer_id=officer.id,
                    answers=[Answer(item_code=c, value=values[(i + j) % len(values)])
                             for j, c in enumerate(CRITERIA)]))
        create_user(db.session, "an-nguyen", PASSWORD, "officer", officer_code="CB-A")
        db.session.commit()
    return officers


def test_an_officer_signs_in_sees_their_results_and_not_the_others(
        app, province, live_server, browser, screenshot):
    officers = _officers_with_answers(app)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/auth/login")
    page.fill("input[name=username]", "an-nguyen")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/officers/me")
    assert page.locator("h1").first.inner_text().startswith("Kết quả của tôi")
    headline = page.locator("#officer-index").inner_text()
    assert "," in headline and headline.replace(",", "").isdigit()
    assert "Nguyễn Thị An" in page.locator("#officer-headline").inner_text()
    assert page.locator("#officer-measures tr[data-measure='TC1']").count() == 1
    assert "Lê Văn Bình" not in page.content()
    assert page.locator("nav a[href='/officers/me']").count() == 1
    assert page.locator("nav a[href='/reports/']").count() == 0
    screenshot(page, "officer-own-results")

    refused = page.goto(live_server.url + "/officers/results")
    assert refused.status == 403
    assert "Nguyễn Thị An" not in page.content() and "Lê Văn Bình" not in page.content()
    screenshot(page, "officer-results-refused")
    assert page.goto(live_server.url + f"/officers/{officers['CB-B']}").status == 403
    assert page.goto(live_server.url + "/reports/").status == 403
    page.close()


def test_an_admin_adds_an_officer_and_reads_the_results_by_officer(
        app, province, make_user, live_server, browser, screenshot):
    _officers_with_answers(app)
    make_user("admin", username="ba-lan", password=PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/auth/login?next=/officers/new")
    page.fill("input[name=username]", "ba-lan")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/officers/new")
    page.fill("input[name=code]", "CB-C")
    page.fill("input[name=name]", "Phạm Thu Cúc")
    page.select_option("select[name=agency_id]", label="— — X-AN1 · UBND xã An Hòa")
    page.fill("input[name=pin]", "2468")
    page.fill("input[name=confirm]", "2468")
    page.click("input[type=submit]")
    page.wait_for_url("**/officers/")
    assert "Đã thêm cán bộ CB-C." in page.locator(".flash").inner_text()
    assert page.locator("tr[data-officer='CB-C']").count() == 1
    assert "2468" not in page.content()
    screenshot(page, "officers-list")

    page.click("a[href='/officers/results']")
    page.wait_for_url("**/officers/results")
    row = page.locator("tr[data-officer='CB-A']")
    assert row.locator("td.respondents").inner_text() == "32"
    assert "," in row.locator("td.direct").inner_text()
    assert "quá ít phiếu" in page.locator("tr[data-officer='CB-C']").inner_text()
    screenshot(page, "officers-results")
    page.close()
