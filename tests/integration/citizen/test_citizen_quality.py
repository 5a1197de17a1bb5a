"""Data-quality flags at submission time: too fast, straight-lining, bursts; never lost."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from survey.extensions import db
from survey.models import Response, ResponseFlag

EIGHT = ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4"]


def _flags(app) -> list[tuple[str, str]]:
    with app.app_context():
        return sorted((f.kind, f.detail) for f in db.session.query(ResponseFlag))


def _window(seconds: float) -> dict:
    now = datetime.now(UTC)
    return {"started_at": (now - timedelta(seconds=seconds)).isoformat(),
            "submitted_at": now.isoformat()}


def test_ordinary_response_is_valid(app, post, submission):
    assert post(submission()).get_json()["status"] == "valid"
    assert _flags(app) == []


def test_answers_faster_than_they_can_be_read_are_flagged(app, post, submission):
    reply = post(submission(**_window(2)))
    assert reply.status_code == 201 and reply.get_json()["status"] == "flagged"
    [(kind, detail)] = _flags(app)
    assert kind == "too_fast" and "5 câu trả lời" in detail


def test_speed_threshold_is_configurable(app, post, submission):
    app.config["QUALITY_MIN_SECONDS_PER_ITEM"] = 0.1
    assert post(submission(**_window(2))).get_json()["status"] == "valid"


def test_all_identical_answers_are_flagged_from_eight_criteria(app, post, submission):
    assert post(submission(answers={c: 5 for c in EIGHT[:7]})).get_json()["status"] == "valid"
    reply = post(submission(answers={c: 5 for c in EIGHT}))
    assert reply.get_json()["status"] == "flagged"
    assert [k for k, _ in _flags(app)] == ["straightlining"]


def test_overall_question_does_not_count_for_straightlining(app, post, submission):
    answers = {**{c: 4 for c in EIGHT[:7]}, "HL": 4}
    assert post(submission(answers=answers)).get_json()["status"] == "valid"


def test_burst_from_one_counter_is_flagged(app, post, submission):
    app.config.update(QUALITY_BURST_COUNT=3, QUALITY_BURST_SECONDS=60)
    statuses = [post(submission()).get_json()["status"] for _ in range(5)]
    assert statuses == ["valid", "valid", "valid", "flagged", "flagged"]
    assert post(submission("X-AN1-Q1")).get_json()["status"] == "valid"
    assert [k for k, _ in _flags(app)] == ["burst", "burst"]


def test_backlog_sent_after_an_outage_is_not_a_burst(app, post, submission):
    app.config.update(QUALITY_BURST_COUNT=3, QUALITY_BURST_SECONDS=60)
    now = datetime.now(UTC)
    for minutes in range(6):
        moment = now - timedelta(minutes=10 * minutes)
        reply = post(submission(started_at=(moment - timedelta(seconds=90)).isoformat(),
                                submitted_at=moment.isoformat()))
        assert reply.get_json()["status"] == "valid"


def test_several_reasons_give_several_flags_and_the_response_is_kept(app, post, submission):
    post(submission(answers={c: 1 for c in EIGHT}, **_window(1)))
    assert [k for k, _ in _flags(app)] == ["straightlining", "too_fast"]
    with app.app_context():
        stored = db.session.query(Response).one()
        assert stored.status == "flagged" and "too_fast" in stored.status_reason
