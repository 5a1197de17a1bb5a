"""Fixtures for the workspace tests: CSRF tokens from real pages, signed-in clients, responses."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from survey.extensions import db
from tests.integration.conftest import csrf_token

PASSWORD = "correct-horse-battery"


@pytest.fixture
def sign_in(client):
    """Sign ``client`` in through the login form; returns the response."""

    def login(username: str, password: str = PASSWORD, next_url: str = ""):
        token = csrf_token(client, "/auth/login")
        return client.post("/auth/login", data={"username": username, "password": password,
                                                "next": next_url, "csrf_token": token})

    return login


@pytest.fixture
def audit_events(in_db):
    """Audit events as plain dicts, oldest first, optionally of one action."""
    from survey.models import AuditEvent

    def events(action: str | None = None, entity: str | None = None) -> list[dict]:
        def load(session):
            rows = session.query(AuditEvent).order_by(AuditEvent.id).all()
            return [{"action": e.action, "entity": e.entity, "entity_id": e.entity_id,
                     "user_id": e.user_id, "before": e.before, "after": e.after, "at": e.at}
                    for e in rows if (action is None or e.action == action)
                    and (entity is None or e.entity == entity)]
        return in_db(load)

    return events


@pytest.fixture
def make_response(app, province):
    """Store a response of the ``sipas`` questionnaire directly (no API involved)."""
    from survey.models import Answer, Counter, Questionnaire, Response, ResponseFlag

    def make(counter_code: str = "SNV-Q1", answers: dict | None = None, status: str = "valid",
             flags: tuple[tuple[str, str], ...] = (), day: date | None = None,
             client_id: str | None = None) -> int:
        with app.app_context():
            counter = db.session.query(Counter).filter_by(code=counter_code).one()
            questionnaire = db.session.query(Questionnaire).filter_by(code="sipas").one()
            when = datetime.now(UTC) - timedelta(hours=1)
            response = Response(
                uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
                counter_id=counter.id, agency_id=counter.agency_id,
                service_area_id=counter.service_areas[0].id, channel="kiosk",
                survey_date=day or date.today(), received_at=when, submitted_at=when,
                duration_seconds=60.0, status=status, client_id=client_id,
                answers=[Answer(item_code=k, value=v) for k, v in
                         (answers or {"TC1": 4, "TT1": 5, "CC1": 3}).items()])
            response.flags = [ResponseFlag(kind=k, detail=d) for k, d in flags]
            db.session.add(response)
            db.session.commit()
            return response.id

    return make


@pytest.fixture
def as_role(make_user, sign_in):
    """Create a user of ``role`` and sign in through the form; returns the user id."""

    def login(role: str, agency_code: str | None = None) -> int:
        user_id = make_user(role, agency_code)
        response = sign_in(f"{role}-{agency_code or 'all'}")
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return login


@pytest.fixture
def admin_urls(app, province, make_response, in_db):
    """Every /admin URL rule filled with real ids, as (method, url) pairs."""
    from survey.models import Procedure, Questionnaire, User

    response_id = make_response()

    def ids(session):
        procedure = Procedure(code="1.000001", name="Đăng ký khai sinh",
                              service_area_id=province.area_ids["HOTICH"])
        session.add(procedure)
        spare = User(username="spare", role="analyst", password_hash="x")
        session.add(spare)
        session.flush()
        return {"procedure_id": procedure.id, "user_id": spare.id,
                "questionnaire_id": session.query(Questionnaire).first().id}
    values = in_db(ids)
    values.update(agency_id=province.agency_ids["H-AN"], area_id=province.area_ids["HOTICH"],
                  counter_id=1, response_id=response_id, action="flag")
    from survey.models import Counter
    values["counter_id"] = in_db(lambda s: s.query(Counter).filter_by(code="SNV-Q1").one().id)
    pairs = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(values[name])).replace(
                f"<{name}>", str(values[name]))
        pairs.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return sorted(set(pairs))
