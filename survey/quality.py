"""Data-quality flags raised when a response arrives: too fast, straight-lining, bursts.

A flagged response is stored like any other; the flags only tell analysts where to look.
Flags are computed before the response is written, from the submission alone and, for bursts,
from a window of recent submission moments per counter kept in memory or in Redis — never by
counting rows in the database per submission.
"""
from __future__ import annotations

import bisect
import hashlib
import threading
from collections.abc import Collection
from datetime import datetime

from flask import Flask, current_app

DEFAULTS = {
    "QUALITY_MIN_SECONDS_PER_ITEM": 1.0,
    "QUALITY_STRAIGHTLINE_MIN_ITEMS": 8,
    "QUALITY_BURST_COUNT": 5,
    "QUALITY_BURST_SECONDS": 60,
}


def setting(name: str):
    """A quality threshold from the app config, or its default."""
    return current_app.config.get(name, DEFAULTS[name])


def too_fast(duration: float | None, answered: int) -> str | None:
    """Reason text when the answers were given faster than they can be read."""
    if duration is None or answered == 0:
        return None
    minimum = answered * float(setting("QUALITY_MIN_SECONDS_PER_ITEM"))
    if duration < minimum:
        return f"{duration:.1f} giây cho {answered} câu trả lời (tối thiểu {minimum:.1f} giây)"
    return None


def straightlining(values: list[int]) -> str | None:
    """Reason text when many criteria were all given the same value."""
    if len(values) >= int(setting("QUALITY_STRAIGHTLINE_MIN_ITEMS")) and len(set(values)) == 1:
        return f"cả {len(values)} tiêu chí cùng một mức {values[0]}"
    return None


class MemoryWindow:
    """Recent submission moments per counter, in this process (one worker, or SQLite embedded).

    Each counter keeps the moments of the last ``HORIZON`` before its newest one, each once per
    submission id, so a retried submission never counts twice.
    """

    HORIZON = 86400.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._moments: dict[int, list[tuple[float, str]]] = {}
        self._ids: dict[int, set[str]] = {}

    def record(self, counter_id: int, submission_id: str, moment: float, window: float) -> int:
        """Add a submission and return how many of the counter's lie in [moment - window, moment]."""
        with self._lock:
            moments = self._moments.setdefault(counter_id, [])
            ids = self._ids.setdefault(counter_id, set())
            if submission_id not in ids:
                ids.add(submission_id)
                bisect.insort(moments, (moment, submission_id))
            drop = bisect.bisect_left(moments, (moments[-1][0] - max(self.HORIZON, window), ""))
            for _, old in moments[:drop]:
                ids.discard(old)
            del moments[:drop]
            return (bisect.bisect_right(moments, (moment, "\uffff"))
                    - bisect.bisect_left(moments, (moment - window, "")))


class RedisWindow:
    """The same window shared by every worker through Redis: one sorted set per counter."""

    HORIZON = 86400.0

    def __init__(self, uri: str, namespace: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(uri, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = f"sipas:burst:{namespace}:"

    def record(self, counter_id: int, submission_id: str, moment: float, window: float) -> int:
        """Add a submission and count the counter's submissions in [moment - window, moment]."""
        key = f"{self._prefix}{counter_id}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.zadd(key, {submission_id: moment})
        pipe.zremrangebyscore(key, "-inf", moment - max(self.HORIZON, window))
        pipe.zcount(key, moment - window, moment)
        pipe.expire(key, int(2 * max(self.HORIZON, window)))
        return int(pipe.execute()[2])


def burst_window(app: Flask | None = None) -> MemoryWindow | RedisWindow:
    """The app's burst window: Redis when ``QUALITY_WINDOW_STORAGE_URI`` (by default the rate
    limits' storage) is a Redis URI, so every worker sees every submission; else this process.
    Redis keys are named after the database, so two installations never share a window."""
    app = app or current_app
    window = app.extensions.get("sipas_burst_window")
    if window is None:
        uri = (app.config.get("QUALITY_WINDOW_STORAGE_URI")
               or app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        if uri.startswith(("redis://", "rediss://")):
            database = str(app.config["SQLALCHEMY_DATABASE_URI"]).encode()
            window = RedisWindow(uri, hashlib.sha256(database).hexdigest()[:12])
        else:
            window = MemoryWindow()
        app.extensions["sipas_burst_window"] = window
    return window


def burst(counter_id: int, submission_id: str, moment: datetime) -> str | None:
    """Reason text when the counter sent more than N responses within M seconds.

    A window the store cannot reach (Redis down) raises no flag: flags are advice and a
    submission is never refused for them.
    """
    limit, window = int(setting("QUALITY_BURST_COUNT")), float(setting("QUALITY_BURST_SECONDS"))
    try:
        recent = burst_window().record(counter_id, submission_id, moment.timestamp(), window)
    except Exception:  # noqa: BLE001 - any failure of the window store means "no flag"
        current_app.logger.warning("burst window unavailable; no burst flag computed")
        return None
    if recent > limit:
        return f"{recent} phiếu từ quầy này trong {window:g} giây (giới hạn {limit})"
    return None


def flags_for(counter_id: int, submission_id: str, moment: datetime, duration: float | None,
              answers: dict[str, int], criteria: Collection[str]) -> list[tuple[str, str]]:
    """The (kind, detail) flags a submission deserves, before it is written; empty when none.

    ``criteria`` are the questionnaire's criterion codes (straight-lining looks at those only);
    ``moment`` is when the citizen submitted (the client's time when it sent one, else the
    time of receipt), so a backlog sent after an outage is not a burst.
    """
    values = [value for code, value in answers.items() if code in criteria]
    reasons = [("too_fast", too_fast(duration, len(answers))),
               ("straightlining", straightlining(values)),
               ("burst", burst(counter_id, submission_id, moment))]
    return [(kind, detail) for kind, detail in reasons if detail]
