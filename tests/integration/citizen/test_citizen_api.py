"""POST /api/v1/responses and GET /api/v1/questionnaires: every status of contract 3."""
from __future__ import annotations

import uuid
from datetime import UTC

import pytest

from survey.extensions import db
from survey.models import Answer, Counter, Response, ResponseFlag


def test_valid_submission_is_created(app, post, submission, count_rows):
    payload = submission()
    reply = post(payload)
    assert reply.status_code == 201
    assert reply.get_json()["id"] == payload["id"]
    assert count_rows(Response) == 1 and count_rows(Answer) == 5
    with app.app_context():
        stored = db.session.query(Response).one()
        assert stored.channel == "kiosk" and stored.status == "valid"
        assert stored.duration_seconds == pytest.approx(90, abs=1)
        assert stored.survey_date is not None
        assert stored.item_values == "45--3----4------------4"
        assert stored.agency_id == db.session.get(Counter, stored.counter_id).agency_id


def test_duplicate_submission_is_stored_once(post, submission, count_rows):
    payload = submission()
    first, second = post(payload), post(payload)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert count_rows(Response) == 1 and count_rows(Answer) == 5


def test_same_id_with_other_content_returns_the_stored_one(post, submission, count_rows):
    payload = submission()
    post(payload)
    changed = {**payload, "answers": {"TC1": 1}}
    reply = post(changed)
    assert reply.status_code == 200
    assert reply.get_json()["id"] == payload["id"]
    assert count_rows(Answer) == 5


@pytest.mark.parametrize("change, field", [
    ({"answers": {"TC1": 6}}, "answers.TC1"),
    ({"answers": {"TC1": 0}}, "answers.TC1"),
    ({"answers": {"TC1": "4"}}, "answers.TC1"),
    ({"answers": {"TC1": 4.5}}, "answers.TC1"),
    ({"answers": {"TC1": True}}, "answers.TC1"),
    ({"answers": {"XX9": 4}}, "answers.XX9"),
    ({"answers": {}}, "answers"),
    ({"answers": {"HL": 5}}, "answers"),
    ({"answers": [4, 5]}, "answers"),
    ({"id": "not-a-uuid"}, "id"),
    ({"id": None}, "id"),
    ({"questionnaire": "nope"}, "questionnaire"),
    ({"version": 99}, "questionnaire"),
    ({"channel": "fax"}, "channel"),
    ({"channel": "import"}, "channel"),
    ({"started_at": "yesterday"}, "started_at"),
    ({"submitted_at": "2999-01-01T00:00:00+00:00"}, "submitted_at"),
    ({"started_at": "2026-01-02T10:00:00+07:00", "submitted_at": "2026-01-02T09:00:00+07:00"},
     "submitted_at"),
    ({"profile": {"gender": "robot"}}, "profile.gender"),
    ({"profile": {"shoe_size": "42"}}, "profile.shoe_size"),
    ({"profile": "male"}, "profile"),
    ({"profile": {"gender": ["male"]}}, "profile.gender"),
    ({"service_area": "HOTICH"}, "service_area"),
    ({"service_area": "NOPE"}, "service_area"),
    ({"dossier_ref": "X" * 65}, "dossier_ref"),
])
def test_invalid_submission_gets_field_errors_and_nothing_is_stored(
        post, submission, count_rows, change, field):
    payload = submission()
    if "id" in change and change["id"] is None:
        del payload["id"]
        change = {}
    reply = post({**payload, **change})
    assert reply.status_code == 422
    assert field in reply.get_json()["errors"]
    assert count_rows(Response) == 0 and count_rows(Answer) == 0


def test_required_item_must_be_answered(app, post, submission, count_rows):
    from survey.models import Questionnaire

    with app.app_context():
        original = db.session.query(Questionnaire).filter_by(code="sipas").one().definition
        definition = {**original, "version": original["version"] + 1}
        definition["elements"] = [dict(e) for e in original["elements"]]
        definition["elements"][0]["criteria"] = [
            {**c, "required": c["code"] == "TC3"} for c in original["elements"][0]["criteria"]]
        from survey.catalog import publish_questionnaire
        publish_questionnaire(db.session, definition)
        db.session.commit()
    reply = post(submission())
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {"answers.TC3": "is required"}
    assert post(submission(answers={"TC3": 2})).status_code == 201
    assert count_rows(Response) == 1


def test_counter_serving_several_areas_needs_the_area(post, submission, count_rows):
    reply = post(submission("H-AN-Q1"))
    assert reply.status_code == 422
    assert "service_area" in reply.get_json()["errors"]
    assert post(submission("H-AN-Q1", service_area="XAYDUNG")).status_code == 201
    assert count_rows(Response) == 1


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"text"', b"null"])
def test_malformed_body_is_400(client, body, count_rows):
    reply = client.post("/api/v1/responses", data=body, content_type="application/json")
    assert reply.status_code == 400
    assert reply.is_json
    assert count_rows(Response) == 0


def test_unknown_counter_is_404(post, submission, count_rows):
    reply = post({**submission(), "counter": "no-such-token"})
    assert reply.status_code == 404
    assert reply.get_json()["error"] == "unknown_counter"
    assert count_rows(Response) == 0


def test_rotated_counter_is_404(app, post, submission, count_rows):
    payload = submission()
    from survey.catalog import rotate_token

    with app.app_context():
        rotate_token(db.session, db.session.query(Counter).filter_by(code="SNV-Q1").one())
        db.session.commit()
    reply = post(payload)
    assert reply.status_code == 404
    assert reply.get_json()["error"] == "retired_counter"
    assert count_rows(Response) == 0


