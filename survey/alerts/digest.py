"""The daily alert digest: one e-mail per admin and agency viewer with an address.

A digest is written to ``digest_deliveries`` before it is sent (its text frozen), then sent
through the configured SMTP server. A refusal or an unreachable server leaves it ``failed``
with the error and the number of attempts; every later run tries again until
``DIGEST_MAX_ATTEMPTS``, and the alerts page shows what was not delivered — a digest is never
lost silently. An admin's digest holds every new alert; an agency viewer's those of their
agency subtree. "New" is: detected after that user's previous digest (the last 7 days for the
first one).
"""
from __future__ import annotations

import smtplib
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..auth.login import aware
from ..models import Agency, Alert, DigestDelivery, User, utcnow
from .describe import kind_label, size_text, unit_names

FIRST_DIGEST_DAYS = 7


def recipients(session: Session) -> list[User]:
    """Active admins and agency viewers who have an e-mail address."""
    return list(session.scalars(sa.select(User).where(
        User.active, User.role.in_(("admin", "agency_viewer")), User.email.is_not(None),
        User.email != "").order_by(User.id)))


def _scope(session: Session, user: User) -> list[int] | None:
    if user.role == "admin":
        return None
    agency = session.get(Agency, user.agency_id)
    return agency.subtree_ids() if agency else []


def _since(session: Session, user: User, now: datetime) -> datetime:
    last = session.scalar(sa.select(sa.func.max(DigestDelivery.created_at))
                          .where(DigestDelivery.user_id == user.id))
    if last is None:
        return now - timedelta(days=FIRST_DIGEST_DAYS)
    return aware(last)


def new_alerts(session: Session, user: User, now: datetime) -> list[Alert]:
    """The open alerts of ``user``'s scope detected since their previous digest."""
    query = sa.select(Alert).where(Alert.detected_at > _since(session, user, now),
                                   Alert.detected_at <= now, Alert.status == "open")
    scope = _scope(session, user)
    if scope is not None:
        query = query.where(Alert.agency_id.in_(scope))
    return list(session.scalars(query.order_by(Alert.kind, Alert.starts)))


def _text(session: Session, alerts: list[Alert], base_url: str) -> tuple[str, str]:
    names = unit_names(session, alerts)
    parts = []
    for locale in ("vi", "en"):
        with force_locale(locale):
            rows = [{"kind": kind_label(a.kind), "unit": names.get((a.level, a.unit_id), "?"),
                     "starts": a.starts, "size": size_text(a), "alert": a} for a in alerts]
            parts.append(render_template("alerts/digest.txt", rows=rows, count=len(alerts),
                                         url=f"{base_url.rstrip('/')}/alerts/"))
    with force_locale("vi"):
        from flask_babel import gettext
        subject = gettext("SIPAS: %(count)s new alerts", count=len(alerts))
    return subject + " / " + f"{len(alerts)} new alerts", "\n\n".join(parts)


def prepare(session: Session, day: date, now: datetime | None = None) -> list[DigestDelivery]:
    """Write today's digest of every recipient who has new alerts (once per user and day)."""
    now = (now or utcnow()).astimezone(UTC)   # SQLite compares times as text: always in UTC
    made = []
    for user in recipients(session):
        exists = session.scalar(sa.select(DigestDelivery.id).where(
            DigestDelivery.day == day, DigestDelivery.user_id == user.id))
        if exists is not None:
            continue
        alerts = new_alerts(session, user, now)
        if not alerts:
            continue
        subject, body = _text(session, alerts, current_app.config["PUBLIC_BASE_URL"])
        delivery = DigestDelivery(day=day, user_id=user.id, address=user.email,
                                  subject=subject, body=body, alerts=len(alerts),
                                  created_at=now)
        try:
            with session.begin_nested():
                session.add(delivery)
        except IntegrityError:   # another run wrote it first
            continue
        made.append(delivery)
    return made


def _message(delivery: DigestDelivery, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = delivery.subject
    message["From"] = sender
    message["To"] = delivery.address
    message.set_content(delivery.body)
    return message


def _send(config, message: EmailMessage) -> None:
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT_SECONDS"])
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(host, port, timeout=timeout) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def send_pending(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Send every digest not yet delivered that has attempts left; counts of sent, failed,
    waiting (no mail server configured)."""
    config = current_app.config
    now = now or utcnow()
    waiting = list(session.scalars(sa.select(DigestDelivery).where(
        DigestDelivery.status.in_(("pending", "failed")),
        DigestDelivery.attempts < int(config["DIGEST_MAX_ATTEMPTS"]))
        .order_by(DigestDelivery.id)))
    counts = {"sent": 0, "failed": 0, "waiting": 0}
    if not config["MAIL_SERVER"]:
        counts["waiting"] = len(waiting)
        return counts
    for delivery in waiting:
        delivery.attempts += 1
        try:
            _send(config, _message(delivery, config["MAIL_SENDER"]))
        except (smtplib.SMTPException, OSError) as error:
            delivery.status = "failed"
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            counts["failed"] += 1
        else:
            delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
            counts["sent"] += 1
        session.commit()
    return counts
