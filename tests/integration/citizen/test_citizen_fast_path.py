"""The submission fast path: one round trip on PostgreSQL, caches that never outvote the database.

Round trips are counted from libpq's own protocol trace of the pooled connections: every
exchange the client starts ends with one ``Sync`` (extended protocol) or is one ``Query``
(simple protocol), so their number is the number of round trips. "Another process" changing a
counter is simulated with SQL that bypasses this process's ORM (and so its cache invalidation).
"""
from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import Answer, Response, ResponseFlag


@pytest.fixture
def postgresql_only(backend):
    """Round trips are a property of the client-server protocol."""
    if backend != "postgresql":
        pytest.skip("round trips are counted on PostgreSQL")


@pytest.fixture
def traced(app, tmp_path):
    """Count the round trips of every pooled connection while the fixture is used."""
    path = tmp_path / "libpq.trace"
    handle = path.open("w")

    def on_checkout(dbapi_connection, _record, _proxy):
        dbapi_connection.pgconn.trace(handle.fileno())

    def on_checkin(dbapi_connection, _record):
        if not dbapi_connection.closed:
            dbapi_connection.pgconn.untrace()

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "checkout", on_checkout)
    sa.event.listen(engine, "checkin", on_checkin)

    def round_trips() -> int:
        handle.flush()
        lines = path.read_text().splitlines()
        return sum(1 for line in lines if re.search(r"\tF\t\d+\t(Sync|Query)\b", line))

    yield round_trips
    sa.event.remove(engine, "checkout", on_checkout)
    sa.event.remove(engine, "checkin", on_checkin)
    handle.close()


def _sql(app, statement: str, **params) -> None:
    """Change the database behind this process's back (as another worker would)."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _counter_id(app, province, code: str) -> int:
    with app.app_context():
        return db.session.execute(sa.text("SELECT id FROM counters WHERE token = :t"),
                                  {"t": province.tokens[code]}).scalar_one()


@pytest.mark.usefixtures("postgresql_only")
def test_a_submission_is_one_round_trip_once_lookups_are_cached(app, post, submission, traced,
                                                                count_rows):
    assert post(submission()).status_code == 201  # fills the caches
    before = traced()
    reply = post(submission(answers={"TC1": 2, "TT1": 3, "HL": 1}))
    assert reply.status_code == 201
    assert traced() - before == 1
    assert count_rows(Response) == 2 and count_rows(Answer) == 5 + 3


@pytest.mark.usefixtures("postgresql_only")
def test_a_flagged_submission_is_still_one_round_trip(app, post, submission, traced):
    post(submission())
    before = traced()
    eight = {code: 5 for code in ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4"]}
    reply = post(submission(answers=eight))
    assert reply.status_code == 201 and reply.get_json()["status"] == "flagged"
    assert traced() - before == 1
    with app.app_context():
        assert [f.kind for f in db.session.query(ResponseFlag)] == ["straightlining"]


def test_the_same_id_again_answers_200_and_stores_nothing(app, post, submission, count_rows):
    payload = submission()
    assert post(payload).status_code == 201
    again = post({**payload, "answers": {"TC1": 1}})
    assert again.status_code == 200 and again.get_json()["id"] == payload["id"]
    assert count_rows(Response) == 1 and count_rows(Answer) == 5


def test_a_counter_deactivated_by_another_process_is_refused(app, province, post, submission,
                                                              count_rows):
    assert post(submission()).status_code == 201
    _sql(app, "UPDATE counters SET active = false WHERE token = :t",
         t=province.tokens["SNV-Q1"])
    reply = post(submission())
    assert reply.status_code == 404 and reply.get_json()["error"] == "inactive_counter"
    assert count_rows(Response) == 1


def test_a_token_rotated_by_another_process_is_refused_as_retired(app, province, post,
                                                                   submission, count_rows):
    assert post(submission()).status_code == 201
    old = province.tokens["SNV-Q1"]
    counter_id = _counter_id(app, province, "SNV-Q1")
    _sql(app, "UPDATE counters SET token = :new WHERE id = :id", new=uuid.uuid4().hex, id=counter_id)
    _sql(app, "INSERT INTO retired_tokens (token, counter_id, retired_at) "
              "VALUES (:t, :id, CURRENT_TIMESTAMP)", t=old, id=counter_id)
    reply = post(submission())
    assert reply.status_code == 404 and reply.get_json()["error"] == "retired_counter"
    assert count_rows(Response) == 1


def test_an_area_added_by_another_process_is_accepted(app, province, post, submission,
                                                       count_rows):
    assert post(submission()).status_code == 201
    _sql(app, "INSERT INTO counter_service_areas (counter_id, service_area_id) VALUES (:c, :a)",
         c=_counter_id(app, province, "SNV-Q1"), a=province.area_ids["HOTICH"])
    reply = post(submission(service_area="HOTICH"))
    assert reply.status_code == 201
    with app.app_context():
        stored = db.session.scalars(sa.select(Response).order_by(Response.id.desc())).first()
        assert stored.service_area_id == province.area_ids["HOTICH"]


def test_an_area_removed_by_another_process_is_refused(app, province, post, submission,
                                                        count_rows):
    counter = "H-AN-Q1"  # serves DATDAI and XAYDUNG
    assert post(submission(counter, service_area="XAYDUNG")).status_code == 201
    _sql(app, "DELETE FROM counter_service_areas WHERE counter_id = :c AND service_area_id = :a",
         c=_counter_id(app, province, counter), a=province.area_ids["XAYDUNG"])
    reply = post(submission(counter, service_area="XAYDUNG"))
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {"service_area": "is not served by this counter"}
    assert count_rows(Response) == 1


def test_a_counter_moved_to_another_agency_stores_the_new_agency(app, province, post,
                                                                  submission):
    assert post(submission()).status_code == 201
    _sql(app, "UPDATE counters SET agency_id = :a WHERE token = :t",
         a=province.agency_ids["H-AN"], t=province.tokens["SNV-Q1"])
    assert post(submission()).status_code == 201
    with app.app_context():
        agencies = db.session.scalars(sa.select(Response.agency_id).order_by(Response.id)).all()
    assert agencies == [province.agency_ids["SNV"], province.agency_ids["H-AN"]]


def test_a_change_made_through_the_workspace_clears_the_cache_at_once(app, province, post,
                                                                       submission):
    from survey.models import Counter

    assert post(submission()).status_code == 201
    with app.app_context():
        counter = db.session.scalars(sa.select(Counter).where(
            Counter.token == province.tokens["SNV-Q1"])).one()
        counter.active = False
        db.session.commit()
        from survey.lookups import cache
        assert cache(app)._counters == {}
    assert post(submission()).status_code == 404
