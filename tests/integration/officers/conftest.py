"""Fixtures of the officers tests: officers, officer accounts, responses with a dossier and an
officer, signed-in clients and CSRF tokens from the real pages."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from survey.extensions import db
from tests.integration.conftest import csrf_token

PASSWORD = "correct-horse-battery"
DAY = date(2026, 8, 14)
PERIOD = "2026-Q3"


@pytest.fixture
def audit_events(in_db):
    """Audit events as plain dicts, oldest first, optionally of one action and entity."""
    from survey.models import AuditEvent

    def events(action: str | None = None, entity: str | None = None) -> list[dict]:
        def load(session):
            rows = session.query(AuditEvent).order_by(AuditEvent.id).all()
            return [{"action": e.action, "entity": e.entity, "entity_id": e.entity_id,
                     "user_id": e.user_id, "before": e.before, "after": e.after}
                    for e in rows if (action is None or e.action == action)
                    and (entity is None or e.entity == entity)]
        return in_db(load)

    return events


@pytest.fixture
def make_officer(app, province):
    """Create an officer: ``make_officer("CB01", "H-AN", pin="1234")``; returns its id."""
    from survey.models import Officer

    def make(code: str, agency_code: str = "H-AN", pin: str | None = None,
             name: str | None = None, active: bool = True) -> int:
        with app.app_context():
            officer = Officer(code=code, name=name or f"Cán bộ {code}",
                              agency_id=province.agency_ids[agency_code], active=active,
                              failed_pins=0)
            if pin:
                officer.set_pin(pin)
            db.session.add(officer)
            db.session.commit()
            return officer.id

    return make


@pytest.fixture
def make_response(app, province):
    """Store a response of ``sipas`` directly: counter, answers, day, officer, dossier code."""
    from survey.models import Answer, Counter, Questionnaire, Response
    from survey.responses import dossier_hash

    def make(counter_code: str = "H-AN-Q1", answers: dict | None = None,
             day: date = DAY, officer_id: int | None = None, dossier: str | None = None,
             status: str = "valid") -> int:
        with app.app_context():
            counter = db.session.query(Counter).filter_by(code=counter_code).one()
            questionnaire = db.session.query(Questionnaire).filter_by(code="sipas").one()
            when = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
            response = Response(
                uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
                counter_id=counter.id, agency_id=counter.agency_id,
                service_area_id=counter.service_areas[0].id, channel="kiosk",
                survey_date=day, received_at=when, submitted_at=when, duration_seconds=90.0,
                status=status, officer_id=officer_id,
                dossier_hash=dossier_hash(dossier, app.config["DOSSIER_HASH_KEY"])
                if dossier else None,
                answers=[Answer(item_code=k, value=v) for k, v in
                         (answers or {"TC1": 4, "TT1": 5, "CC1": 3}).items()])
            db.session.add(response)
            db.session.commit()
            return response.id

    return make


@pytest.fixture
def sign_in(client):
    """Sign ``client`` in through the login form; returns the response."""

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
def as_officer(app, sign_in):
    """Create an officer account for the officer ``code`` and sign in; returns the user id."""
    from survey.catalog import create_user

    def login(code: str, username: str | None = None) -> int:
        username = username or f"officer-{code.lower()}"
        with app.app_context():
            user = create_user(db.session, username, PASSWORD, "officer", officer_code=code)
            db.session.commit()
            user_id = user.id
        response = sign_in(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"] == "/officers/me"
        return user_id

    return login


# -- a period of answers with officers, and the SIPAS index computed by hand -------------------
CRITERIA = {"TC": ["TC1", "TC2", "TC3", "TC4"], "TT": ["TT1", "TT2", "TT3", "TT4", "TT5"],
            "CC": ["CC1", "CC2", "CC3", "CC4", "CC5", "CC6"], "KQ": ["KQ1", "KQ2", "KQ3"],
            "GY": ["GY1", "GY2", "GY3", "GY4"]}
H_AN_DOSSIERS = 600


@dataclass
class SurveyData:
    """The stored answers: officer ids by code, and per response its cell, weight, population
    of its cell (None: no total), officer code and answers."""

    officers: dict[str, int]
    rows: list[dict]


@pytest.fixture
def survey_data(app, province, make_officer) -> SurveyData:
    """Officers CB-A (36 answers) and CB-B (14) at the district H-AN, CB-C (31) at SNV;
    20 district answers and 15 answers of its commune X-AN1 without an officer. The district's
    cell has a dossier total (600), the commune's none."""
    import numpy as np

    from survey.models import Answer, Counter, PopulationTotal, Questionnaire, Response

    officers = {code: make_officer(code, agency, name=name) for code, agency, name in (
        ("CB-A", "H-AN", "Nguyễn Thị An"), ("CB-B", "H-AN", "Lê Văn Bình"),
        ("CB-C", "SNV", "Phạm Thu Cúc"))}
    rng = np.random.default_rng(2026)
    plan = ([("H-AN-Q1", "CB-A", 0.55)] * 36 + [("H-AN-Q1", "CB-B", 0.4)] * 14
            + [("H-AN-Q1", None, 0.3)] * 20 + [("X-AN1-Q1", None, 0.2)] * 15
            + [("SNV-Q1", "CB-C", 0.5)] * 31)
    rows = []
    with app.app_context():
        questionnaire = db.session.query(Questionnaire).filter_by(code="sipas").one()
        counters = {c.code: c for c in db.session.query(Counter)}
        db.session.add(PopulationTotal(period=PERIOD, agency_id=province.agency_ids["H-AN"],
                                       service_area_id=province.area_ids["DATDAI"],
                                       dossiers=H_AN_DOSSIERS))
        for number, (counter_code, officer, lift) in enumerate(plan):
            counter = counters[counter_code]
            answers = {code: int(min(5, max(1, round(rng.normal(3.4 + lift, 1.0)))))
                       for codes in CRITERIA.values() for code in codes}
            when = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(minutes=number)
            db.session.add(Response(
                uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
                counter_id=counter.id, agency_id=counter.agency_id,
                service_area_id=counter.service_areas[0].id, channel="kiosk", survey_date=DAY,
                received_at=when, submitted_at=when, duration_seconds=120.0, status="valid",
                officer_id=officers[officer] if officer else None,
                answers=[Answer(item_code=k, value=v) for k, v in answers.items()]))
            rows.append({"cell": counter_code, "officer": officer, "answers": answers})
        db.session.commit()
    sizes = {cell: sum(r["cell"] == cell for r in rows) for cell in {r["cell"] for r in rows}}
    for row in rows:
        total = H_AN_DOSSIERS if row["cell"] == "H-AN-Q1" else None
        row["population"] = total
        row["weight"] = total / sizes[row["cell"]] if total else 1.0
    return SurveyData(officers, rows)


