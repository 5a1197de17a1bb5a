"""Officers as the workspace manages them: what the audit log keeps, the checks on typed text,
deactivation (which ends the officer's shifts) and which officers a user may see."""
from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import audit, duty
from ..auth.access import visible_agency_ids
from ..auth.login import aware
from ..models import Agency, Officer, OfficerShift, User, utcnow

# Control characters and lone surrogates: no database stores them as text (PostgreSQL refuses
# NUL), and no code or name needs them.
_UNSAFE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
CODE_MAX_LEN = 32
NAME_MAX_LEN = 200


def unsafe_text(value: object) -> bool:
    """True when ``value`` is text holding a control character or a lone surrogate."""
    return isinstance(value, str) and _UNSAFE.search(value) is not None


def is_locked(officer: Officer, now: datetime | None = None) -> bool:
    """Whether the officer is locked out after wrong PINs right now."""
    locked = aware(officer.locked_until)
    return locked is not None and locked > (now or utcnow())


def officer_state(officer: Officer) -> dict:
    """What the audit log keeps of an officer: never the PIN nor its hash, only whether one
    is set."""
    return {"code": officer.code, "name": officer.name, "agency_id": officer.agency_id,
            "active": officer.active, "pin_set": bool(officer.pin_hash),
            "failed_pins": officer.failed_pins,
            "locked_until": aware(officer.locked_until)}


def open_shift_counters(session: Session) -> dict[int, list[str]]:
    """Counter codes where each officer is on duty now (open shifts)."""
    from ..models import Counter

    rows = session.execute(sa.select(OfficerShift.officer_id, Counter.code)
                           .join(Counter, Counter.id == OfficerShift.counter_id)
                           .where(OfficerShift.ended_at.is_(None)))
    found: dict[int, list[str]] = {}
    for officer_id, code in rows:
        found.setdefault(officer_id, []).append(code)
    return found


def set_active(session: Session, user: User, officer: Officer, active: bool) -> int:
    """Activate or deactivate ``officer`` with its audit event; deactivating ends the officer's
    open shifts in the same transaction. Returns how many shifts were ended."""
    before = officer_state(officer)
    officer.active = active
    ended = 0 if active else duty.end_shifts(session, utcnow(), "deactivated",
                                             officer_id=officer.id)
    after = officer_state(officer)
    if ended:
        after["shifts_ended"] = ended
    audit.record(session, user, "activate" if active else "deactivate", "officer", officer.id,
                 before, after)
    return ended


def move_linked_users(session: Session, officer: Officer) -> list[int]:
    """Give the officer's user accounts the officer's agency; the ids of those moved."""
    users = session.scalars(sa.select(User).where(User.officer_id == officer.id,
                                                 User.agency_id != officer.agency_id)).all()
    for account in users:
        account.agency_id = officer.agency_id
    return [account.id for account in users]


def code_taken(session: Session, code: str, own_id: int | None) -> bool:
    """Whether another officer already has ``code``."""
    other = session.scalar(sa.select(Officer.id).where(Officer.code == code))
    return other is not None and other != own_id


def visible_officers(session: Session, user: User, within: list[int] | None = None
                     ) -> list[Officer]:
    """Officers ``user`` may see (all for admins and analysts, an agency viewer's subtree),
    restricted to the agencies ``within`` when given; by agency, then code."""
    query = sa.select(Officer).join(Agency, Agency.id == Officer.agency_id)
    allowed = visible_agency_ids(user)
    if allowed is not None:
        query = query.where(Officer.agency_id.in_(allowed))
    if within is not None:
        query = query.where(Officer.agency_id.in_(within))
    return list(session.scalars(query.order_by(Agency.code, Officer.code)))


def may_see(user: User, officer: Officer) -> bool:
    """Whether ``user`` (not an officer account) may see ``officer``'s results."""
    allowed = visible_agency_ids(user)
    return allowed is None or officer.agency_id in allowed
