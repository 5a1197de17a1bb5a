"""Fixtures of the fieldwork tests: the sample files, signed-in staff, uploading a file through
the page, and what the database holds afterwards."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from survey.extensions import db
from tests.integration.conftest import csrf_token

PASSWORD = "correct-horse-battery"
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "fieldwork"


def sample(name: str) -> bytes:
    """The bytes of a sample file of ``tests/fixtures/fieldwork``."""
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def as_role(client, make_user):
    """Create a user of ``role`` and sign in through the login form; returns the user id."""

    def login(role: str, agency_code: str | None = None) -> int:
        user_id = make_user(role, agency_code)
        token = csrf_token(client, "/auth/login")
        response = client.post("/auth/login", data={
            "username": f"{role}-{agency_code or 'all'}", "password": PASSWORD, "next": "",
            "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return login


@pytest.fixture
def upload(client):
    """POST a file to ``/fieldwork/`` with the page's CSRF token (and the file's mode and
    questionnaire when given)."""

    def post(data: bytes | str, name: str = "phieu-giay.csv", mode: str = "",
             questionnaire: str = ""):
        body = data.encode("utf-8") if isinstance(data, str) else data
        return client.post("/fieldwork/", data={
            "csrf_token": csrf_token(client, "/fieldwork/"), "mode": mode,
            "questionnaire": questionnaire, "upload": (io.BytesIO(body), name)},
            content_type="multipart/form-data")

    return post


@pytest.fixture
def stored(app):
    """Counts in the database: responses, answers, field imports, audit events of imports."""
    from survey.models import Answer, AuditEvent, FieldImport, Response

    def count() -> dict[str, int]:
        with app.app_context():
            return {"responses": db.session.query(Response).count(),
                    "answers": db.session.query(Answer).count(),
                    "imports": db.session.query(FieldImport).count(),
                    "audit": db.session.query(AuditEvent).filter_by(
                        entity="field_import").count()}

    return count
