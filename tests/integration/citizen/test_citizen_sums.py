"""Every stored response updates its slice sums at once, exactly once, under concurrency.

The reference is ``slices.check``: the slices computed again from the response rows. A
submission through the API (the fast path: one statement on PostgreSQL), a repeated id, a
refused one, and simultaneous writers of one slice all leave stored sums equal to the rows.
"""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from survey import slices
from survey.extensions import db
from survey.models import Response, ResponseSum

THREADS = 8


def _sums(app) -> tuple[int, int]:
    with app.app_context():
        rows, ids = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(ResponseSum.rows), 0),
                                                 sa.func.coalesce(sa.func.sum(ResponseSum.id_sum),
                                                                  0))).one()
        return int(rows), int(ids)


def _check(app) -> list[dict]:
    with app.app_context():
        return slices.check(db.engine)


def test_api_submissions_update_their_slices_exactly_once(app, submission, post):
    app.config["QUALITY_BURST_COUNT"] = 1000
    app.config["QUALITY_STRAIGHTLINE_MIN_ITEMS"] = 3
    sent = [submission("SNV-Q1"), submission("H-AN-Q1", service_area="XAYDUNG"),
            submission("X-AN1-Q1", channel="qr"),
            submission("SNV-Q1", answers={"TC1": 5, "TC2": 5, "TT1": 5, "CC1": 5, "HL": 5}),
            submission("SNV-Q1", answers={"TC1": 2, "HL": 1})]
    for payload in sent:
        assert post(payload).status_code == 201, payload
    assert post(sent[0]).status_code == 200                  # a retry adds nothing
    assert post(submission("SNV-Q1", answers={"TC1": 9})).status_code == 422
    with app.app_context():
        count, ids = db.session.execute(sa.select(sa.func.count(), sa.func.sum(Response.id))
                                        ).one()
        statuses = set(db.session.scalars(sa.select(ResponseSum.status)))
    assert _sums(app) == (count, ids) == (5, ids)
    assert statuses == {"valid", "flagged"}                  # the all-5 answer is flagged
    assert _check(app) == []


@pytest.fixture
def postgresql_only(backend):
    """Threads writing at once need a server database (SQLite serialises writers)."""
    if backend != "postgresql":
        pytest.skip("concurrent writers are tested on PostgreSQL")


@pytest.mark.usefixtures("postgresql_only")
def test_simultaneous_writers_of_one_slice_lose_no_update(app, submission):
    app.config["QUALITY_BURST_COUNT"] = 1000
    payloads = [submission("SNV-Q1") for _ in range(THREADS * 3)]
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []

    def send(part: list[dict]) -> None:
        client = app.test_client()
        barrier.wait()
        for payload in part:
            codes.append(client.post("/api/v1/responses", json=payload).status_code)

    threads = [threading.Thread(target=send, args=(payloads[i::THREADS],))
               for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert codes.count(201) == len(payloads)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponseSum)) == 1
    assert _sums(app)[0] == len(payloads)
    assert _check(app) == []


def test_a_failed_insert_leaves_no_slice(app, submission, post, province):
    """A submission refused by the database (counter deactivated behind the cache) writes no
    response and no slice."""
    app.config["QUALITY_BURST_COUNT"] = 1000
    assert post(submission("SNV-Q1")).status_code == 201
    with app.app_context():
        db.session.execute(sa.text("UPDATE counters SET active = false WHERE code = 'SNV-Q1'"))
        db.session.commit()
    assert post(submission("SNV-Q1")).status_code == 404
    assert _sums(app)[0] == 1
    assert _check(app) == []
