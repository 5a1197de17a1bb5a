"""Tablets gone silent: a counter's kiosk that has sent nothing for longer than chance explains.

A silence is measured in opening hours (``calendar``), so a weekend or a holiday is not one. It
raises an alert when it lasts at least ``SILENT_WORKING_HOURS`` and is unlikely for that
counter: with its kiosk answering at rate λ per opening hour over the four weeks before its last
answer (a Poisson process), no answer in H opening hours has probability exp(−λH); below
``SILENT_P_VALUE`` the tablet is probably off, broken or offline. A quiet commune counter that
gets two citizens a day is not alarmed after a quiet morning; a busy one is. Only counters whose
tablet has answered in those four weeks are watched. One alert per silence: its key is the
counter and the time of its last answer.
"""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Counter, Response
from .calendar import Calendar
from .store import Found

RATE_DAYS = 28


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def silent_tablets(session: Session, calendar: Calendar, now: datetime, hours: float,
                   p_value: float) -> list[Found]:
    """An alert for every active counter whose kiosk has been silent ``hours`` opening hours
    or more, with a probability of that silence under its own rate at most ``p_value``."""
    since = now - timedelta(days=RATE_DAYS)
    recent = (sa.select(Response.counter_id, sa.func.max(Response.received_at).label("last"),
                        sa.func.count().label("n"))
              .where(Response.channel == "kiosk", Response.received_at >= since)
              .group_by(Response.counter_id).subquery())
    rows = session.execute(sa.select(Counter.id, Counter.code, Counter.agency_id, recent.c.last,
                                     recent.c.n)
                           .join(recent, recent.c.counter_id == Counter.id)
                           .where(Counter.active)).all()
    found = []
    for counter_id, code, agency_id, last_at, answered in rows:
        last_at = _aware(last_at)
        silent = calendar.working_hours_between(last_at, now)
        exposure = calendar.working_hours_between(since, last_at)
        if silent < hours or exposure <= 0:
            continue
        rate = answered / exposure
        chance = math.exp(-rate * silent)
        if chance <= p_value:
            found.append(Found(
                key=f"silent:{counter_id}:{last_at.isoformat()}", kind="silent",
                level="counter", unit_id=counter_id, agency_id=agency_id, starts=last_at,
                size=round(silent, 1), p_value=chance,
                evidence={"counter": code, "last_answer": last_at.isoformat(),
                          "opening_hours_silent": round(silent, 1),
                          "answers_per_opening_hour": round(rate, 3),
                          "answers_in_the_4_weeks_before": int(answered),
                          "threshold_hours": hours}))
    return found
