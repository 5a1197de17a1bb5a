"""The kiosk's staff mode: which officer is on duty at the counter, sign on with a PIN, off.

The tablet authenticates with its counter token, as for responses. An unknown officer code and
a wrong PIN get the same answer, so codes cannot be found by trying; a run of wrong PINs locks
the officer out (``survey.duty``) and sign-on attempts are rate limited per counter.
"""
from __future__ import annotations

import re

from flask import jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError

from .. import duty
from ..extensions import db, limiter
from ..models import Officer
from ..responses import TOKEN_MAX_LEN, find_counter, safe_text
from . import bp
from .payload import read_payload
from .routes import _counter_key, unavailable

SIGN_ON_LIMIT = "10 per minute"


def _shift_body(shift) -> dict:
    if shift is None:
        return {"on_duty": None}
    officer = db.session.get(Officer, shift.officer_id)
    return {"on_duty": {"code": officer.code, "name": officer.name,
                        "since": shift.started_at.isoformat()}}


def _counter(token):
    found = find_counter(db.session, token if safe_text(token, TOKEN_MAX_LEN) else None)
    return found.counter if found.state == "ok" else None


def _body():
    read = read_payload()
    if read.error is not None:
        return None, (jsonify(error="malformed", message=read.error), 400)
    if not isinstance(read.value, dict):
        return None, (jsonify(error="malformed", message="the body must be a JSON object"), 400)
    return read.value, None


@bp.get("/duty")
def duty_now():
    """Who is on duty at the counter of ``?counter=TOKEN``."""
    try:
        counter = _counter(request.args.get("counter"))
        if counter is None:
            return jsonify(error="counter_unknown"), 404
        return jsonify(_shift_body(duty.open_shift(db.session, counter.id)))
    except (OperationalError, InterfaceError):
        return unavailable()


@bp.post("/duty")
@limiter.limit(SIGN_ON_LIMIT, key_func=_counter_key)
def duty_sign_on():
    """Sign an officer on at the counter: ``{"counter": TOKEN, "officer": CODE, "pin": PIN}``."""
    payload, error = _body()
    if error:
        return error
    code, pin = payload.get("officer"), payload.get("pin")
    errors = {}
    if not safe_text(code, duty.CODE_MAX_LEN):
        errors["officer"] = "an officer code of at most 32 characters"
    if not isinstance(pin, str) or not re.match(duty.PIN_PATTERN, pin):
        errors["pin"] = "4 to 8 digits"
    if errors:
        return jsonify(error="invalid", errors=errors), 422
    try:
        counter = _counter(payload.get("counter"))
        if counter is None:
            return jsonify(error="counter_unknown"), 404
        result = duty.sign_on(db.session, counter, code.strip(), pin)
        db.session.commit()
        if result.state == "ok":
            return jsonify(_shift_body(result.shift))
        if result.state == "locked":
            return jsonify(error="locked", until=result.locked_until.isoformat()), 423
        return jsonify(error="not_accepted",
                       message="unknown officer of this agency or wrong PIN"), 401
    except (OperationalError, InterfaceError):
        return unavailable()


@bp.post("/duty/end")
def duty_sign_off():
    """End the shift running at the counter: ``{"counter": TOKEN}``."""
    payload, error = _body()
    if error:
        return error
    try:
        counter = _counter(payload.get("counter"))
        if counter is None:
            return jsonify(error="counter_unknown"), 404
        ended = duty.sign_off(db.session, counter)
        db.session.commit()
        return jsonify(on_duty=None, ended=ended)
    except (OperationalError, InterfaceError):
        return unavailable()
