"""The burst window: recent submission moments per counter, in memory or shared through Redis.

Counts are checked against the definition (submissions of the counter whose moment lies in
[moment - window, moment], each id once), by hand-made sequences.
"""
from __future__ import annotations

import os
import uuid

import pytest

from survey.quality import MemoryWindow, RedisWindow, burst_window

REDIS_URL = os.environ.get("SIPAS_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _windows(kind: str, namespace: str):
    if kind == "memory":
        return MemoryWindow()
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Redis is unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    return RedisWindow(REDIS_URL, namespace)


@pytest.fixture(params=["memory", "redis"])
def window(request):
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    yield _windows(request.param, namespace)
    if request.param == "redis":
        import redis

        conn = redis.Redis.from_url(REDIS_URL)
        for key in conn.scan_iter(f"sipas:burst:{namespace}:*"):
            conn.delete(key)


def test_counts_the_counters_submissions_within_the_window(window):
    moments = [1000.0, 1010.0, 1030.0, 1065.0, 1070.0]
    counts = [window.record(7, f"id{i}", moment, 60) for i, moment in enumerate(moments)]
    # 1065 sees 1010, 1030, 1065 (1000 is 65 s before); 1070 sees 1010..1070
    assert counts == [1, 2, 3, 3, 4]
    assert window.record(8, "other", 1070.0, 60) == 1


def test_a_retried_id_counts_once(window):
    assert window.record(1, "same", 500.0, 60) == 1
    assert window.record(1, "same", 500.0, 60) == 1
    assert window.record(1, "next", 501.0, 60) == 2


def test_a_backlog_of_old_moments_is_spread_out_not_a_burst(window):
    counts = [window.record(3, f"b{i}", 10_000.0 - 600 * i, 60) for i in range(6)]
    assert counts == [1, 1, 1, 1, 1, 1]


def test_moments_older_than_a_day_before_the_newest_are_forgotten():
    window = MemoryWindow()
    window.record(1, "old", 0.0, 60)
    day_two = 2 * 86400.0
    assert window.record(1, "new", day_two, 60) == 1
    assert window.record(1, "old", day_two + 5, 60) == 2  # its id was forgotten, so it counts


def test_two_workers_share_one_redis_window():
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    first, second = _windows("redis", namespace), _windows("redis", namespace)
    try:
        assert first.record(5, "a", 100.0, 60) == 1
        assert second.record(5, "b", 110.0, 60) == 2
        assert first.record(5, "c", 120.0, 60) == 3
        assert _windows("redis", "elsewhere-" + namespace).record(5, "d", 120.0, 60) == 1
    finally:
        import redis

        conn = redis.Redis.from_url(REDIS_URL)
        for key in conn.scan_iter(f"sipas:burst:*{namespace}:*"):
            conn.delete(key)


def test_the_window_follows_the_rate_limit_storage(app):
    assert isinstance(burst_window(app), MemoryWindow)
    app.extensions.pop("sipas_burst_window")
    app.config["RATELIMIT_STORAGE_URI"] = REDIS_URL
    assert isinstance(burst_window(app), RedisWindow)
    app.extensions.pop("sipas_burst_window")
    app.config["QUALITY_WINDOW_STORAGE_URI"] = "memory://"
    assert isinstance(burst_window(app), MemoryWindow)


def test_an_unreachable_window_store_flags_nothing_and_stores_the_response(app, post,
                                                                          submission):
    app.config.update(QUALITY_WINDOW_STORAGE_URI="redis://127.0.0.1:1", QUALITY_BURST_COUNT=0)
    reply = post(submission())
    assert reply.status_code == 201 and reply.get_json()["status"] == "valid"
