"""Who sees which officer: an officer account its own page only, agency viewers their
subtree's officers, admins and analysts everyone."""
from __future__ import annotations

import re

from survey.reports.numbers import format_number

PERIOD = "2026-Q3"


def test_an_officer_sees_their_own_figures_and_nobody_elses(client, survey_data, by_hand,
                                                            as_officer, session_token):
    as_officer("CB-A")
    mine = by_hand(survey_data.rows, lambda r: r["officer"] == "CB-A")
    response = client.get(f"/officers/me?period={PERIOD}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    headline = re.sub(r"<[^>]+>", "", re.search(r'id="officer-index">(.*?)</div>', html,
                                                 re.DOTALL).group(1)).strip()
    assert headline == format_number(mine["estimate"], 1, "vi")
    assert "Nguyễn Thị An" in html and "CB-A" in html
    assert "Lê Văn Bình" not in html and "CB-B" not in html and "Phạm Thu Cúc" not in html
    assert 'href="/officers/me"' in html and 'href="/reports/"' not in html
    own, other = survey_data.officers["CB-A"], survey_data.officers["CB-B"]
    assert client.get(f"/officers/{own}").headers["Location"].startswith("/officers/me")
    token = session_token()
    for url in (f"/officers/{other}", f"/officers/{survey_data.officers['CB-C']}",
                "/officers/999999", "/officers/results", f"/officers/results?period={PERIOD}",
                "/officers/", "/officers/import", "/officers/new", f"/officers/{other}/edit",
                "/reports/", "/reports/export.csv", "/reports/raw.csv", "/admin/counters",
                "/admin/users", "/admin/quality"):
        assert client.get(url).status_code == 403, url
    for url in (f"/officers/{other}/active", "/officers/new", "/officers/import"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert client.get("/alerts/").status_code == 403


def test_an_officer_account_without_numbers_yet_sees_too_few_answers(client, survey_data,
                                                                     as_officer):
    as_officer("CB-B")
    html = client.get(f"/officers/me?period={PERIOD}").get_data(as_text=True)
    assert "quá ít phiếu để hiển thị" in html and 'id="officer-measures"' not in html
    assert not re.search(r'id="officer-index">[^<]*\d', html)


def test_other_roles_have_no_own_page(client, survey_data, as_role):
    as_role("admin")
    assert client.get("/officers/me").status_code == 403


def test_agency_viewers_see_only_officers_of_their_subtree(client, survey_data, as_role):
    as_role("agency_viewer", "H-AN")
    html = client.get(f"/officers/results?period={PERIOD}").get_data(as_text=True)
    assert 'data-officer="CB-A"' in html and 'data-officer="CB-B"' in html
    assert 'data-officer="CB-C"' not in html and "Phạm Thu Cúc" not in html
    assert client.get(f"/officers/{survey_data.officers['CB-A']}").status_code == 200
    assert client.get(f"/officers/{survey_data.officers['CB-C']}").status_code == 403
    assert client.get("/officers/results?agency=SNV").status_code == 403
    assert client.get("/officers/999999").status_code == 404


def test_a_commune_viewer_does_not_see_the_district_officers(client, survey_data, as_role):
    as_role("agency_viewer", "X-AN1")
    html = client.get(f"/officers/results?period={PERIOD}").get_data(as_text=True)
    assert "CB-A" not in html and "CB-C" not in html
    assert client.get(f"/officers/{survey_data.officers['CB-A']}").status_code == 403


def test_admins_and_analysts_see_every_officer(client, survey_data, as_role):
    as_role("analyst")
    html = client.get(f"/officers/results?period={PERIOD}").get_data(as_text=True)
    assert all(f'data-officer="{code}"' in html for code in ("CB-A", "CB-B", "CB-C"))
    only = client.get(f"/officers/results?period={PERIOD}&agency=H-AN").get_data(as_text=True)
    assert 'data-officer="CB-A"' in only and 'data-officer="CB-C"' not in only
    for code in ("CB-A", "CB-C"):
        assert client.get(f"/officers/{survey_data.officers[code]}").status_code == 200
