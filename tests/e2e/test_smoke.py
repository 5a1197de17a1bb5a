"""The app serves its landing page to a real browser."""


def test_landing_page_in_vietnamese(live_server, browser, screenshot):
    page = browser.new_page()
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    screenshot(page, "landing")
    page.close()
