"""Identical requests of one key sent at the same moment get one link, not one each."""
from __future__ import annotations

import threading
import time

import pytest

import survey.invitations.issue as issue_module
from survey.models import Invitation

THREADS = 4
BODY = {"dossier": "000.00.20.H12-261201-0007", "counter": "SNV-Q1"}


@pytest.fixture
def postgresql_only(backend):
    """Threads writing at once need a server database (SQLite serialises writers)."""
    if backend != "postgresql":
        pytest.skip("concurrent writers are tested on PostgreSQL")


@pytest.fixture
def slow_lookup(monkeypatch):
    """Hold every request between its look for a live link and its insert, so that without a
    lock each of them finds none."""
    found_live = issue_module._live

    def slow(*args, **kwargs):
        found = found_live(*args, **kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(issue_module, "_live", slow)


@pytest.mark.usefixtures("postgresql_only", "slow_lookup")
def test_simultaneous_identical_requests_get_one_link(app, api_key, count_rows):
    app.config["RATELIMIT_ENABLED"] = False
    barrier = threading.Barrier(THREADS)
    replies: list[tuple[int, dict] | None] = [None] * THREADS

    def send(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        reply = client.post("/api/v1/invitations", json=BODY,
                            headers={"Authorization": f"Bearer {api_key}"})
        replies[index] = (reply.status_code, reply.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(status for status, _ in replies) == [200] * (THREADS - 1) + [201]
    assert len({body["url"] for _, body in replies}) == 1
    assert count_rows(Invitation) == 1
