"""The daily alert digest over a real SMTP conversation (aiosmtpd on a local port): who gets
which alerts, a refusing or absent server leaves the digest failed and visible, a later run
delivers it once."""
from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from survey.alerts import digest
from survey.alerts.store import Found, record
from survey.extensions import db
from survey.models import Counter, DigestDelivery, User

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


class Inbox:
    """An SMTP handler that keeps what arrives, or refuses every message when told to."""

    def __init__(self):
        self.messages, self.refuse = [], False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 Transaction failed: refused by test"
        self.messages.append((envelope.rcpt_tos, message_from_bytes(
            envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_SENDER="sipas@so-noi-vu.example", DIGEST_MAX_ATTEMPTS=3)
    yield inbox
    controller.stop()


@pytest.fixture
def alerts(app, province, make_user):
    """Two alerts at the root agency's counter, one at the district's; an admin and a district
    viewer with addresses, an analyst (never a recipient) and an admin without one."""
    with app.app_context():
        counters = {c.code: c for c in db.session.scalars(sa.select(Counter))}
        found = [Found(key=f"drop:counter:{c.id}:{i}", kind="drop", level="counter",
                       unit_id=c.id, agency_id=c.agency_id,
                       starts=NOW - timedelta(days=3), size=11.5 + i, p_value=0.001,
                       q_value=0.01, evidence={"week": "2026-11-23"})
                 for i, c in enumerate([counters["SNV-Q1"], counters["SNV-Q1"],
                                        counters["H-AN-Q1"]])]
        added = record(db.session, found)
        for alert in added:
            alert.detected_at = NOW - timedelta(hours=1)
        db.session.commit()
    ids = {"admin": make_user("admin"), "viewer": make_user("agency_viewer", "H-AN"),
           "analyst": make_user("analyst"), "mute": make_user("admin", username="mute")}
    with app.app_context():
        db.session.get(User, ids["admin"]).email = "admin@so-noi-vu.example"
        db.session.get(User, ids["viewer"]).email = "huyen@an-phu.example"
        db.session.get(User, ids["analyst"]).email = "analyst@so-noi-vu.example"
        db.session.commit()
    return ids


def _prepare_and_send(app):
    with app.app_context():
        written = digest.prepare(db.session, date(2026, 11, 30), NOW)
        db.session.commit()
        return len(written), digest.send_pending(db.session, NOW)


def test_each_recipient_gets_the_alerts_of_their_scope(app, alerts, smtp):
    written, counts = _prepare_and_send(app)
    assert written == 2 and counts == {"sent": 2, "failed": 0, "waiting": 0}
    received = {tuple(to): message for to, message in smtp.messages}
    assert set(received) == {("admin@so-noi-vu.example",), ("huyen@an-phu.example",)}
    admin = received[("admin@so-noi-vu.example",)]
    viewer = received[("huyen@an-phu.example",)]
    assert admin["Subject"].startswith("SIPAS: 3 cảnh báo mới")
    assert viewer["Subject"].startswith("SIPAS: 1 cảnh báo mới")
    body = admin.get_content()
    assert body.count("SNV-Q1 – Quầy 1") == 4 and body.count("H-AN-Q1 – Quầy 1") == 2  # vi + en
    assert "Sụt giảm chỉ số" in body and "Index drop" in body and "12,5 điểm" in body
    assert "SNV-Q1" not in viewer.get_content()
    # a second run the same day writes and sends nothing more
    assert _prepare_and_send(app) == (0, {"sent": 0, "failed": 0, "waiting": 0})
    assert len(smtp.messages) == 2


def test_a_refused_digest_is_kept_failed_and_sent_by_a_later_run(app, alerts, smtp, client):
    smtp.refuse = True
    written, counts = _prepare_and_send(app)
    assert (written, counts["failed"], counts["sent"]) == (2, 2, 0)
    with app.app_context():
        failed = db.session.scalars(sa.select(DigestDelivery)).all()
        assert {(d.status, d.attempts) for d in failed} == {("failed", 1)}
        assert all("554" in d.last_error for d in failed)
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(alerts["admin"]), True
    page = client.get("/alerts/").get_data(as_text=True)
    assert page.count("chưa gửi được") == 2 and "554" in page
    smtp.refuse = False
    with app.app_context():
        assert digest.send_pending(db.session, NOW) == {"sent": 2, "failed": 0, "waiting": 0}
    assert len(smtp.messages) == 2


def test_a_server_that_is_down_fails_until_the_attempts_run_out(app, alerts):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_TIMEOUT_SECONDS=2,
                      DIGEST_MAX_ATTEMPTS=2)
    _prepare_and_send(app)
    with app.app_context():
        assert digest.send_pending(db.session, NOW)["failed"] == 2
        assert digest.send_pending(db.session, NOW) == {"sent": 0, "failed": 0, "waiting": 0}
        rows = db.session.scalars(sa.select(DigestDelivery)).all()
        assert {(d.status, d.attempts) for d in rows} == {("failed", 2)}
        assert all("ConnectionRefusedError" in d.last_error for d in rows)


def test_without_a_mail_server_digests_wait(app, alerts):
    app.config["MAIL_SERVER"] = ""
    written, counts = _prepare_and_send(app)
    assert written == 2 and counts == {"sent": 0, "failed": 0, "waiting": 2}
