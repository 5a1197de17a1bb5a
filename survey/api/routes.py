"""The JSON API used by kiosks: store a response, fetch a questionnaire definition.

Kiosks authenticate with their counter token in the body; the blueprint is CSRF-exempt, so a
tablet left open for days never fails on an expired form token.

Hostile input never reaches the database as such: the body is read once, with a size limit and
only as JSON (``payload.py``), so no client input causes a 5xx.
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import InterfaceError, OperationalError

from ..extensions import db, limiter
from ..queries import latest_questionnaire
from ..responses import TOKEN_MAX_LEN, VERSION_MAX, safe_text, store_submission, valid_version
from . import bp
from .payload import peek_payload, read_payload


def _counter_key() -> str:
    """Rate-limit key: the counter token when it is a plausible one, else a shared bucket."""
    payload = peek_payload()
    token = payload.get("counter") if isinstance(payload, dict) else None
    return f"counter:{token if safe_text(token, TOKEN_MAX_LEN) else '-'}"


def _counter_limit() -> str:
    return current_app.config.get("RATELIMIT_COUNTER", "120 per minute")


def _client_limit() -> str:
    return current_app.config.get("RATELIMIT_CLIENT", "60 per minute")


def unavailable():
    """503 with a retry hint: the database did not answer and nothing was written."""
    db.session.rollback()
    retry = int(current_app.config.get("API_RETRY_AFTER_SECONDS", 30))
    current_app.logger.warning("database unavailable while storing a response")
    response = jsonify(error="database_unavailable", retry_after=retry,
                       message="the response was not stored; send it again later")
    response.headers["Retry-After"] = str(retry)
    return response, 503


@bp.post("/responses")
@limiter.limit(_counter_limit, key_func=_counter_key)
@limiter.limit(_client_limit, key_func=get_remote_address)
def create_response():
    """Store one response (see DESIGN.md contract 3)."""
    read = read_payload()
    if read.error is not None:
        return jsonify(error="malformed", message=read.error), 400
    payload = read.value
    channel = payload.get("channel", "kiosk") if isinstance(payload, dict) else "kiosk"
    try:
        status, body = store_submission(db.session, payload, channel, get_remote_address())
    except (OperationalError, InterfaceError):
        return unavailable()
    return jsonify(body), status


@bp.get("/questionnaires/<code>")
def questionnaire(code: str):
    """The latest published definition of a questionnaire, or ``?version=N``."""
    version = request.args.get("version", type=int)
    if "version" in request.args and version is None:
        return jsonify(error="invalid", errors={"version": "must be a whole number"}), 422
    if version is not None and not valid_version(version):
        return jsonify(error="invalid", errors={
            "version": f"must be a whole number from 1 to {VERSION_MAX}"}), 422
    found = latest_questionnaire(db.session, code, version) if safe_text(
        code, TOKEN_MAX_LEN) else None
    if found is None:
        return jsonify(error="not_found", message="unknown questionnaire or version"), 404
    response = jsonify(code=found.code, version=found.version, checksum=found.checksum,
                       definition=found.definition)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
