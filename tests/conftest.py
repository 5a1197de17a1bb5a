"""Shared fixtures: an app on SQLite (always) and PostgreSQL (when configured), a seeded province.

The schema is built by the Alembic migrations, never by ``create_all``. Each test starts from
empty tables. ``SIPAS_TEST_DATABASE_URL`` names a throwaway PostgreSQL database.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from survey import create_app
from survey.extensions import db

PG_URL = os.environ.get("SIPAS_TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="SIPAS_TEST_DATABASE_URL not set"))]
if os.environ.get("CI") == "true" and not PG_URL:
    raise RuntimeError("CI=true requires SIPAS_TEST_DATABASE_URL (a PostgreSQL database)")

_migrated: dict[str, str] = {}


def _database_url(backend: str, tmp_path_factory) -> str:
    if backend in _migrated:
        return _migrated[backend]
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = PG_URL
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.engine.dispose()
    _migrated[backend] = url
    return url


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Name of the database backend under test."""
    return request.param


@pytest.fixture
def app(backend, tmp_path_factory):
    """The application on a migrated, empty database of ``backend``."""
    url = _database_url(backend, tmp_path_factory)
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        _empty_tables()
        from survey.catalog import load_shipped_questionnaires
        load_shipped_questionnaires(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of ``app``."""
    return app.test_cli_runner()


@dataclass
class Province:
    """A small seeded province: ids and tokens tests refer to."""

    agency_ids: dict[str, int]
    area_ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def province(app) -> Province:
    """Two-level agencies, three service areas, three counters (one serving two areas)."""
    from survey.catalog import new_token
    from survey.models import Agency, Counter, ServiceArea

    with app.app_context():
        areas = {code: ServiceArea(code=code, name_vi=vi, name_en=en) for code, vi, en in [
            ("DATDAI", "Đất đai", "Land"), ("HOTICH", "Hộ tịch", "Civil status"),
            ("XAYDUNG", "Xây dựng", "Construction")]}
        root = Agency(code="SNV", name="Sở Nội vụ", level=1)
        district = Agency(code="H-AN", name="UBND huyện An Phú", level=2, parent=root)
        commune = Agency(code="X-AN1", name="UBND xã An Hòa", level=3, parent=district)
        counters = {
            "SNV-Q1": Counter(code="SNV-Q1", name="Quầy 1", agency=root, token=new_token(),
                              service_areas=[areas["DATDAI"]]),
            "H-AN-Q1": Counter(code="H-AN-Q1", name="Quầy 1", agency=district, token=new_token(),
                               service_areas=[areas["DATDAI"], areas["XAYDUNG"]]),
            "X-AN1-Q1": Counter(code="X-AN1-Q1", name="Quầy 1", agency=commune,
                                token=new_token(), service_areas=[areas["HOTICH"]]),
        }
        db.session.add_all([root, district, commune, *areas.values(), *counters.values()])
        db.session.commit()
        return Province(
            agency_ids={a.code: a.id for a in (root, district, commune)},
            area_ids={code: a.id for code, a in areas.items()},
            tokens={code: c.token for code, c in counters.items()})


@pytest.fixture
def make_user(app):
    """Create a workspace user: ``make_user("analyst")`` or ``make_user("agency_viewer", "H-AN")``."""
    from survey.catalog import create_user

    def make(role: str, agency_code: str | None = None, username: str | None = None,
             password: str = "correct-horse-battery") -> int:
        with app.app_context():
            user = create_user(db.session, username or f"{role}-{agency_code or 'all'}",
                               password, role, agency_code)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def login_as(client, make_user):
    """Sign ``client`` in as a new user of ``role`` (without going through the login form)."""

    def sign_in(role: str, agency_code: str | None = None) -> int:
        user_id = make_user(role, agency_code)
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
        return user_id

    return sign_in
