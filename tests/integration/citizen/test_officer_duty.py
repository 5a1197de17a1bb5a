"""Staff mode at the tablet: an officer signs on with a PIN and the kiosk answers submitted
during the shift carry that officer — answers sent later from the queue included — while QR
answers and answers outside any shift carry none. Wrong PINs lock the officer out, audited."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from survey import duty
from survey.extensions import db
from survey.models import AuditEvent, Counter, Officer, OfficerShift, Response


@pytest.fixture
def officers(app, province):
    """Two officers of the counter SNV-Q1's agency, one of another agency."""
    with app.app_context():
        made = {}
        for code, agency in (("CB01", "SNV"), ("CB02", "SNV"), ("CB09", "H-AN")):
            officer = Officer(code=code, name=f"Cán bộ {code}",
                              agency_id=province.agency_ids[agency])
            officer.set_pin("2468")
            db.session.add(officer)
            made[code] = officer
        db.session.commit()
        return {code: o.id for code, o in made.items()}


def _sign_on(client, province, officer="CB01", pin="2468", counter="SNV-Q1"):
    return client.post("/api/v1/duty", json={"counter": province.tokens[counter],
                                             "officer": officer, "pin": pin})


def _officer_of(app, response_id: str):
    with app.app_context():
        return db.session.scalar(sa.select(Response.officer_id).where(
            Response.uuid == __import__("uuid").UUID(response_id)))


def test_kiosk_answers_carry_the_officer_whose_shift_covers_them(app, client, province,
                                                                officers, submission, post):
    assert _sign_on(client, province).json["on_duty"]["code"] == "CB01"
    assert client.get("/api/v1/duty", query_string={"counter": province.tokens["SNV-Q1"]}
                      ).json["on_duty"]["name"] == "Cán bộ CB01"
    during = submission("SNV-Q1")
    qr = submission("SNV-Q1", channel="qr")
    before = submission("SNV-Q1", submitted_at=(datetime.now(UTC) - timedelta(hours=3))
                        .isoformat(), started_at=(datetime.now(UTC) - timedelta(hours=3,
                                                                                 minutes=2)).isoformat())
    for payload in (during, qr, before):
        assert post(payload).status_code == 201
    assert _officer_of(app, during["id"]) == officers["CB01"]
    assert _officer_of(app, qr["id"]) is None
    assert _officer_of(app, before["id"]) is None
    # CB02 takes over: CB01's shift ends; a sheet CB01's citizen answered earlier but the
    # tablet sends only now (offline queue) still carries CB01
    queued = submission("SNV-Q1")
    assert _sign_on(client, province, "CB02").status_code == 200
    later = submission("SNV-Q1", submitted_at=(datetime.now(UTC) + timedelta(seconds=5))
                       .isoformat())
    assert post(queued).status_code == 201 and post(later).status_code == 201
    assert _officer_of(app, queued["id"]) == officers["CB01"]
    assert _officer_of(app, later["id"]) == officers["CB02"]
    assert client.post("/api/v1/duty/end", json={"counter": province.tokens["SNV-Q1"]}
                       ).json == {"on_duty": None, "ended": True}
    after = submission("SNV-Q1", submitted_at=(datetime.now(UTC) + timedelta(seconds=10))
                       .isoformat())
    assert post(after).status_code == 201
    assert _officer_of(app, after["id"]) is None
    with app.app_context():
        reasons = db.session.scalars(sa.select(OfficerShift.ended_reason)
                                     .order_by(OfficerShift.id)).all()
    assert reasons == ["replaced", "signed_off"]


def test_wrong_pins_lock_the_officer_out_and_are_audited(app, client, province, officers):
    app.config["OFFICER_PIN_MAX_FAILURES"] = 3
    assert _sign_on(client, province, pin="0000").status_code == 401
    assert _sign_on(client, province, pin="1111").status_code == 401
    locked = _sign_on(client, province, pin="2222")
    assert locked.status_code == 423 and locked.json["error"] == "locked"
    assert _sign_on(client, province).status_code == 423          # the right PIN, too late
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.entity == "officer").order_by(AuditEvent.id)).all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OfficerShift)) == 0
    assert actions == ["officer_pin_wrong", "officer_pin_wrong", "officer_pin_locked"]


def test_the_lock_ends_after_its_time(app, province, officers):
    with app.app_context():
        counter = db.session.scalar(sa.select(Counter).where(Counter.code == "SNV-Q1"))
        officer = db.session.get(Officer, officers["CB01"])
        now = datetime.now(UTC)
        officer.locked_until = now + timedelta(seconds=60)
        db.session.commit()
        assert duty.sign_on(db.session, counter, "CB01", "2468", now).state == "locked"
        later = now + timedelta(seconds=61)
        assert duty.sign_on(db.session, counter, "CB01", "2468", later).state == "ok"


def test_unknown_officers_and_other_agencies_get_the_wrong_pin_answer(client, province,
                                                                       officers):
    for officer in ("NOBODY", "CB09"):
        refused = _sign_on(client, province, officer)
        assert refused.status_code == 401 and refused.json["error"] == "not_accepted"


@pytest.mark.parametrize("body, status", [
    ({"officer": "CB01", "pin": "2468"}, 404),
    ({"counter": "x" * 65, "officer": "CB01", "pin": "2468"}, 404),
    ({"counter": "TOKEN", "officer": "CB01", "pin": "12"}, 422),
    ({"counter": "TOKEN", "officer": "CB\x00", "pin": "2468"}, 422),
    ({"counter": "TOKEN", "officer": ["CB01"], "pin": 2468}, 422),
    ([1, 2], 400),
])
def test_bad_sign_on_requests_get_clear_errors(client, province, officers, body, status):
    if isinstance(body, dict) and body.get("counter") == "TOKEN":
        body = {**body, "counter": province.tokens["SNV-Q1"]}
    answer = client.post("/api/v1/duty", json=body)
    assert answer.status_code == status
    assert answer.json["error"]


def test_a_deactivated_officer_cannot_sign_on(app, client, province, officers):
    with app.app_context():
        db.session.get(Officer, officers["CB01"]).active = False
        db.session.commit()
    assert _sign_on(client, province).status_code == 401
