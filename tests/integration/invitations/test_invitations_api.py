"""POST /api/v1/invitations: keys, scope, validation, idempotence, one evaluation per dossier."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.invitations.keys import PREFIX_LEN, hash_key
from survey.invitations.links import aware
from survey.models import ApiClient, AuditEvent, Counter, Invitation, Response
from survey.responses import dossier_hash

DOSSIER = "000.00.20.H12-261201-0001"
UNAUTHORIZED = {"error": "unauthorized", "errors": {
    "authorization": "missing, unknown or revoked API key (send Authorization: Bearer <key>)"}}
FORBIDDEN = {"error": "forbidden", "errors": {
    "counter": "unknown counter, or not one of this key's agencies"}}


def _all_text(app) -> str:
    """Every value of every row of every table, as one text."""
    with app.app_context():
        parts = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                parts.extend(str(value) for value in row)
        return "\n".join(parts)


def test_new_invitation_answers_link_expiry_and_qr_codes(app, ask):
    reply = ask()
    body = reply.get_json()
    assert reply.status_code == 201
    assert body["url"].startswith("http://127.0.0.1:5000/i/")
    assert body["qr_svg"] == body["url"] + "/qr.svg"
    assert body["qr_png"] == body["url"] + "/qr.png"
    assert body["dossier_already_evaluated"] is False
    with app.app_context():
        invitation = db.session.query(Invitation).one()
        assert invitation.dossier_hash == dossier_hash(DOSSIER, "testing-dossier-key")
        assert invitation.questionnaire_code == "sipas"
        assert invitation.service_area.code == "DATDAI"
        assert invitation.expires_at - invitation.created_at == timedelta(days=30)
        assert body["expires_at"] == aware(invitation.expires_at).isoformat()


def test_key_and_dossier_are_never_stored_in_clear(app, api_key, ask):
    assert ask().status_code == 201
    text = _all_text(app)
    assert api_key not in text
    assert DOSSIER not in text and DOSSIER.lower() not in text
    with app.app_context():
        client = db.session.query(ApiClient).one()
        assert client.key_prefix == api_key[:PREFIX_LEN]
        assert client.key_hash == hash_key(api_key)
        assert client.last_used_at is not None
        assert db.session.query(AuditEvent).filter_by(entity="api_client").count() == 1


@pytest.mark.parametrize("header", [None, "Bearer not-a-key-at-all-but-long-enough",
                                    "Basic dXNlcjpwYXNz", "Bearer ", "Bearer a b",
                                    "Bearer " + "x" * 5000])
def test_missing_or_unknown_key_is_401(ask, client, header):
    headers = {"Authorization": header} if header is not None else {}
    reply = client.post("/api/v1/invitations", json={"dossier": DOSSIER, "counter": "SNV-Q1"},
                        headers=headers)
    assert reply.status_code == 401
    assert reply.get_json() == UNAUTHORIZED
    assert reply.headers["WWW-Authenticate"] == 'Bearer realm="sipas"'


def test_right_prefix_with_wrong_secret_is_401(ask, api_key):
    reply = ask(key=api_key[:PREFIX_LEN] + "A" * 40)
    assert reply.status_code == 401 and reply.get_json() == UNAUTHORIZED


def test_revoked_key_is_401_with_the_same_body(app, ask, api_key):
    from survey.invitations.keys import revoke_client

    with app.app_context():
        revoke_client(db.session, None, db.session.query(ApiClient).one())
        db.session.commit()
    reply = ask()
    assert reply.status_code == 401 and reply.get_json() == UNAUTHORIZED


def test_key_of_an_agency_reaches_its_subtree(make_key, ask):
    district_key = make_key("H-AN")
    assert ask(key=district_key, counter="X-AN1-Q1").status_code == 201
    assert ask(key=district_key, counter="H-AN-Q1", service_area="XAYDUNG").status_code == 201


def test_other_agency_and_unknown_counter_get_the_same_403(make_key, ask, count_rows):
    district_key = make_key("H-AN")
    outside = ask(key=district_key, counter="SNV-Q1")
    unknown = ask(key=district_key, counter="NO-SUCH-COUNTER")
    unknown_province = ask(counter="NO-SUCH-COUNTER")
    assert outside.status_code == unknown.status_code == unknown_province.status_code == 403
    assert outside.get_json() == unknown.get_json() == unknown_province.get_json() == FORBIDDEN
    assert count_rows(Invitation) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"dossier": ""}, "dossier"),
    ({"dossier": "x" * 65}, "dossier"),
    ({"dossier": "HS 001 <script>"}, "dossier"),
    ({"dossier": "hồ-sơ-1"}, "dossier"),
    ({"dossier": "HS\x00001"}, "dossier"),
    ({"dossier": 12345}, "dossier"),
    ({"dossier": None}, "dossier"),
    ({"counter": ""}, "counter"),
    ({"counter": ["SNV-Q1"]}, "counter"),
    ({"counter": "SNV\x00Q1"}, "counter"),
    ({"service_area": "NOPE"}, "service_area"),
    ({"service_area": "HOTICH"}, "service_area"),
    ({"service_area": 7}, "service_area"),
    ({"questionnaire": "no-such"}, "questionnaire"),
    ({"questionnaire": 3}, "questionnaire"),
    ({"ttl_days": 0}, "ttl_days"),
    ({"ttl_days": 31}, "ttl_days"),
    ({"ttl_days": "7"}, "ttl_days"),
    ({"ttl_days": True}, "ttl_days"),
    ({"ttl_days": 2.5}, "ttl_days"),
    ({"colour": "blue"}, "body"),
])
def test_each_bad_field_is_422_naming_it(ask, count_rows, body, field):
    reply = ask(**body)
    assert reply.status_code == 422
    assert reply.get_json()["error"] == "invalid"
    assert list(reply.get_json()["errors"]) == [field]
    assert count_rows(Invitation) == 0


def test_counter_of_several_areas_needs_the_area(ask):
    reply = ask(counter="H-AN-Q1")
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {
        "service_area": "is required: this counter serves several areas"}


def test_deactivated_counter_is_422(app, ask):
    with app.app_context():
        db.session.query(Counter).filter_by(code="SNV-Q1").one().active = False
        db.session.commit()
    reply = ask()
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {
        "counter": "this counter is not taking part in the survey"}


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"null", b'"text"', b"[" * 5000])
def test_malformed_body_is_422(client, api_key, raw):
    reply = client.post("/api/v1/invitations", data=raw, content_type="application/json",
                        headers={"Authorization": f"Bearer {api_key}"})
    assert reply.status_code == 422
    assert list(reply.get_json()["errors"]) == ["body"]


def test_body_that_is_not_json_is_422(client, api_key):
    reply = client.post("/api/v1/invitations", data={"dossier": DOSSIER},
                        headers={"Authorization": f"Bearer {api_key}"})
    assert reply.status_code == 422 and list(reply.get_json()["errors"]) == ["body"]


def test_same_request_twice_gives_the_same_link(ask, count_rows):
    first, second = ask(), ask(dossier=" 000.00.20.h12-261201-0001 ")
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json() == second.get_json()
    assert count_rows(Invitation) == 1


def test_another_counter_or_ttl_of_the_same_dossier(ask, count_rows):
    first = ask()
    other_ttl = ask(ttl_days=3)
    other_counter = ask(counter="X-AN1-Q1")
    assert other_ttl.status_code == 200 and other_ttl.get_json() == first.get_json()
    assert other_counter.status_code == 201
    assert other_counter.get_json()["url"] != first.get_json()["url"]
    assert count_rows(Invitation) == 2


def test_shorter_lifetime_is_kept(app, ask):
    assert ask(ttl_days=1).status_code == 201
    with app.app_context():
        invitation = db.session.query(Invitation).one()
        assert invitation.expires_at - invitation.created_at == timedelta(days=1)


def test_expired_link_is_replaced_by_a_new_one(app, ask, count_rows):
    first = ask().get_json()
    with app.app_context():
        invitation = db.session.query(Invitation).one()
        invitation.expires_at = invitation.created_at - timedelta(days=1)
        db.session.commit()
    second = ask()
    assert second.status_code == 201 and second.get_json()["url"] != first["url"]
    assert count_rows(Invitation) == 2


def test_dossier_already_evaluated_is_409(app, ask, link_path, answer_link, count_rows):
    assert answer_link(link_path()).status_code == 302
    reply = ask()
    assert reply.status_code == 409
    assert reply.get_json() == {"error": "dossier_already_evaluated", "errors": {
        "dossier": "this dossier has already been evaluated; no new link is issued"}}
    assert count_rows(Invitation) == 1 and count_rows(Response) == 1


def test_dossier_evaluated_at_the_kiosk_is_409(client, ask, province, count_rows):
    import uuid
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat()
    stored = client.post("/api/v1/responses", json={
        "id": str(uuid.uuid4()), "counter": province.tokens["SNV-Q1"], "questionnaire": "sipas",
        "channel": "kiosk", "answers": {"TC1": 4}, "started_at": now, "submitted_at": now,
        "dossier_ref": "000.00.20.h12-261201-0001"})
    assert stored.status_code == 201
    assert ask().status_code == 409
    assert count_rows(Invitation) == 0


def test_api_keeps_no_cookie_session(ask):
    reply = ask()
    assert reply.status_code == 201
    assert "Set-Cookie" not in reply.headers


def test_rate_limit_counts_per_client_key(app, make_key):
    from survey import create_app

    first_key, second_key = make_key(), make_key(name="Cổng dịch vụ công")
    limited = create_app({"CONFIG_NAME": "testing", "RATELIMIT_ENABLED": True,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "RATELIMIT_INVITATIONS": "2 per minute"})
    client = limited.test_client()

    def send(key: str, dossier: str) -> int:
        return client.post("/api/v1/invitations", json={"dossier": dossier, "counter": "SNV-Q1"},
                           headers={"Authorization": f"Bearer {key}"}).status_code

    assert [send(first_key, f"HS-{n}") for n in range(3)] == [201, 201, 429]
    assert send(second_key, "HS-9") == 201
    with limited.app_context():
        db.engine.dispose()
