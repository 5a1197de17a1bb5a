"""Tablets gone silent: a counter's kiosk that has sent nothing for N opening hours.

A silence is measured in opening hours (``calendar``), so a weekend or a holiday is not one.
Only counters whose tablet has answered before are watched (a counter that never used its
tablet is shown in the counters page instead). One alert per silence: its key is the counter
and the time of its last answer.
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Counter, Response
from .calendar import Calendar
from .store import Found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def silent_tablets(session: Session, calendar: Calendar, now: datetime,
                   hours: float) -> list[Found]:
    """An alert for every active counter whose last kiosk answer is ``hours`` opening hours
    or more before ``now``."""
    last = (sa.select(Response.counter_id, sa.func.max(Response.received_at).label("last"))
            .where(Response.channel == "kiosk").group_by(Response.counter_id).subquery())
    rows = session.execute(sa.select(Counter.id, Counter.code, Counter.agency_id, last.c.last)
                           .join(last, last.c.counter_id == Counter.id)
                           .where(Counter.active)).all()
    found = []
    for counter_id, code, agency_id, last_at in rows:
        last_at = _aware(last_at)
        silent = calendar.working_hours_between(last_at, now)
        if silent >= hours:
            found.append(Found(
                key=f"silent:{counter_id}:{last_at.isoformat()}", kind="silent",
                level="counter", unit_id=counter_id, agency_id=agency_id, starts=last_at,
                size=round(silent, 1),
                evidence={"counter": code, "last_answer": last_at.isoformat(),
                          "opening_hours_silent": round(silent, 1), "threshold_hours": hours}))
    return found
