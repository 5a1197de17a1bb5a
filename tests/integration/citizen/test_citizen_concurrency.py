"""Idempotency under concurrency: simultaneous posts of one id or one dossier store one row."""
from __future__ import annotations

import threading

import pytest

from survey.models import Answer, Response

THREADS = 8


def _post_together(app, payloads: list[dict]) -> list[int]:
    barrier = threading.Barrier(len(payloads))
    codes: list[int] = [0] * len(payloads)

    def send(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        codes[index] = client.post("/api/v1/responses", json=payloads[index]).status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return codes


@pytest.fixture
def postgresql_only(backend):
    """Threads writing at once need a server database (SQLite serialises writers)."""
    if backend != "postgresql":
        pytest.skip("concurrent writers are tested on PostgreSQL")


@pytest.mark.usefixtures("postgresql_only")
def test_simultaneous_posts_of_one_id_store_one_row(app, submission, count_rows):
    app.config["QUALITY_BURST_COUNT"] = 1000
    payload = submission()
    codes = _post_together(app, [payload] * THREADS)
    assert sorted(codes) == [200] * (THREADS - 1) + [201]
    assert count_rows(Response) == 1 and count_rows(Answer) == 5


@pytest.mark.usefixtures("postgresql_only")
def test_simultaneous_posts_of_one_dossier_store_one_row(app, submission, count_rows):
    app.config["QUALITY_BURST_COUNT"] = 1000
    payloads = [submission(dossier_ref="HS-2026-0001") for _ in range(THREADS)]
    codes = _post_together(app, payloads)
    assert sorted(codes) == [201] + [409] * (THREADS - 1)
    assert count_rows(Response) == 1


def test_sequential_retries_of_one_id_store_one_row(app, post, submission, count_rows):
    payload = submission()
    assert [post(payload).status_code for _ in range(5)] == [201, 200, 200, 200, 200]
    assert count_rows(Response) == 1


def _blind_once(monkeypatch, name: str, blind_value) -> None:
    """Make ``survey.responses.<name>`` miss once, as if another request had not committed yet."""
    from survey import responses

    real, calls = getattr(responses, name), []

    def patched(*args, **kwargs):
        calls.append(1)
        return blind_value if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(responses, name, patched)


def test_lost_race_on_the_id_is_answered_200(post, submission, count_rows, monkeypatch):
    payload = submission()
    assert post(payload).status_code == 201
    _blind_once(monkeypatch, "_existing", None)
    reply = post(payload)
    assert reply.status_code == 200 and reply.get_json()["id"] == payload["id"]
    assert count_rows(Response) == 1 and count_rows(Answer) == 5


def test_lost_race_on_the_dossier_is_answered_409(post, submission, count_rows, monkeypatch):
    assert post(submission(dossier_ref="HS-1")).status_code == 201
    _blind_once(monkeypatch, "_dossier_taken", False)
    reply = post(submission(dossier_ref="hs-1"))
    assert reply.status_code == 409
    assert count_rows(Response) == 1 and count_rows(Answer) == 5
