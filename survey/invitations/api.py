"""``POST /api/v1/invitations``: the one-stop system asks for a dossier's survey link.

Authenticated by ``Authorization: Bearer <key>`` (no cookie, no CSRF token: the path is under
``/api/``, which gets a null session), rate-limited per key. See ``docs/invitations-api.md``.
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError

from ..api.payload import read_payload
from ..api.routes import unavailable
from ..extensions import csrf, db, limiter
from ..models import utcnow
from . import bp
from .issue import issue
from .keys import PREFIX_LEN, authenticate, bearer_key

UNAUTHORIZED = {"error": "unauthorized", "errors": {
    "authorization": "missing, unknown or revoked API key (send Authorization: Bearer <key>)"}}


def _key_bucket() -> str:
    """Rate-limit key: the key's prefix (never the key), or one bucket for requests without."""
    key = bearer_key(request.headers.get("Authorization"))
    return f"invitations:{key[:PREFIX_LEN] if key else '-'}"


def _limit() -> str:
    return current_app.config.get("RATELIMIT_INVITATIONS", "300 per minute")


def _unauthorized():
    response = jsonify(UNAUTHORIZED)
    response.headers["WWW-Authenticate"] = 'Bearer realm="sipas"'
    return response, 401


@bp.post("/api/v1/invitations")
@csrf.exempt
@limiter.limit(_limit, key_func=_key_bucket)
def create_invitation():
    """Give the survey link of one dossier (201 new, 200 the same live link again)."""
    try:
        client = authenticate(db.session, bearer_key(request.headers.get("Authorization")))
        if client is None:
            return _unauthorized()
        read = read_payload()
        if read.error is not None:
            return jsonify(error="invalid", errors={"body": read.error}), 422
        client.last_used_at = utcnow()
        db.session.flush()  # the key's row stays locked to the commit: see ``issue``
        status, body = issue(db.session, client, read.value)
        db.session.commit()
    except (OperationalError, InterfaceError):
        return unavailable()
    return jsonify(body), status
