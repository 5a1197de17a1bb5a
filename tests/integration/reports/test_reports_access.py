"""Who may see which report: roles and the agency viewer's subtree."""
import re

import pytest
from reports_helpers import PERIOD, section

URLS = ["/reports/?period={p}&agency={a}", "/reports/export.xlsx?period={p}&agency={a}",
        "/reports/export.csv?period={p}&agency={a}", "/reports/export.pdf?period={p}&agency={a}",
        "/reports/raw.csv?period={p}&agency={a}", "/reports/raw.xlsx?period={p}&agency={a}",
        "/reports/chart/by_area.svg?period={p}&agency={a}"]


def test_reports_need_sign_in(demo_app, client):
    response = client.get("/reports/")
    assert response.status_code in (302, 401)


@pytest.mark.parametrize("url", URLS)
def test_agency_viewer_is_refused_another_agency(demo_app, client, login_as, url):
    login_as("agency_viewer", "H-AN")
    assert client.get(url.format(p=PERIOD, a="H-BINH")).status_code == 403
    assert client.get(url.format(p=PERIOD, a="STP")).status_code == 403


def test_agency_viewer_is_refused_the_whole_province(demo_app, client, login_as):
    login_as("agency_viewer", "H-AN")
    assert client.get(f"/reports/?period={PERIOD}&agency=").status_code == 200
    assert client.get(f"/reports/raw.csv?period={PERIOD}&agency=UBND-T").status_code == 403


@pytest.mark.parametrize("agency", ["H-AN", "X-AN1"])
def test_agency_viewer_sees_its_own_subtree(demo_app, client, login_as, agency):
    login_as("agency_viewer", "H-AN")
    for url in URLS:
        assert client.get(url.format(p=PERIOD, a=agency)).status_code == 200, url


def test_agency_viewer_defaults_to_its_agency_and_picker_lists_only_allowed(demo_app, client,
                                                                             login_as):
    login_as("agency_viewer", "H-AN")
    html = client.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    assert "UBND huyện An Phú" in section(html, "headline")
    picker = re.search(r'<select[^>]*name="agency".*?</select>', html, re.DOTALL).group(0)
    values = set(re.findall(r'value="([^"]*)"', picker))
    assert values == {"H-AN", "X-AN1", "X-AN2"}
    agencies = section(html, "by-agency")
    assert "Sở Tư pháp" not in agencies and "UBND xã An Hòa" in agencies


def test_agency_viewer_raw_export_is_limited_to_its_subtree(demo_app, client, login_as):
    login_as("agency_viewer", "H-AN")
    text = client.get(f"/reports/raw.csv?period={PERIOD}").get_data(as_text=True)
    agencies = {line.split(",")[3] for line in text.splitlines()[1:]}
    assert agencies and agencies <= {"H-AN", "X-AN1", "X-AN2"}


def test_analyst_sees_the_whole_province_by_default(demo_app, analyst):
    html = analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    assert "Sở Tư pháp" in section(html, "by-agency")
