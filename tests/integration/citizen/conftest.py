"""Fixtures for the citizen-facing tests: valid submissions and a way to post them."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest


@pytest.fixture
def submission(province):
    """Build a valid kiosk submission for a counter; keyword arguments override fields."""

    def make(counter: str = "SNV-Q1", **overrides) -> dict:
        now = datetime.now(UTC)
        payload = {
            "id": str(uuid.uuid4()), "counter": province.tokens[counter],
            "questionnaire": "sipas", "channel": "kiosk",
            "answers": {"TC1": 4, "TC2": 5, "TT1": 3, "CC1": 4, "HL": 4},
            "started_at": (now - timedelta(seconds=90)).isoformat(),
            "submitted_at": now.isoformat(),
        }
        payload.update(overrides)
        return payload

    return make


@pytest.fixture
def post(client):
    """POST a JSON submission to the API and return the response."""

    def send(payload, **kwargs):
        return client.post("/api/v1/responses", json=payload, **kwargs)

    return send


@pytest.fixture
def count_rows(app):
    """Count the rows of a model class."""
    from survey.extensions import db

    def count(model) -> int:
        with app.app_context():
            return db.session.query(model).count()

    return count
