"""The links citizens open: bound form, one evaluation, friendly pages, QR codes."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from invitation_helpers import form_fields

from survey.extensions import db
from survey.models import ApiClient, Counter, Invitation, Response
from survey.responses import dossier_hash

DOSSIER = "000.00.20.H12-261201-0001"


def test_link_carries_no_dossier_code(ask):
    url = ask().get_json()["url"]
    assert DOSSIER not in url and DOSSIER.lower() not in url and "261201" not in url


def test_opened_link_shows_the_form_with_the_dossier_bound(client, link_path):
    reply = client.get(link_path())
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert 'name="dossier_ref"' not in html
    assert 'id="dossier-bound"' in html
    assert "Phiếu đánh giá này dành cho hồ sơ ghi trên phiếu hẹn của Ông/Bà" in html
    assert 'name="service_area"' not in html


def test_answered_link_stores_one_qr_response_for_the_dossier(app, client, link_path,
                                                              answer_link):
    path = link_path()
    reply = answer_link(path)
    assert reply.status_code == 302 and reply.location == f"{path}/thanks"
    assert "Xin cảm ơn!" in client.get(reply.location).get_data(as_text=True)
    with app.app_context():
        response = db.session.query(Response).one()
        assert response.dossier_hash == dossier_hash(DOSSIER, "testing-dossier-key")
        assert response.channel == "qr"
        assert response.service_area.code == "DATDAI"
        invitation = db.session.query(Invitation).one()
        assert invitation.response_id == response.id and invitation.used_at is not None


def test_answered_link_opened_again_says_already_evaluated(client, link_path, answer_link,
                                                          count_rows, session_token):
    path = link_path()
    answer_link(path)
    again = client.get(path)
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    assert "Hồ sơ này đã được đánh giá. Xin cảm ơn." in html
    assert 'data-state="evaluated"' in html and 'name="TC1"' not in html
    assert client.post(path, data={"TC1": "4", "csrf_token": session_token()}).status_code == 200
    assert count_rows(Response) == 1


def test_form_sent_twice_stores_once(client, link_path, count_rows):
    path = link_path()
    data = {**form_fields(client.get(path).get_data(as_text=True)), "TC1": "4"}
    assert client.post(path, data=data).status_code == 302
    assert client.post(path, data=data).status_code == 200
    assert count_rows(Response) == 1


def test_link_of_a_counter_with_several_areas_asks_no_area(app, client, link_path,
                                                          answer_link):
    path = link_path(counter="H-AN-Q1", service_area="XAYDUNG")
    assert 'name="service_area"' not in client.get(path).get_data(as_text=True)
    assert answer_link(path).status_code == 302
    with app.app_context():
        assert db.session.query(Response).one().service_area.code == "XAYDUNG"


def test_tampered_token_is_404(client, link_path):
    path = link_path()
    head, signature = path.rsplit(".", 1)
    # The signature's first character: all six of its bits count (the last one's low bits
    # are base64 padding, so changing it may leave the signature as it was).
    tampered = f"{head}.{'Q' if signature[0] != 'Q' else 'g'}{signature[1:]}"
    reply = client.get(tampered)
    assert reply.status_code == 404
    assert "Không tìm thấy phiếu khảo sát này." in reply.get_data(as_text=True)


def test_token_of_another_secret_is_404(client):
    from itsdangerous import URLSafeSerializer

    from survey.invitations.links import SALT

    forged = URLSafeSerializer("another-secret", salt=SALT).dumps("a" * 22)
    assert client.get(f"/i/{forged}").status_code == 404


def test_expired_link_is_410(app, client, link_path, session_token):
    path = link_path()
    with app.app_context():
        invitation = db.session.query(Invitation).one()
        invitation.expires_at = invitation.created_at - timedelta(minutes=1)
        db.session.commit()
    reply = client.get(path)
    assert reply.status_code == 410
    assert "Đường dẫn khảo sát này đã hết hạn." in reply.get_data(as_text=True)
    assert client.post(path, data={"TC1": "4", "csrf_token": session_token()}).status_code == 410


def test_links_of_a_revoked_key_stop_working(app, client, link_path, count_rows,
                                             session_token):
    from survey.invitations.keys import revoke_client

    path = link_path()
    with app.app_context():
        revoke_client(db.session, None, db.session.query(ApiClient).one())
        db.session.commit()
    reply = client.get(path)
    assert reply.status_code == 410
    assert "Đường dẫn khảo sát này không còn hiệu lực." in reply.get_data(as_text=True)
    assert client.post(path, data={"TC1": "4", "csrf_token": session_token()}).status_code == 410
    assert count_rows(Response) == 0


def test_link_of_a_deactivated_counter_shows_the_counter_notice(app, client, link_path):
    path = link_path()
    with app.app_context():
        db.session.query(Counter).filter_by(code="SNV-Q1").one().active = False
        db.session.commit()
    reply = client.get(path)
    assert reply.status_code == 410
    assert 'data-state="inactive"' in reply.get_data(as_text=True)


def test_link_of_a_rotated_counter_shows_the_replaced_notice(app, client, link_path):
    from survey.catalog import rotate_token

    path = link_path()
    with app.app_context():
        rotate_token(db.session, db.session.query(Counter).filter_by(code="SNV-Q1").one())
        db.session.commit()
    reply = client.get(path)
    assert reply.status_code == 410
    assert 'data-state="retired"' in reply.get_data(as_text=True)


@pytest.mark.parametrize("token", [
    "x" * 5000, "%00%01%1f", "h%E1%BB%93-s%C6%A1", "%F0%9F%98%80" * 40, "%ED%A0%80",
    "..%2F..%2Fetc%2Fpasswd", "eyJhIjoxfQ", "IjEi.abc", '"><script>alert(1)</script>',
    "%FF%FE", "a.b.c.d"])
@pytest.mark.parametrize("suffix", ["", "/qr.svg", "/qr.png", "/thanks"])
def test_hostile_tokens_never_fail(client, session_token, token, suffix):
    assert client.get(f"/i/{token}{suffix}").status_code == 404
    posted = client.post(f"/i/{token}", data={"TC1": "4", "csrf_token": session_token()})
    assert posted.status_code == 404


def test_qr_svg_is_xml_and_png_has_the_signature(client, ask):
    body = ask().get_json()
    base = body["url"].removeprefix("http://127.0.0.1:5000")
    svg = client.get(f"{base}/qr.svg")
    png = client.get(f"{base}/qr.png")
    assert svg.status_code == png.status_code == 200
    assert svg.mimetype == "image/svg+xml" and png.mimetype == "image/png"
    assert ET.fromstring(svg.data).tag == "{http://www.w3.org/2000/svg}svg"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert svg.headers["Cache-Control"] == png.headers["Cache-Control"] == "private, max-age=3600"


def test_thanks_page_of_an_unanswered_link_is_404(client, link_path):
    assert client.get(f"{link_path()}/thanks").status_code == 404


def test_link_page_in_english(client, link_path):
    html = client.get(link_path() + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "you do not need to type its code" in html