def test_deactivated_counter_is_404(app, post, submission, count_rows):
    with app.app_context():
        db.session.query(Counter).filter_by(code="SNV-Q1").one().active = False
        db.session.commit()
    reply = post(submission())
    assert reply.status_code == 404
    assert reply.get_json()["error"] == "inactive_counter"


def test_dossier_is_evaluated_once_and_stored_as_keyed_hash(app, post, submission, count_rows):
    assert post(submission(dossier_ref="000.12.34.H56-240101-0001")).status_code == 201
    again = post(submission("X-AN1-Q1", dossier_ref="  000.12.34.h56-240101-0001 "))
    assert again.status_code == 409
    assert "dossier_ref" in again.get_json()["errors"]
    assert post(submission(questionnaire="sipas-2023", answers={"A1": 4},
                           dossier_ref="000.12.34.H56-240101-0001")).status_code == 201
    assert count_rows(Response) == 2
    with app.app_context():
        hashes = [r.dossier_hash for r in db.session.query(Response)]
    assert all(len(h) == 64 and "H56" not in h for h in hashes)


def test_client_timestamps_are_kept_and_server_time_counts(app, post, submission):

    post(submission(started_at="2026-01-02T09:00:00+07:00",
                    submitted_at="2026-01-02T09:02:00+07:00"))
    with app.app_context():
        stored = db.session.query(Response).one()
        assert stored.duration_seconds == 120
        assert stored.received_at.year >= 2026
        started = stored.started_at
        if started.tzinfo is not None:
            started = started.astimezone(UTC)
        assert started.hour == 2


def test_profile_is_stored(app, post, submission):
    post(submission(profile={"gender": "female", "age_band": "40-59", "education": None}))
    with app.app_context():
        stored = db.session.query(Response).one()
        assert (stored.gender, stored.age_band, stored.education) == ("female", "40-59", None)


def test_flagged_response_is_stored_with_its_reasons(app, post, submission, count_rows):
    answers = {code: 5 for code in ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4"]}
    reply = post(submission(answers=answers, started_at=None, submitted_at=None))
    assert reply.status_code == 201 and reply.get_json()["status"] == "flagged"
    with app.app_context():
        assert [f.kind for f in db.session.query(ResponseFlag)] == ["straightlining"]


def test_database_down_is_503_and_nothing_is_half_written(app, post, submission, count_rows,
                                                          monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr("survey.quality.flags_for", broken)
    reply = post(submission())
    assert reply.status_code == 503
    assert reply.get_json()["retry_after"] > 0 and reply.headers["Retry-After"]
    assert count_rows(Response) == 0 and count_rows(Answer) == 0


def test_unreachable_database_is_503(tmp_path, submission):
    from survey import create_app

    broken = create_app({"CONFIG_NAME": "testing",
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/x.db"})
    reply = broken.test_client().post("/api/v1/responses", json=submission())
    assert reply.status_code == 503
    with broken.app_context():
        db.engine.dispose()


def test_rate_limits_per_counter_and_client(backend, tmp_path_factory, app, submission):
    from survey import create_app

    limited = create_app({"CONFIG_NAME": "testing", "RATELIMIT_ENABLED": True,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "RATELIMIT_COUNTER": "3 per minute", "RATELIMIT_CLIENT": "5 per minute",
                          "QUALITY_BURST_COUNT": 100})
    client = limited.test_client()
    codes = [client.post("/api/v1/responses", json=submission()).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    other = [client.post("/api/v1/responses", json=submission("X-AN1-Q1")).status_code
             for _ in range(2)]
    assert other == [201, 429]
    assert client.post("/api/v1/responses", json=submission("X-AN1-Q1"),
                       environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 201
    with limited.app_context():
        db.engine.dispose()


def test_questionnaire_definition_latest_and_by_version(client, app):
    from survey import questionnaires as qdefs

    shipped = qdefs.load_file(qdefs.FOLDER / "sipas.json")["version"]
    reply = client.get("/api/v1/questionnaires/sipas")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["version"] == shipped and body["definition"]["code"] == "sipas"
    assert client.get(f"/api/v1/questionnaires/sipas?version={shipped}").status_code == 200
    assert client.get("/api/v1/questionnaires/sipas?version=7").status_code == 404
    assert client.get("/api/v1/questionnaires/sipas?version=x").status_code == 422
    assert client.get("/api/v1/questionnaires/nope").status_code == 404


def test_api_needs_no_csrf_token(post, submission):
    assert post(submission(), headers={"Cookie": ""}).status_code == 201


def test_uuid_is_accepted_in_any_case(post, submission):
    assert post(submission(id=str(uuid.uuid4()).upper())).status_code == 201


def test_survey_date_is_the_local_date_of_arrival(app, post, submission, monkeypatch):
    from datetime import date, datetime

    arrival = datetime(2026, 3, 31, 18, 30, tzinfo=UTC)
    monkeypatch.setattr("survey.responses.utcnow", lambda: arrival)
    post(submission(started_at=None, submitted_at=None))
    with app.app_context():
        stored = db.session.query(Response).one()
        assert stored.survey_date == date(2026, 4, 1)
        received = stored.received_at
        if received.tzinfo is not None:
            received = received.astimezone(UTC)
        assert received.replace(tzinfo=None) == arrival.replace(tzinfo=None)


@pytest.mark.parametrize("field", ["id", "counter", "questionnaire", "version", "service_area",
                                   "channel", "answers", "started_at", "submitted_at",
                                   "dossier_ref", "client_id", "locale", "profile"])
@pytest.mark.parametrize("odd", [{"a": 1}, [1], True, "x" * 300])
def test_odd_values_never_cause_a_server_error(post, submission, count_rows, field, odd):
    reply = post({**submission(), field: odd})
    assert reply.status_code in (201, 404, 422)
    assert reply.is_json
