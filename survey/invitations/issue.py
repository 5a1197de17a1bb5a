"""Issuing an invitation for one dossier: checking the one-stop system's request, refusing
what its key may not ask for, and giving the same link back to a repeated request.

``issue`` returns (HTTP status, JSON body), as ``survey.responses.store_submission`` does. The
dossier code is kept only as its keyed hash (``survey.responses.dossier_hash``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, selectinload

from ..models import ApiClient, Counter, Invitation, Questionnaire, Response, ServiceArea, utcnow
from ..queries import latest_questionnaire
from ..responses import TOKEN_MAX_LEN, dossier_hash, safe_text
from .links import aware, make_token, new_nonce, public_url

#: A dossier code once spaces are removed and letters upper-cased (as ``dossier_hash`` does).
DOSSIER_FORMAT = re.compile(r"[A-Z0-9._/-]{1,64}")
DOSSIER_RAW_MAX_LEN = 256
FIELDS = ("dossier", "counter", "service_area", "questionnaire", "ttl_days")

FORBIDDEN = (403, {"error": "forbidden", "errors": {
    "counter": "unknown counter, or not one of this key's agencies"}})
ALREADY_EVALUATED = (409, {"error": "dossier_already_evaluated", "errors": {
    "dossier": "this dossier has already been evaluated; no new link is issued"}})


@dataclass
class Asked:
    """A checked request: the dossier's hash, the counter, area, questionnaire and lifetime."""

    dossier_hash: str
    counter: Counter
    service_area: ServiceArea
    questionnaire: Questionnaire
    ttl_days: int


def normalised_dossier(raw: Any) -> str | None:
    """The dossier code without spaces, upper-cased; None when it is not a valid code."""
    if not isinstance(raw, str) or len(raw) > DOSSIER_RAW_MAX_LEN:
        return None
    code = "".join(raw.split()).upper()
    return code if DOSSIER_FORMAT.fullmatch(code) else None


def hash_key() -> str:
    """The key of the dossier hash: ``DOSSIER_HASH_KEY``, else ``SECRET_KEY``."""
    return current_app.config.get("DOSSIER_HASH_KEY") or current_app.config["SECRET_KEY"]


def _ttl(raw: Any, errors: dict[str, str]) -> int:
    longest = int(current_app.config.get("INVITATION_TTL_DAYS", 30))
    if raw is None:
        return longest
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= longest:
        errors["ttl_days"] = f"must be a whole number of days from 1 to {longest}"
        return longest
    return raw


def _questionnaire(session: Session, raw: Any, errors: dict[str, str]) -> Questionnaire | None:
    code = current_app.config.get("CITIZEN_QUESTIONNAIRE", "sipas") if raw is None else raw
    found = latest_questionnaire(session, code) if safe_text(code, TOKEN_MAX_LEN) else None
    if found is None:
        errors["questionnaire"] = "unknown questionnaire"
    return found


def _counter(session: Session, client: ApiClient, code: str) -> Counter | None:
    """The counter ``code`` if this client's key covers it (None: unknown or out of scope)."""
    counter = session.scalars(sa.select(Counter).options(selectinload(Counter.service_areas))
                              .where(Counter.code == code)).first()
    if counter is None or client.agency is None:
        return counter
    return counter if counter.agency_id in client.agency.subtree_ids() else None


def _area(counter: Counter, raw: Any, errors: dict[str, str]) -> ServiceArea | None:
    served = counter.service_areas
    if raw is None:
        if len(served) == 1:
            return served[0]
        errors["service_area"] = "is required: this counter serves several areas" if served \
            else "this counter serves no service area"
        return None
    found = next((a for a in served if isinstance(raw, str) and a.code == raw), None)
    if found is None:
        errors["service_area"] = "unknown service area, or not served at this counter"
    return found


def check(session: Session, client: ApiClient,
          body: Any) -> tuple[Asked | None, tuple[int, dict] | None]:
    """The checked request, or the refusal to answer (status, body)."""
    if not isinstance(body, dict):
        return None, (422, {"error": "invalid", "errors": {"body": "must be a JSON object"}})
    errors: dict[str, str] = {}
    unknown = sorted(str(k)[:40] for k in body if k not in FIELDS)
    if unknown:
        errors["body"] = f"unknown fields: {', '.join(unknown)}"
    dossier = normalised_dossier(body.get("dossier"))
    if dossier is None:
        errors["dossier"] = ("is required: 1 to 64 letters, digits or - _ . / "
                             "(spaces are ignored)")
    counter_code = body.get("counter")
    if not safe_text(counter_code, TOKEN_MAX_LEN):
        errors["counter"] = "is required: the code of a counter"
    questionnaire = _questionnaire(session, body.get("questionnaire"), errors)
    ttl = _ttl(body.get("ttl_days"), errors)
    if errors:
        return None, (422, {"error": "invalid", "errors": errors})
    counter = _counter(session, client, counter_code)
    if counter is None:
        return None, FORBIDDEN
    if not counter.active:
        errors["counter"] = "this counter is not taking part in the survey"
    area = _area(counter, body.get("service_area"), errors)
    if errors:
        return None, (422, {"error": "invalid", "errors": errors})
    return Asked(dossier_hash(dossier, hash_key()), counter, area, questionnaire, ttl), None


def evaluated(session: Session, questionnaire_code: str, hashed: str) -> Response | None:
    """The response that already evaluated this dossier with this questionnaire, if any."""
    return session.scalars(sa.select(Response).where(
        Response.questionnaire_code == questionnaire_code,
        Response.dossier_hash == hashed).limit(1)).first()


def _live(session: Session, client: ApiClient, asked: Asked) -> Invitation | None:
    """A link this client already has for the same request and that is still valid."""
    return session.scalars(sa.select(Invitation).where(
        Invitation.client_id == client.id, Invitation.counter_id == asked.counter.id,
        Invitation.service_area_id == asked.service_area.id,
        Invitation.questionnaire_code == asked.questionnaire.code,
        Invitation.dossier_hash == asked.dossier_hash, Invitation.used_at.is_(None),
        Invitation.expires_at > utcnow()).order_by(Invitation.id.desc()).limit(1)).first()


def answer(invitation: Invitation) -> dict:
    """What the API answers about an invitation: its link, expiry and QR code addresses."""
    token = make_token(invitation.nonce)
    return {"url": public_url(token), "expires_at": aware(invitation.expires_at).isoformat(),
            "qr_svg": public_url(token, "/qr.svg"), "qr_png": public_url(token, "/qr.png"),
            "dossier_already_evaluated": False}


def issue(session: Session, client: ApiClient, body: Any) -> tuple[int, dict]:
    """Check the request and give its link: 201 new, 200 the same live link again, else the
    refusal (403, 409, 422). The caller commits.

    The caller has already written to the client's row (its ``last_used_at``), which the
    database keeps locked until that commit: two identical requests of one key sent at once
    are then answered one after the other, and the second finds the first's link."""
    asked, refusal = check(session, client, body)
    if refusal is not None:
        return refusal
    if evaluated(session, asked.questionnaire.code, asked.dossier_hash) is not None:
        return ALREADY_EVALUATED
    existing = _live(session, client, asked)
    if existing is not None:
        return 200, answer(existing)
    now = utcnow()
    invitation = Invitation(
        nonce=new_nonce(), client_id=client.id, counter_id=asked.counter.id,
        service_area_id=asked.service_area.id, questionnaire_code=asked.questionnaire.code,
        dossier_hash=asked.dossier_hash, created_at=now,
        expires_at=now + timedelta(days=asked.ttl_days))
    session.add(invitation)
    session.flush()
    return 201, answer(invitation)
