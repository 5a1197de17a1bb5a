"""Helpers the kiosk browser tests share: which screen is showing, and waiting for stored rows."""
from __future__ import annotations

import time

from survey.extensions import db
from survey.models import Response


def screen(page) -> str:
    """The name of the kiosk screen on show (its ``data-screen``)."""
    return page.locator("#screen").get_attribute("data-screen") or ""


def wait_screen_change(page, current: str) -> str:
    """Wait until the kiosk leaves screen ``current``; the new screen's name."""
    page.wait_for_function("s => document.getElementById('screen').dataset.screen !== s",
                           arg=current)
    return screen(page)


def wait_for_rows(app, count: int, timeout: float = 20) -> int:
    """Responses in the database once there are ``count`` of them, or when ``timeout`` ends."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            found = db.session.query(Response).count()
            db.session.remove()
        if found >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
