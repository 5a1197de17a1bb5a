"""Fixtures every integration test may use: CSRF tokens read from real pages, posting forms with
them, a token for a session that can open no form, running a function in the database."""
from __future__ import annotations

import re

import pytest

from survey.extensions import db

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, page: str) -> str:
    """The CSRF token of the first form on ``page`` (fails the test when there is none)."""
    html = client.get(page).get_data(as_text=True)
    match = TOKEN.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


@pytest.fixture
def submit(client):
    """POST ``data`` to ``url`` with the CSRF token read from ``page`` (default: ``url``)."""

    def post(url: str, data: dict | None = None, page: str | None = None, **kwargs):
        payload = dict(data or {})
        payload["csrf_token"] = csrf_token(client, page or url)
        return client.post(url, data=payload, **kwargs)

    return post


@pytest.fixture
def in_db(app):
    """Run ``fn(session)`` in an application context and commit; returned rows stay readable."""

    def run(fn):
        with app.app_context():
            result = fn(db.session)
            db.session.flush()
            db.session.expunge_all()
            db.session.commit()
            return result

    return run


@pytest.fixture
def token_of(client):
    """The CSRF token of a page, as ``client`` sees it."""
    return lambda page: csrf_token(client, page)


@pytest.fixture
def session_token(app, client):
    """A valid CSRF token for ``client``'s session, for users who can open no form page."""
    import secrets

    from itsdangerous import URLSafeTimedSerializer

    def make() -> str:
        raw = secrets.token_hex(20)
        with client.session_transaction() as session:
            session["csrf_token"] = raw
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    return make

