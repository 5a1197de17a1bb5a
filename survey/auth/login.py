"""Checking a sign-in attempt: password, failure counter and temporary lock-out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..models import AuditEvent, User, utcnow

_DUMMY: dict[str, str] = {}


def _spend_hash_time(password: str) -> None:
    """Check ``password`` against a throwaway hash so unknown names take as long as known ones."""
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = generate_password_hash("not-a-real-password")
    check_password_hash(_DUMMY["hash"], password)


@dataclass
class Attempt:
    """Outcome of a sign-in attempt: ``state`` is ok, failed or locked."""

    state: str
    user: User | None = None
    minutes: int = 0


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` with UTC attached when the database returned it without a zone (SQLite)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _lock_seconds() -> int:
    return int(current_app.config["LOGIN_LOCK_SECONDS"])


def _max_failures() -> int:
    return int(current_app.config["LOGIN_MAX_FAILURES"])


def _minutes() -> int:
    return max(1, -(-_lock_seconds() // 60))


def _unknown_name_locked(session: Session, username: str, now: datetime) -> bool:
    """Whether an unknown name has failed as often as a real account would be locked after."""
    recent = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.entity == "login", AuditEvent.action == "login_failed",
        AuditEvent.entity_id == username,
        AuditEvent.at >= now - timedelta(seconds=_lock_seconds())))
    return recent >= _max_failures()


def _fail(session: Session, username: str, user: User | None, now: datetime) -> Attempt:
    audit.record(session, user, "login_failed", "login", username, None,
                 {"username": username})
    if user is None:
        session.flush()
        locked = _unknown_name_locked(session, username, now)
        return Attempt("locked" if locked else "failed", None, _minutes())
    failures = session.execute(  # one UPDATE, so parallel attempts all count
        sa.update(User).where(User.id == user.id)
        .values(failed_logins=sa.func.coalesce(User.failed_logins, 0) + 1)
        .returning(User.failed_logins)).scalar_one()
    if failures >= _max_failures():
        user.locked_until = now + timedelta(seconds=_lock_seconds())
        return Attempt("locked", user, _minutes())
    return Attempt("failed", user, _minutes())


def attempt(session: Session, username: str, password: str) -> Attempt:
    """Check a sign-in; update the failure counter, lock and last sign-in time of the user."""
    now = utcnow()
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    if user is not None:
        until = aware(user.locked_until)
        if until is not None and until > now:
            return Attempt("locked", user, _minutes())
        if until is not None:
            user.failed_logins, user.locked_until = 0, None
    elif _unknown_name_locked(session, username, now):
        return Attempt("locked", None, _minutes())
    if user is None:
        _spend_hash_time(password)
        return _fail(session, username, None, now)
    if not user.check_password(password) or not user.active:
        return _fail(session, username, user, now)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    audit.record(session, user, "login", "login", username, None, {"username": username})
    return Attempt("ok", user)
