"""Kiosk page, service worker, posters and friendly pages for replaced or unknown codes."""
from __future__ import annotations

import json
import re

import pytest

from survey.extensions import db
from survey.models import Counter

KIOSK_BUDGET = 200 * 1024


def _settings(html: str) -> dict:
    match = re.search(r'<script id="kiosk-settings" type="application/json">(.*?)</script>', html,
                      re.DOTALL)
    return json.loads(match.group(1))


def _rotate(app, code: str) -> None:
    from survey.catalog import rotate_token

    with app.app_context():
        rotate_token(db.session, db.session.query(Counter).filter_by(code=code).one())
        db.session.commit()


def test_kiosk_page_embeds_everything_it_needs_to_render_offline(client, province):
    reply = client.get(f"/kiosk/{province.tokens['H-AN-Q1']}")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert '<html lang="vi">' in html
    settings = _settings(html)
    assert settings["questionnaire"]["code"] == "sipas"
    assert [a["code"] for a in settings["areas"]] == ["DATDAI", "XAYDUNG"]
    assert settings["texts"]["vi"]["send"] == "Gửi" and settings["texts"]["en"]["send"] == "Send"
    assert settings["idle"] == 90 and settings["thanks"] == 6


def test_kiosk_idle_can_be_overridden_for_tests(client, province):
    html = client.get(f"/kiosk/{province.tokens['SNV-Q1']}?idle=3&thanks=1").get_data(True)
    assert (_settings(html)["idle"], _settings(html)["thanks"]) == (3, 1)


def test_kiosk_first_load_is_under_200_kb(client, province):
    html = client.get(f"/kiosk/{province.tokens['H-AN-Q1']}").get_data()
    total = len(html)
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
        with client.get(url.decode().replace("&amp;", "&")) as asset:
            assert asset.status_code == 200
            total += len(asset.get_data())
    assert total < KIOSK_BUDGET, f"kiosk first load is {total / 1024:.1f} kB"


def test_kiosk_loads_nothing_from_the_internet(client, province):
    html = client.get(f"/kiosk/{province.tokens['SNV-Q1']}").get_data(as_text=True)
    with client.get("/static/kiosk/kiosk.css") as reply:
        css = reply.get_data(as_text=True)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert "http" not in css and "@import" not in css


def test_service_worker_scope_covers_the_kiosk(client):
    reply = client.get("/kiosk/sw.js")
    assert reply.status_code == 200
    assert reply.mimetype == "application/javascript"
    assert reply.headers["Service-Worker-Allowed"] == "/kiosk/"
    assert "/static/kiosk/kiosk.js" in reply.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/kiosk/{}", "/q/{}", "/kiosk/poster/{}", "/kiosk/poster/{}.svg"])
def test_rotated_token_shows_a_friendly_page(app, client, province, path):
    old = province.tokens["SNV-Q1"]
    _rotate(app, "SNV-Q1")
    reply = client.get(path.format(old))
    assert reply.status_code == 410
    assert "Mã này đã được thay" in reply.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/kiosk/{}", "/q/{}", "/kiosk/poster/{}.svg"])
def test_unknown_token_is_a_friendly_404(client, province, path):
    reply = client.get(path.format("no-such-token"))
    assert reply.status_code == 404
    assert "Traceback" not in reply.get_data(as_text=True)
    assert "<html" in reply.get_data(as_text=True)


def test_deactivated_counter_shows_a_friendly_page(app, client, province):
    with app.app_context():
        db.session.query(Counter).filter_by(code="SNV-Q1").one().active = False
        db.session.commit()
    for path in ("/kiosk/{}", "/q/{}"):
        reply = client.get(path.format(province.tokens["SNV-Q1"]))
        assert reply.status_code == 410
        assert "không tham gia khảo sát" in reply.get_data(as_text=True)


def test_poster_svg_has_qr_names_and_url(app, client, province):
    token = province.tokens["H-AN-Q1"]
    reply = client.get(f"/kiosk/poster/{token}.svg")
    assert reply.status_code == 200 and reply.mimetype == "image/svg+xml"
    svg = reply.get_data(as_text=True)
    assert "UBND huyện An Phú" in svg and "Quầy 1" in svg
    assert f"/q/{token}" in svg and 'class="segno"' in svg
    assert 'width="210mm"' in svg
    assert 'width="148mm"' in client.get(f"/kiosk/poster/{token}.svg?size=a5").get_data(True)


def test_poster_html_is_print_ready(client, province):
    token = province.tokens["SNV-Q1"]
    html = client.get(f"/kiosk/poster/{token}").get_data(as_text=True)
    assert "@page { size: A4" in html and "Sở Nội vụ" in html and f"/q/{token}" in html
    assert "@page { size: A5" in client.get(f"/kiosk/poster/{token}?size=a5").get_data(True)
