"""Tablets gone silent: a counter's kiosk that has sent nothing for longer than chance explains.

A silence is measured in opening hours (``calendar``), so a weekend or a holiday is not one. It
raises an alert when it lasts at least ``SILENT_WORKING_HOURS`` and is unlikely for that
counter: if a share q of its opening hours in the four weeks before its last answer had at least
one kiosk answer, H opening hours in a row without one have probability (1 − q)^H (hours taken
as independent); below ``SILENT_P_VALUE`` the tablet is probably off, broken or offline.
Counting hours with an answer, not answers, keeps a burst (a queue, or the fraud the watch also
looks for) from making an ordinary quiet spell look unlikely. A quiet commune counter that
gets two citizens a day is not alarmed after a quiet morning; a busy one is. Only counters whose
tablet has answered in those four weeks are watched. One alert per silence: its key is the
counter and the time of its last answer.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..auth.login import aware
from ..models import Counter, Response
from .calendar import LOCAL_TZ, Calendar
from .store import Found

RATE_DAYS = 28


def _answered_hours(moments: list[datetime], calendar: Calendar) -> int:
    """Distinct opening hours (local date and hour) in which the tablet answered."""
    return len({(local.date(), local.hour) for local in (
        aware(m).astimezone(LOCAL_TZ) for m in moments) if calendar.is_open(local)})


def silent_tablets(session: Session, calendar: Calendar, now: datetime, hours: float,
                   p_value: float) -> list[Found]:
    """An alert for every active counter whose kiosk has been silent ``hours`` opening hours
    or more, with a probability of that silence under its own activity at most ``p_value``."""
    now = now.astimezone(UTC)        # SQLite compares times as text: always in UTC
    since = now - timedelta(days=RATE_DAYS)
    rows = session.execute(
        sa.select(Counter.id, Counter.code, Counter.agency_id, Response.received_at)
        .join(Response, Response.counter_id == Counter.id)
        .where(Counter.active, Response.channel == "kiosk", Response.received_at >= since)
        .order_by(Counter.id)).all()
    by_counter: dict[int, tuple[str, int, list[datetime]]] = {}
    for counter_id, code, agency_id, received in rows:
        by_counter.setdefault(counter_id, (code, agency_id, []))[2].append(received)
    found = []
    for counter_id, (code, agency_id, moments) in by_counter.items():
        last_at = max(aware(m) for m in moments)
        silent = calendar.working_hours_between(last_at, now)
        exposure = calendar.working_hours_between(since, last_at)
        if silent < hours or exposure < 1:
            continue
        share = min(_answered_hours(moments, calendar) / exposure, 1.0)
        chance = (1.0 - share) ** silent
        if chance <= p_value:
            found.append(Found(
                key=f"silent:{counter_id}:{last_at.isoformat()}", kind="silent",
                level="counter", unit_id=counter_id, agency_id=agency_id, starts=last_at,
                size=round(silent, 1), p_value=chance,
                evidence={"counter": code, "last_answer": last_at.isoformat(),
                          "opening_hours_silent": round(silent, 1),
                          "share_of_opening_hours_with_an_answer": round(share, 3),
                          "answers_in_the_4_weeks_before": len(moments),
                          "threshold_hours": hours}))
    return found
