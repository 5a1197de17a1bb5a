"""The links of invitations: a signed token that carries only the invitation's nonce, the
public URL built from it, and its QR code (SVG for print, PNG for SMS and chat apps)."""
from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from ..responses import safe_text

SALT = "sipas-invitation-link"
TOKEN_MAX_LEN = 200
NONCE_MAX_LEN = 32


def new_nonce() -> str:
    """A fresh random nonce (128 bits) identifying one invitation."""
    return secrets.token_urlsafe(16)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(nonce: str) -> str:
    """The signed token of the invitation whose nonce is ``nonce``."""
    return _serializer().dumps(nonce)


def nonce_of(token: str) -> str | None:
    """The nonce a genuine token carries; None for a tampered, foreign or malformed token."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_LEN \
            or not token.isascii():
        return None
    try:
        nonce = _serializer().loads(token)
    except (BadData, UnicodeError, ValueError, TypeError):
        return None
    return nonce if safe_text(nonce, NONCE_MAX_LEN) else None


def public_url(token: str, suffix: str = "") -> str:
    """``PUBLIC_BASE_URL/i/<token>`` (plus ``suffix``, e.g. ``/qr.svg``)."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}/i/{token}{suffix}"


def aware(moment: datetime) -> datetime:
    """``moment`` in UTC (SQLite hands back naive date-times, which are UTC here)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def qr_svg(url: str) -> bytes:
    """A standalone SVG of the QR code of ``url``."""
    import segno  # loaded on first use, not when the app starts

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, dark="#000")
    return buffer.getvalue()


def qr_png(url: str) -> bytes:
    """A PNG of the QR code of ``url``, large enough to scan from a phone screen."""
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()
