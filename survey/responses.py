"""Writes: storing a citizen's submission exactly once, with its data-quality flags.

``validate_submission`` is the one validation shared by the kiosk API and the QR form;
``store_submission`` validates, then writes the response, its answers, its flags and the counter's
last-response time in one transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from . import audit, quality
from . import questionnaires as qdefs
from .models import (
    Answer,
    Counter,
    Questionnaire,
    Response,
    ResponseFlag,
    RetiredToken,
    User,
    encode_item_values,
    utcnow,
)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SUBMISSION_CHANNELS = ("kiosk", "qr")
PROFILE_FIELDS = ("gender", "age_band", "occupation", "education", "ethnicity")
DOSSIER_MAX_LEN = 64
CLIENT_ID_MAX_LEN = 64
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST_TIME = datetime(2020, 1, 1, tzinfo=UTC)  # no kiosk or QR form took answers before
VERSION_MAX = 2**31 - 1  # questionnaire versions are 32-bit integers in the database
TOKEN_MAX_LEN = 64
# NUL and other control characters, and lone UTF-16 surrogates: no database stores them as text
# (PostgreSQL refuses NUL, UTF-8 cannot encode a surrogate), so they never reach a query.
_UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
UNSAFE_TEXT_MESSAGE = "must not contain control characters or invalid Unicode"


@dataclass
class CounterLookup:
    """A counter token resolved: ``state`` is ok, retired, inactive or unknown."""

    state: str
    counter: Counter | None = None


@dataclass(frozen=True)
class QuestionnaireRef:
    """A published questionnaire version: its id, code, version and (immutable) definition."""

    id: int
    code: str
    version: int
    definition: dict


_definitions: dict[str, dict] = {}  # by checksum: a published definition never changes


def safe_text(value: Any, limit: int | None = None) -> bool:
    """True for a non-empty string a database can store and compare: no control characters,
    no lone surrogates and, when ``limit`` is given, at most ``limit`` characters."""
    if not isinstance(value, str) or not value or (limit is not None and len(value) > limit):
        return False
    return _UNSAFE_TEXT.search(value) is None


def valid_version(value: Any) -> bool:
    """True for a questionnaire version the database can hold (a whole number 1..2**31-1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= VERSION_MAX


def questionnaire_ref(session: Session, code: Any, version: Any = None) -> QuestionnaireRef | None:
    """Like ``queries.latest_questionnaire`` but reads a definition from the database only once."""
    if not safe_text(code, TOKEN_MAX_LEN):
        return None
    query = sa.select(Questionnaire.id, Questionnaire.code, Questionnaire.version,
                      Questionnaire.checksum).where(Questionnaire.code == code)
    if version is not None:
        if not valid_version(version):
            return None
        query = query.where(Questionnaire.version == version)
    row = session.execute(query.order_by(Questionnaire.version.desc()).limit(1)).first()
    if row is None:
        return None
    if row.checksum not in _definitions:
        _definitions[row.checksum] = session.scalar(
            sa.select(Questionnaire.definition).where(Questionnaire.id == row.id))
    return QuestionnaireRef(row.id, row.code, row.version, _definitions[row.checksum])


@dataclass
class Submission:
    """A validated submission, ready to be written."""

    id: uuid.UUID
    counter: Counter
    questionnaire: QuestionnaireRef
    service_area_id: int
    channel: str
    answers: dict[str, int]
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    dossier_hash: str | None = None
    client_id: str | None = None
    locale: str | None = None
    profile: dict[str, str] = field(default_factory=dict)


def find_counter(session: Session, token: str | None) -> CounterLookup:
    """Resolve a counter token, telling a retired or deactivated one from an unknown one."""
    if not safe_text(token, TOKEN_MAX_LEN):
        return CounterLookup("unknown")
    counter = session.scalars(sa.select(Counter).options(selectinload(Counter.service_areas))
                              .where(Counter.token == token)).first()
    if counter is not None:
        return CounterLookup("ok" if counter.active else "inactive", counter)
    retired = session.get(RetiredToken, token)
    if retired is not None:
        return CounterLookup("retired", session.get(Counter, retired.counter_id))
    return CounterLookup("unknown")


def dossier_hash(reference: str, key: str) -> str:
    """Keyed hash (HMAC-SHA256) of a dossier reference, after normalising case and spaces."""
    normalised = "".join(reference.split()).upper()
    return hmac.new(key.encode("utf-8"), normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def _to_utc(value: str) -> datetime:
    """An ISO 8601 date-time in UTC (naive means UTC).

    ValueError when the text is not one; OverflowError when it is valid but falls outside what
    ``datetime`` can hold once moved to UTC (``0001-01-01T00:00:00+14:00``).
    """
    moment = datetime.fromisoformat(value)  # Python 3.11+ reads a trailing "Z" too
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _time_error(value: Any) -> tuple[datetime | None, str | None]:
    if not safe_text(value, 64):  # fromisoformat would read "2026-01-01\x00" as a date
        return None, "must be an ISO 8601 date-time"
    try:
        moment = _to_utc(value)
    except ValueError:
        return None, "must be an ISO 8601 date-time"
    except OverflowError:
        return None, "is not a plausible time"
    if moment > utcnow() + FUTURE_TOLERANCE:
        return None, "is in the future"
    if moment < EARLIEST_TIME:
        return None, "is before 2020: not a plausible time"
    return moment, None


def _parse_time(value: Any, name: str, errors: dict[str, str]) -> datetime | None:
    """A plausible client time: from 2020 on and at most ``FUTURE_TOLERANCE`` ahead."""
    if value in (None, ""):
        return None
    moment, error = _time_error(value)
    if error:
        errors[name] = error
    return moment


def _check_answers(raw: Any, definition: dict, errors: dict[str, str]) -> dict[str, int]:
    if not isinstance(raw, dict):
        errors["answers"] = "must be an object of item code to value"
        return {}
    items, scale = set(qdefs.item_codes(definition)), definition["scale"]
    answers = {}
    for code, value in raw.items():
        place = f"answers.{code}"
        if code not in items:
            errors[place] = "unknown item"
        elif value is None:
            continue
        elif not isinstance(value, int) or isinstance(value, bool):
            errors[place] = "must be a whole number"
        elif not scale["min"] <= value <= scale["max"]:
            errors[place] = f"must be between {scale['min']} and {scale['max']}"
        else:
            answers[code] = value
    for code in qdefs.required_codes(definition):
        if code not in answers and f"answers.{code}" not in errors:
            errors[f"answers.{code}"] = "is required"
    answer_errors = any(key.startswith("answers.") for key in errors)
    if not answer_errors and not set(qdefs.criterion_codes(definition)) & answers.keys():
        errors["answers"] = "answer at least one criterion"
    return answers


def _check_profile(raw: Any, definition: dict, errors: dict[str, str]) -> dict[str, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        errors["profile"] = "must be an object"
        return {}
    options, profile = qdefs.profile_options(definition), {}
    for name, value in raw.items():
        if value in (None, ""):
            continue
        if name not in options or name not in PROFILE_FIELDS:
            errors[f"profile.{name}"] = "unknown profile field"
        elif not isinstance(value, str) or value not in options[name]:
            errors[f"profile.{name}"] = "unknown option"
        else:
            profile[name] = value
    return profile


def _check_service_area(raw: Any, counter: Counter, errors: dict[str, str]) -> int | None:
    served = {area.code: area.id for area in counter.service_areas}
    if raw in (None, ""):
        if len(served) == 1:
            return next(iter(served.values()))
        errors["service_area"] = "is required: this counter serves several areas"
        return None
    if not isinstance(raw, str) or raw not in served:
        errors["service_area"] = "is not served by this counter"
        return None
    return served[raw]


def _check_text(raw: Any, name: str, limit: int, errors: dict[str, str]) -> str | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > limit:
        errors[name] = f"must be text of at most {limit} characters"
        return None
    if not safe_text(raw.strip()):
        errors[name] = UNSAFE_TEXT_MESSAGE
        return None
    return raw.strip()


def _check_version(raw: Any, errors: dict[str, str]) -> int | None:
    if raw is None:
        return None
    if not valid_version(raw):
        errors["version"] = f"must be a whole number from 1 to {VERSION_MAX}"
    return raw


def parse_id(raw: Any) -> uuid.UUID | None:
    """The submission's UUID, or None when it is missing or malformed."""
    if not isinstance(raw, str):
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def validate_submission(session: Session, payload: dict, channel: str,
                        counter: Counter) -> tuple[Submission | None, dict[str, str]]:
    """Check a submission against its questionnaire; return it or the per-field errors."""
    errors: dict[str, str] = {}
    submission_id = parse_id(payload.get("id"))
    if submission_id is None:
        errors["id"] = "must be a UUID"
    if channel not in SUBMISSION_CHANNELS:
        errors["channel"] = f"must be one of {', '.join(SUBMISSION_CHANNELS)}"
    version = _check_version(payload.get("version"), errors)
    questionnaire = None if "version" in errors else questionnaire_ref(
        session, payload.get("questionnaire"), version)
    if questionnaire is None and "version" not in errors:
        errors["questionnaire"] = "unknown questionnaire"
    area_id = _check_service_area(payload.get("service_area"), counter, errors)
    started = _parse_time(payload.get("started_at"), "started_at", errors)
    submitted = _parse_time(payload.get("submitted_at"), "submitted_at", errors)
    if started and submitted and submitted < started:
        errors["submitted_at"] = "is before started_at"
    dossier = _check_text(payload.get("dossier_ref"), "dossier_ref", DOSSIER_MAX_LEN, errors)
    client_id = _check_text(payload.get("client_id"), "client_id", CLIENT_ID_MAX_LEN, errors)
    locale = payload.get("locale") if payload.get("locale") in ("vi", "en") else None
    answers, profile = {}, {}
    if questionnaire is not None:
        answers = _check_answers(payload.get("answers"), questionnaire.definition, errors)
        profile = _check_profile(payload.get("profile"), questionnaire.definition, errors)
    if errors:
        return None, errors
    key = current_app.config.get("DOSSIER_HASH_KEY") or current_app.config["SECRET_KEY"]
    return Submission(
        id=submission_id, counter=counter, questionnaire=questionnaire,
        service_area_id=area_id, channel=channel, answers=answers, started_at=started,
        submitted_at=submitted, dossier_hash=dossier_hash(dossier, key) if dossier else None,
        client_id=client_id, locale=locale, profile=profile), {}


def stored_body(response: Response) -> dict:
    """The JSON the API returns for a stored response."""
    return {"id": str(response.uuid), "status": response.status,
            "received_at": response.received_at.isoformat()}


def _existing(session: Session, submission_id: uuid.UUID) -> Response | None:
    return session.scalars(sa.select(Response).where(Response.uuid == submission_id)).first()


def _dossier_taken(session: Session, submission: Submission) -> bool:
    if submission.dossier_hash is None:
        return False
    return session.scalar(sa.select(sa.func.count()).select_from(Response).where(
        Response.questionnaire_code == submission.questionnaire.code,
        Response.dossier_hash == submission.dossier_hash)) > 0


def _build_response(submission: Submission, received: datetime) -> Response:
    duration = None
    if submission.started_at and submission.submitted_at:
        duration = (submission.submitted_at - submission.started_at).total_seconds()
    counter = submission.counter
    return Response(
        uuid=submission.id, questionnaire_id=submission.questionnaire.id,
        questionnaire_code=submission.questionnaire.code, counter_id=counter.id,
        agency_id=counter.agency_id, service_area_id=submission.service_area_id,
        channel=submission.channel, received_at=received,
        survey_date=received.astimezone(LOCAL_TZ).date(), started_at=submission.started_at,
        submitted_at=submission.submitted_at, duration_seconds=duration,
        dossier_hash=submission.dossier_hash, client_id=submission.client_id,
        locale=submission.locale, status="valid", **submission.profile,
        item_values=encode_item_values(qdefs.item_codes(submission.questionnaire.definition),
                                       submission.answers))


def _write(session: Session, submission: Submission) -> dict:
    received = utcnow()
    response = _build_response(submission, received)
    session.add(response)
    session.flush()
    session.execute(sa.insert(Answer), [
        {"response_id": response.id, "item_code": code, "value": value}
        for code, value in submission.answers.items()])
    reasons = quality.flags_for(session, response, submission.answers,
                                submission.questionnaire.definition)
    if reasons:
        response.status = "flagged"
        response.status_reason = "; ".join(kind for kind, _ in reasons)
        session.add_all(ResponseFlag(response_id=response.id, kind=kind, detail=detail)
                        for kind, detail in reasons)
    session.execute(sa.update(Counter).where(Counter.id == submission.counter.id)
                    .values(last_response_at=received))
    body = stored_body(response)
    session.commit()
    return body


def _after_conflict(session: Session, submission: Submission) -> tuple[int, dict]:
    session.rollback()
    stored = _existing(session, submission.id)
    if stored is not None:
        return 200, stored_body(stored)
    if _dossier_taken(session, submission):
        return 409, _DOSSIER_TAKEN
    return 409, {"error": "conflict", "message": "could not store this response"}


_DOSSIER_TAKEN = {"error": "dossier_already_evaluated",
                  "errors": {"dossier_ref": "this dossier has already been evaluated"}}


def store_submission(session: Session, payload: Any, channel: str,
                     client_addr: str | None) -> tuple[int, dict]:
    """Validate and store one submission exactly once; return (HTTP status, JSON body).

    201 stored, 200 the same id was already stored (its stored version is returned, whatever the
    new content), 404 unknown, retired or deactivated counter, 409 dossier already evaluated,
    422 per-field errors. Database outages propagate as ``sqlalchemy.exc.OperationalError``
    after a rollback, with nothing written.
    """
    if not isinstance(payload, dict):
        return 400, {"error": "malformed", "message": "the body must be a JSON object"}
    submission_id = parse_id(payload.get("id"))
    if submission_id is not None and (stored := _existing(session, submission_id)) is not None:
        return 200, stored_body(stored)
    lookup = find_counter(session, payload.get("counter"))
    if lookup.state != "ok":
        return 404, {"error": f"{lookup.state}_counter",
                     "message": "this counter code is not in use; please ask staff"}
    submission, errors = validate_submission(session, payload, channel, lookup.counter)
    if errors:
        session.rollback()
        return 422, {"error": "invalid", "errors": errors}
    if _dossier_taken(session, submission):
        session.rollback()
        return 409, _DOSSIER_TAKEN
    try:
        body = _write(session, submission)
    except IntegrityError:
        return _after_conflict(session, submission)
    except Exception:
        session.rollback()
        raise
    current_app.logger.debug("stored response %s from %s", submission.id, client_addr)
    return 201, body


def _state(response: Response) -> dict:
    """What the audit log records of a response's review state."""
    return {"status": response.status, "status_reason": response.status_reason,
            "flags": sorted(f.kind for f in response.flags)}


def flag(session: Session, user: User, response: Response, reason: str) -> None:
    """Flag a response by hand; a valid response becomes flagged."""
    before = _state(response)
    response.flags.append(ResponseFlag(kind="manual", detail=reason, user_id=user.id))
    if response.status == "valid":
        response.status, response.status_reason = "flagged", reason
    audit.record(session, user, "flag", "response", response.id, before, _state(response))


def set_status(session: Session, user: User, response: Response, status: str,
               reason: str) -> None:
    """Exclude a response from estimates or restore it to valid, keeping the reason."""
    before = _state(response)
    response.status, response.status_reason = status, reason
    action = "exclude" if status == "excluded" else "restore"
    audit.record(session, user, action, "response", response.id, before, _state(response))
