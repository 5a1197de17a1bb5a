"""The report page in a real browser: sign in, read, switch period, download, agency scope."""
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from survey import demo
from survey.extensions import db
from survey.reports.compute import clear_cache

PASSWORD = "correct-horse-battery"


@pytest.fixture
def demo_server(app, live_server):
    """The live server with the demo province loaded."""
    clear_cache()
    with app.app_context():
        demo.load(db.session, responses=1500, today=date(2026, 11, 23))
        db.session.commit()
    yield live_server
    clear_cache()


def _sign_in(browser, server, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(server.url + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url("**/reports/**")
    return context, page


def _charts_loaded(page) -> None:
    page.wait_for_function(
        "Array.from(document.querySelectorAll('img.chart'))"
        ".every(i => i.complete && i.naturalWidth > 0)", timeout=30000)


def test_analyst_reads_switches_period_and_downloads(demo_server, browser, make_user,
                                                     screenshot, tmp_path):
    make_user("analyst", username="ana", password=PASSWORD)
    context, page = _sign_in(browser, demo_server, "ana")
    page.goto(demo_server.url + "/reports/?period=2026-Q3")
    assert page.locator("#sipas-index .est").inner_text().strip()
    assert "2026-Q3" in page.locator("#headline h1").inner_text()
    _charts_loaded(page)
    screenshot(page, "reports_page")
    page.select_option("select[name=period]", "2026-Q2")
    page.locator("#report-filters button[type=submit]").click()
    page.wait_for_url("**period=2026-Q2**")
    assert "2026-Q2" in page.locator("#headline h1").inner_text()
    assert "2026-Q1" in page.locator("#change h2").inner_text()
    _charts_loaded(page)
    screenshot(page, "reports_page_q2")
    with page.expect_download() as info:
        page.locator("#download-xlsx").click()
    path = tmp_path / "report.xlsx"
    info.value.save_as(path)
    book = load_workbook(BytesIO(path.read_bytes()))
    assert len(book.sheetnames) == 11  # with the reasons sheet
    context.close()


def test_agency_viewer_is_refused_another_agency(demo_server, browser, make_user, screenshot):
    make_user("agency_viewer", "H-AN", username="viewer-an", password=PASSWORD)
    context, page = _sign_in(browser, demo_server, "viewer-an")
    assert "UBND huyện An Phú" in page.locator("#headline").inner_text()
    response = page.goto(demo_server.url + "/reports/?agency=STP")
    assert response.status == 403
    screenshot(page, "reports_viewer_refused")
    context.close()
