"""Fixtures of the follow-up tests: responses with low answers, reasons and a comment, and the
follow-ups they opened, written directly (the citizen side writes the same rows)."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from followup_helpers import DUE, OPENED

from survey.extensions import db
from tests.integration.conftest import csrf_token

PASSWORD = "correct-horse-battery"


@pytest.fixture
def sign_in(client):
    """Sign ``client`` in through the login form."""

    def login(username: str, password: str = PASSWORD):
        token = csrf_token(client, "/auth/login")
        return client.post("/auth/login", data={"username": username, "password": password,
                                                "next": "", "csrf_token": token})

    return login


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
def audit_events(in_db):
    """Audit events of follow-ups as plain dicts, oldest first."""
    from survey.models import AuditEvent

    def events(action: str | None = None) -> list[dict]:
        def load(session):
            rows = session.query(AuditEvent).filter_by(entity="follow_up").order_by(
                AuditEvent.id).all()
            return [{"action": e.action, "entity_id": e.entity_id, "user_id": e.user_id,
                     "before": e.before, "after": e.after}
                    for e in rows if action is None or e.action == action]
        return in_db(load)

    return events


@pytest.fixture
def make_response(app, province):
    """Store a response directly: counter, questionnaire code, answers, received time,
    dossier hash, status; returns its id."""
    from survey.models import Answer, Counter, Questionnaire, Response

    def make(counter_code: str = "SNV-Q1", answers: dict | None = None,
             received: datetime = OPENED, dossier_hash: str | None = None,
             questionnaire: str = "sipas", status: str = "valid") -> int:
        with app.app_context():
            counter = db.session.query(Counter).filter_by(code=counter_code).one()
            version = db.session.query(Questionnaire).filter_by(code=questionnaire).order_by(
                Questionnaire.version.desc()).first()
            response = Response(
                uuid=uuid.uuid4(), questionnaire_id=version.id, questionnaire_code=questionnaire,
                counter_id=counter.id, agency_id=counter.agency_id,
                service_area_id=counter.service_areas[0].id, channel="kiosk",
                survey_date=received.date(), received_at=received, submitted_at=received,
                duration_seconds=60.0, status=status, dossier_hash=dossier_hash,
                answers=[Answer(item_code=k, value=v) for k, v in
                         (answers or {"TC1": 2, "TT1": 4, "HL": 2}).items()])
            db.session.add(response)
            db.session.commit()
            return response.id

    return make


@pytest.fixture
def make_follow_up(app, make_response):
    """A response with reasons and a comment, and its follow-up; returns the follow-up id."""
    from survey.models import FollowUp, Response, ResponseComment, ResponseReason

    def make(counter_code: str = "SNV-Q1", *, opened: datetime = OPENED,
             due: datetime | None = None, status: str = "open",
             handled: datetime | None = None, dossier_hash: str | None = None,
             reasons: dict | None = None, comment: str | None = None,
             complaint: bool = False, answers: dict | None = None,
             response_text: str | None = None) -> int:
        response_id = make_response(counter_code, answers, opened, dossier_hash)
        with app.app_context():
            response = db.session.get(Response, response_id)
            for item, codes in (reasons if reasons is not None else {}).items():
                db.session.add_all(ResponseReason(response_id=response_id, item_code=item,
                                                  reason_code=code) for code in codes)
            if comment is not None or complaint:
                db.session.add(ResponseComment(response_id=response_id, text=comment,
                                               complaint=complaint, created_at=opened))
            item = FollowUp(response_id=response_id, agency_id=response.agency_id,
                            counter_id=response.counter_id,
                            kind="complaint" if complaint else "low_rating",
                            dossier_hash=dossier_hash, opened_at=opened,
                            due_at=due or DUE, status=status, handled_at=handled,
                            response_text=response_text or ("Đã trả lời." if status == "done"
                                                            else None))
            db.session.add(item)
            db.session.commit()
            return item.id

    return make

