"""The API clients page (admins only) and the ``flask sipas api-client`` commands."""
from __future__ import annotations

import re

import pytest

from survey.extensions import db
from survey.invitations.keys import PREFIX_LEN
from survey.models import ApiClient, AuditEvent

PAGES = [("GET", "/integrations/clients"), ("GET", "/integrations/clients/new"),
         ("POST", "/integrations/clients/new"), ("GET", "/integrations/clients/1/revoke"),
         ("POST", "/integrations/clients/1/revoke")]
KEY = re.compile(r'<code id="api-key">([A-Za-z0-9_-]+)</code>')


def _events(app) -> list[tuple[str, dict | None, dict | None]]:
    with app.app_context():
        return [(e.action, e.before, e.after) for e in db.session.query(AuditEvent)
                .filter_by(entity="api_client").order_by(AuditEvent.id)]


@pytest.mark.parametrize("role", ["analyst", "agency_viewer"])
def test_clients_pages_are_for_admins_only(client, province, login_as, session_token, role):
    login_as(role, "H-AN" if role == "agency_viewer" else None)
    token = session_token()
    for method, url in PAGES:
        reply = client.open(url, method=method, data={"csrf_token": token})
        assert reply.status_code == 403, (method, url)


def test_anonymous_people_are_sent_to_sign_in(client, province):
    reply = client.get("/integrations/clients")
    assert reply.status_code == 302 and reply.location.startswith("/auth/login")


def test_admin_creates_a_client_sees_the_key_once_and_it_works(app, client, province, login_as,
                                                                submit, in_db):
    login_as("admin")
    district = province.agency_ids["H-AN"]
    reply = submit("/integrations/clients/new", {"name": "Một cửa huyện An Phú",
                                                 "agency_id": str(district)})
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    key = KEY.search(reply.get_data(as_text=True)).group(1)
    listing = client.get("/integrations/clients").get_data(as_text=True)
    assert key[:PREFIX_LEN] in listing and key not in listing
    assert "Một cửa huyện An Phú" in listing and "UBND huyện An Phú" in listing
    (action, before, after), = _events(app)
    assert action == "create" and before is None
    assert after == {"name": "Một cửa huyện An Phú", "key_prefix": key[:PREFIX_LEN],
                     "agency_id": district, "active": True, "revoked_at": None}
    assert key not in str(_events(app))
    asked = client.post("/api/v1/invitations", json={"dossier": "HS-1", "counter": "X-AN1-Q1"},
                        headers={"Authorization": f"Bearer {key}"})
    assert asked.status_code == 201


def test_client_without_a_name_is_refused(client, province, login_as, submit, count_rows):
    login_as("admin")
    reply = submit("/integrations/clients/new", {"name": "  ", "agency_id": "0"})
    assert reply.status_code == 200 and 'id="api-key"' not in reply.get_data(as_text=True)
    assert count_rows(ApiClient) == 0


def test_name_with_control_characters_is_refused(client, province, login_as, submit,
                                                 count_rows):
    login_as("admin")
    reply = submit("/integrations/clients/new", {"name": "bad\x00name", "agency_id": "0"})
    assert reply.status_code == 200 and 'id="api-key"' not in reply.get_data(as_text=True)
    assert count_rows(ApiClient) == 0


def test_create_without_csrf_token_is_refused(client, province, login_as, count_rows):
    login_as("admin")
    reply = client.post("/integrations/clients/new", data={"name": "X", "agency_id": "0"})
    assert reply.status_code == 400
    assert count_rows(ApiClient) == 0


def test_revoke_asks_for_confirmation_then_is_audited(app, client, province, login_as, submit,
                                                      make_key, ask):
    key = make_key()
    login_as("admin")
    with app.app_context():
        client_id = db.session.query(ApiClient).one().id
    page = client.get(f"/integrations/clients/{client_id}/revoke")
    assert page.status_code == 200 and "Thu hồi khóa" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ApiClient, client_id).active is True
    reply = submit(f"/integrations/clients/{client_id}/revoke", {})
    assert reply.status_code == 302
    with app.app_context():
        revoked = db.session.get(ApiClient, client_id)
        assert revoked.active is False and revoked.revoked_at is not None
    _create, revoke = _events(app)
    assert revoke[0] == "revoke"
    assert revoke[1]["active"] is True and revoke[2]["active"] is False
    assert ask(key=key).status_code == 401


def test_cli_creates_lists_and_revokes_a_key_that_works(app, runner, province, ask):
    created = runner.invoke(args=["sipas", "api-client", "create", "--name", "Một cửa tỉnh",
                                  "--agency", "H-AN"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert ask(key=key, counter="X-AN1-Q1").status_code == 201
    assert ask(key=key, counter="SNV-Q1").status_code == 403
    listed = runner.invoke(args=["sipas", "api-client", "list"])
    assert listed.exit_code == 0
    assert listed.output.split("\t")[:3] == [key[:PREFIX_LEN], "active", "H-AN"]
    assert key not in listed.output
    revoked = runner.invoke(args=["sipas", "api-client", "revoke", key[:PREFIX_LEN]])
    assert revoked.exit_code == 0, revoked.output
    assert ask(key=key, counter="X-AN1-Q1").status_code == 401
    again = runner.invoke(args=["sipas", "api-client", "revoke", key[:PREFIX_LEN]])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert [action for action, _before, _after in _events(app)] == ["create", "revoke"]


def test_cli_refuses_an_unknown_agency_or_prefix(runner, province, count_rows):
    unknown = runner.invoke(args=["sipas", "api-client", "create", "--name", "X",
                                  "--agency", "NOPE"])
    assert unknown.exit_code == 1 and "no agency with code 'NOPE'" in unknown.output
    assert count_rows(ApiClient) == 0
    missing = runner.invoke(args=["sipas", "api-client", "revoke", "abcdefghijkl"])
    assert missing.exit_code == 1 and "no API client" in missing.output