def index_by_hand(rows: list[dict], inside) -> dict:
    """SIPAS index (mean of the element shares, each the mean of its criteria's shares of
    answers ≥ 4) of the rows where ``inside(row)``, its SE by linearisation in a stratified
    design (stratum = cell, each response its own unit, fpc = the cell's dossiers) and its
    logit interval with t of (responses − strata) of the domain; percent."""
    import numpy as np
    from scipy import stats

    w = np.array([r["weight"] for r in rows])
    d = np.array([bool(inside(r)) for r in rows])
    total = (w * d).sum()
    z = np.zeros(len(rows))
    elements = []
    for codes in CRITERIA.values():
        shares = []
        z_element = np.zeros(len(rows))
        for code in codes:
            s = np.array([r["answers"][code] >= 4 for r in rows], dtype=float)
            p = (w * d * s).sum() / total
            shares.append(p)
            z_element += w * d * (s - p) / total / len(codes)
        elements.append(np.mean(shares))
        z += z_element / len(CRITERIA)
    estimate = float(np.mean(elements))
    variance = 0.0
    for cell in sorted({r["cell"] for r in rows}):
        member = np.array([r["cell"] == cell for r in rows])
        n_h = member.sum()
        population = next(r["population"] for r in rows if r["cell"] == cell)
        keep = 1 - n_h / population if population else 1.0
        zh = z[member]
        variance += keep * n_h / (n_h - 1) * ((zh - zh.mean()) ** 2).sum()
    se = float(np.sqrt(variance))
    df = d.sum() - len({r["cell"] for r, inner in zip(rows, d) if inner})
    t = stats.t.ppf(0.975, df)
    centre, half = np.log(estimate / (1 - estimate)), t * se / (estimate * (1 - estimate))
    return {"estimate": 100 * estimate, "se": 100 * se, "n": int(d.sum()),
            "ci_low": 100 / (1 + np.exp(-(centre - half))),
            "ci_high": 100 / (1 + np.exp(-(centre + half)))}


@pytest.fixture
def by_hand():
    """``index_by_hand`` for the tests."""
    return index_by_hand
