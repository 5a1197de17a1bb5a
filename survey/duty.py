"""Officers on duty at a counter: signing on at the tablet with a PIN, signing off.

A kiosk response carries the officer whose shift at its counter covers the moment it was
submitted (``storage`` looks the shift up in the insert itself, so an answer sheet sent late
from the tablet's queue still gets the officer who served the citizen). PINs are checked
against their hash; a run of wrong PINs locks the officer out for a while and is audited, so a
PIN cannot be found by trying.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from . import audit
from .auth.login import aware
from .models import Counter, Officer, OfficerShift, utcnow

PIN_PATTERN = r"^[0-9]{4,8}$"
CODE_MAX_LEN = 32


@dataclass(frozen=True)
class SignOn:
    """The outcome of a sign-on: ``state`` is ok, wrong, locked or unknown."""

    state: str
    shift: OfficerShift | None = None
    locked_until: datetime | None = None


def open_shift(session: Session, counter_id: int) -> OfficerShift | None:
    """The shift running now at a counter, if any."""
    return session.scalar(sa.select(OfficerShift).where(
        OfficerShift.counter_id == counter_id, OfficerShift.ended_at.is_(None))
        .order_by(OfficerShift.started_at.desc()).limit(1))


def end_shifts(session: Session, now: datetime, reason: str, *, counter_id: int | None = None,
               officer_id: int | None = None) -> int:
    """End the open shifts of a counter or of an officer; how many were ended."""
    query = sa.update(OfficerShift).where(OfficerShift.ended_at.is_(None))
    if counter_id is not None:
        query = query.where(OfficerShift.counter_id == counter_id)
    if officer_id is not None:
        query = query.where(OfficerShift.officer_id == officer_id)
    return session.execute(query.values(ended_at=now, ended_reason=reason)).rowcount


def sign_on(session: Session, counter: Counter, code: str, pin: str,
            now: datetime | None = None) -> SignOn:
    """Put the officer with ``code`` on duty at ``counter`` when ``pin`` is theirs.

    The officer must be active and of the counter's agency. A wrong PIN counts towards the
    lock-out (``OFFICER_PIN_MAX_FAILURES`` in a row lock it for ``OFFICER_PIN_LOCK_SECONDS``);
    the caller commits either way, so the count and the audit events are kept.
    """
    now = now or utcnow()
    officer = session.scalar(sa.select(Officer).where(Officer.code == code)
                             .with_for_update())
    if officer is None or not officer.active or officer.agency_id != counter.agency_id:
        return SignOn("unknown")
    locked = aware(officer.locked_until)
    if locked is not None and locked > now:
        return SignOn("locked", locked_until=locked)
    if not officer.check_pin(pin):
        officer.failed_pins += 1
        limit = int(current_app.config["OFFICER_PIN_MAX_FAILURES"])
        if officer.failed_pins >= limit:
            officer.locked_until = now + timedelta(
                seconds=int(current_app.config["OFFICER_PIN_LOCK_SECONDS"]))
            officer.failed_pins = 0
            audit.record(session, None, "officer_pin_locked", "officer", officer.id, None,
                         {"counter": counter.code, "failures": limit,
                          "locked_until": officer.locked_until})
            return SignOn("locked", locked_until=officer.locked_until)
        audit.record(session, None, "officer_pin_wrong", "officer", officer.id, None,
                     {"counter": counter.code, "failures": officer.failed_pins})
        return SignOn("wrong")
    officer.failed_pins = 0
    officer.locked_until = None
    end_shifts(session, now, "replaced", counter_id=counter.id)
    end_shifts(session, now, "moved", officer_id=officer.id)
    shift = OfficerShift(counter_id=counter.id, officer_id=officer.id, started_at=now)
    session.add(shift)
    audit.record(session, None, "officer_sign_on", "officer", officer.id, None,
                 {"counter": counter.code})
    return SignOn("ok", shift=shift)


def sign_off(session: Session, counter: Counter, now: datetime | None = None) -> bool:
    """End the shift running at ``counter``; False when nobody was on duty."""
    now = now or utcnow()
    shift = open_shift(session, counter.id)
    if shift is None:
        return False
    shift.ended_at, shift.ended_reason = now, "signed_off"
    audit.record(session, None, "officer_sign_off", "officer", shift.officer_id, None,
                 {"counter": counter.code})
    return True
