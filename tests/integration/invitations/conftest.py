"""Fixtures of the invitation tests: API keys, asking for a link, opening it."""
from __future__ import annotations

import pytest
from invitation_helpers import form_fields

from survey.extensions import db


@pytest.fixture
def make_key(app, province):
    """Create an API client (``make_key("H-AN")`` limits it to that subtree); return its key."""
    from survey.invitations.keys import create_client
    from survey.models import Agency

    def make(agency_code: str | None = None, name: str = "Một cửa tỉnh") -> str:
        with app.app_context():
            agency = db.session.query(Agency).filter_by(code=agency_code).one() \
                if agency_code else None
            made = create_client(db.session, None, name, agency)
            db.session.commit()
            return made.key

    return make


@pytest.fixture
def api_key(make_key) -> str:
    """The key of a client covering the whole province."""
    return make_key()


@pytest.fixture
def ask(client, province, request):
    """POST a request for an invitation: with ``key``, else the ``api_key`` fixture's key (made
    on first use), and a valid body whose fields keyword arguments override."""

    def send(key: str | None = None, **body):
        payload = {"dossier": "000.00.20.H12-261201-0001", "counter": "SNV-Q1", **body}
        key = key or request.getfixturevalue("api_key")
        headers = {"Authorization": f"Bearer {key}"}
        return client.post("/api/v1/invitations", json=payload, headers=headers)

    return send


@pytest.fixture
def link_path(ask):
    """The path (``/i/<token>``) of a new invitation for the given body."""

    def make(**body) -> str:
        reply = ask(**body)
        assert reply.status_code == 201, reply.get_json()
        return "/i/" + reply.get_json()["url"].rsplit("/i/", 1)[1]

    return make


@pytest.fixture
def count_rows(app):
    """Count the rows of a model class."""

    def count(model) -> int:
        with app.app_context():
            return db.session.query(model).count()

    return count


@pytest.fixture
def answer_link(client):
    """Open an invitation link, fill the form with a few answers and send it."""

    def send(path: str, **answers):
        page = client.get(path)
        assert page.status_code == 200
        data = {**form_fields(page.get_data(as_text=True)), "TC1": "4", "HL": "5", **answers}
        return client.post(path, data=data)

    return send
