"""Fixtures of the report tests: the demo province on a fixed date, page helpers."""
from __future__ import annotations

from datetime import date

import pytest

from survey import demo
from survey.extensions import db
from survey.reports.compute import clear_cache

TODAY = date(2026, 11, 23)


@pytest.fixture
def demo_app(app):
    """``app`` with the demo province (about 1,500 responses over five quarters)."""
    clear_cache()
    with app.app_context():
        demo.load(db.session, responses=1500, today=TODAY)
        db.session.commit()
    yield app
    clear_cache()


@pytest.fixture
def analyst(demo_app, client, login_as):
    """``client`` signed in as an analyst of the demo province."""
    login_as("analyst")
    return client
