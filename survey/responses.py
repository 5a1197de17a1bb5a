"""Writes: storing a citizen's submission exactly once, with its data-quality flags.

``validate_submission`` is the one validation shared by the kiosk API and the QR form;
``store_submission`` validates against cached counters and questionnaires (``lookups``), computes
the data-quality flags, then writes the response, its answers and its flags at once
(``storage``: one round trip on PostgreSQL). Whatever the cache said, the database decides: when
nothing was inserted the submission is looked at again with fresh data.
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
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, selectinload

from . import audit, quality, storage
from .lookups import CounterInfo, QuestionnaireRef, cache
from .models import (
    Counter,
    Response,
    ResponseFlag,
    RetiredToken,
    User,
    encode_item_values,
    utcnow,
)
from .questionnaires.reasons import check_reasons

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SUBMISSION_CHANNELS = ("kiosk", "qr")
PROFILE_FIELDS = ("gender", "age_band", "occupation", "education", "ethnicity")
DOSSIER_MAX_LEN = 64
CLIENT_ID_MAX_LEN = 64
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST_TIME = datetime(2020, 1, 1, tzinfo=UTC)  # no kiosk or QR form took answers before
VERSION_MAX = 2**31 - 1  # questionnaire versions are 32-bit integers in the database
TOKEN_MAX_LEN = 64
COMMENT_MAX_LEN = 1000
# NUL and other control characters, and lone UTF-16 surrogates: no database stores them as text
# (PostgreSQL refuses NUL, UTF-8 cannot encode a surrogate), so they never reach a query.
_UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
UNSAFE_TEXT_MESSAGE = "must not contain control characters or invalid Unicode"


@dataclass
class CounterLookup:
    """A counter token resolved: ``state`` is ok, retired, inactive or unknown."""

    state: str
    counter: Counter | None = None


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
    """A published questionnaire version from this process's cache; None for anything else."""
    if not safe_text(code, TOKEN_MAX_LEN) or (version is not None and not valid_version(version)):
        return None
    return cache().questionnaire(session, code, version)


@dataclass
class Submission:
    """A validated submission, ready to be written."""

    id: uuid.UUID
    counter: CounterInfo
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
    reasons: dict[str, list[str]] = field(default_factory=dict)
    comment: str | None = None
    complaint: bool = False

    def follow_up_kind(self) -> str | None:
        """The follow-up this submission opens: ``complaint`` when the citizen asked for an
        answer, ``low_rating`` for a low rating with a reason, None otherwise."""
        if self.complaint:
            return "complaint"
        return "low_rating" if self.reasons else None


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


def _check_answers(raw: Any, questionnaire: QuestionnaireRef,
                   errors: dict[str, str]) -> dict[str, int]:
    if not isinstance(raw, dict):
        errors["answers"] = "must be an object of item code to value"
        return {}
    items, scale = questionnaire.items, questionnaire.definition["scale"]
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
    for code in questionnaire.required:
        if code not in answers and f"answers.{code}" not in errors:
            errors[f"answers.{code}"] = "is required"
    answer_errors = any(key.startswith("answers.") for key in errors)
    if not answer_errors and not questionnaire.criteria & answers.keys():
        errors["answers"] = "answer at least one criterion"
    return answers


def _check_profile(raw: Any, questionnaire: QuestionnaireRef,
                   errors: dict[str, str]) -> dict[str, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        errors["profile"] = "must be an object"
        return {}
    options, profile = questionnaire.profile, {}
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


def _check_service_area(raw: Any, counter: CounterInfo, errors: dict[str, str]) -> int | None:
    served = counter.areas
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


def _check_comment(raw: Any, errors: dict[str, str]) -> str | None:
    """The citizen's own words: a text box's line breaks and tabs become spaces, anything
    else follows ``safe_text``."""
    if isinstance(raw, str):
        raw = raw.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return _check_text(raw, "comment", COMMENT_MAX_LEN, errors)


def _check_complaint(raw: Any, errors: dict[str, str]) -> bool:
    if raw is None:
        return False
    if not isinstance(raw, bool):
        errors["complaint"] = "must be true or false"
        return False
    return raw


def _check_why(payload: dict, questionnaire: QuestionnaireRef | None, answers: dict[str, int],
               errors: dict[str, str]) -> tuple[dict[str, list[str]], str | None, bool]:
    """Why the citizen rated low: reasons per item, their own words, whether they asked for
    an answer (a complaint)."""
    reasons = {} if questionnaire is None else check_reasons(
        questionnaire.code, questionnaire.definition, answers, payload.get("reasons"),
        low_rating_max(), errors)
    return (reasons, _check_comment(payload.get("comment"), errors),
            _check_complaint(payload.get("complaint"), errors))


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


def validate_submission(session: Session, payload: dict, channel: str, counter: CounterInfo,
                        bound_dossier: str | None = None
                        ) -> tuple[Submission | None, dict[str, str]]:
    """Check a submission against its questionnaire; return it or the per-field errors.

    ``bound_dossier`` is the dossier hash of an invitation the citizen opened: it replaces
    any ``dossier_ref`` the payload carries (the citizen never types it).
    """
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
    dossier = None if bound_dossier else _check_text(
        payload.get("dossier_ref"), "dossier_ref", DOSSIER_MAX_LEN, errors)
    client_id = _check_text(payload.get("client_id"), "client_id", CLIENT_ID_MAX_LEN, errors)
    locale = payload.get("locale") if payload.get("locale") in ("vi", "en") else None
    answers, profile = {}, {}
    if questionnaire is not None:
        answers = _check_answers(payload.get("answers"), questionnaire, errors)
        profile = _check_profile(payload.get("profile"), questionnaire, errors)
    reasons, comment, complaint = _check_why(payload, questionnaire, answers, errors)
    if errors:
        return None, errors
    key = current_app.config.get("DOSSIER_HASH_KEY") or current_app.config["SECRET_KEY"]
    hashed = bound_dossier or (dossier_hash(dossier, key) if dossier else None)
    return Submission(
        id=submission_id, counter=counter, questionnaire=questionnaire,
        service_area_id=area_id, channel=channel, answers=answers, started_at=started,
        submitted_at=submitted, dossier_hash=hashed,
        client_id=client_id, locale=locale, profile=profile, reasons=reasons, comment=comment,
        complaint=complaint), {}


def low_rating_max() -> int:
    """The highest rating that asks the citizen why (``LOW_RATING_MAX``)."""
    return int(current_app.config.get("LOW_RATING_MAX", 2))


def stored_body(response: Response) -> dict:
    """The JSON the API returns for a stored response."""
    return {"id": str(response.uuid), "status": response.status,
            "received_at": response.received_at.isoformat()}


def _existing(session: Session, submission_id: uuid.UUID | None) -> Response | None:
    if submission_id is None:
        return None
    return session.scalars(sa.select(Response).where(Response.uuid == submission_id)).first()


def _dossier_taken(session: Session, submission: Submission) -> bool:
    if submission.dossier_hash is None:
        return False
    return session.scalar(sa.select(sa.func.count()).select_from(Response).where(
        Response.questionnaire_code == submission.questionnaire.code,
        Response.dossier_hash == submission.dossier_hash)) > 0


def follow_up_due(opened: datetime) -> datetime:
    """When a follow-up opened at ``opened`` must be answered: the close of the
    ``FOLLOW_UP_WORKING_DAYS``-th working day after it (the one-stop calendar)."""
    from .alerts.calendar import Calendar  # the alerts blueprint imports this module

    days = int(current_app.config.get("FOLLOW_UP_WORKING_DAYS", 5))
    return Calendar.from_config(current_app.config).add_working_days(opened, days)


def can_store(session: Session, payload: Any, channel: str,
              bound_dossier: str | None = None) -> bool:
    """Whether storing ``payload`` now would create a response: its counter is in use, it is
    valid, its id is new and its dossier not yet evaluated. The QR form asks before its
    reasons step, so that a refusal is said at once (``store_submission`` then says why)."""
    if not isinstance(payload, dict):
        return False
    token = payload.get("counter")
    counter = cache().counter(session, token) if safe_text(token, TOKEN_MAX_LEN) else None
    if counter is None or not counter.active:
        return False
    submission, errors = validate_submission(session, payload, channel, counter, bound_dossier)
    if errors:
        return False
    return _existing(session, submission.id) is None and not _dossier_taken(session, submission)


def _row(submission: Submission) -> storage.Row:
    """The response's column values and flags, computed before anything is written."""
    received = utcnow()
    duration = None
    if submission.started_at and submission.submitted_at:
        duration = (submission.submitted_at - submission.started_at).total_seconds()
    questionnaire = submission.questionnaire
    flags = quality.flags_for(submission.counter.id, str(submission.id),
                              submission.submitted_at or received, duration,
                              submission.answers, questionnaire.criteria)
    values = {
        "uuid": submission.id, "questionnaire_id": submission.questionnaire.id,
        "questionnaire_code": submission.questionnaire.code,
        "service_area_id": submission.service_area_id, "channel": submission.channel,
        "received_at": received, "survey_date": received.astimezone(LOCAL_TZ).date(),
        "started_at": submission.started_at, "submitted_at": submission.submitted_at,
        "duration_seconds": duration, "dossier_hash": submission.dossier_hash,
        "client_id": submission.client_id, "locale": submission.locale,
        "status": "flagged" if flags else "valid",
        "status_reason": "; ".join(kind for kind, _ in flags) or None,
        "item_values": encode_item_values(questionnaire.items, submission.answers),
        **{name: submission.profile.get(name) for name in PROFILE_FIELDS}}
    kind = submission.follow_up_kind()
    due = None if kind is None else follow_up_due(received)
    return storage.Row(values, submission.counter.id, submission.counter.token,
                       submission.answers, flags,
                       questionnaire.layout.contribution(submission.answers),
                       reasons=[(item, code) for item, codes in submission.reasons.items()
                                for code in codes],
                       comment=submission.comment, complaint=submission.complaint,
                       follow_up=None if kind is None else (kind, due))


_DOSSIER_TAKEN = {"error": "dossier_already_evaluated",
                  "errors": {"dossier_ref": "this dossier has already been evaluated"}}
_CONFLICT = {"error": "conflict", "message": "could not store this response"}


def _refused(session: Session, payload: dict, status: int, body: dict) -> tuple[int, dict]:
    """A submission that cannot be stored as sent: still 200 when its id is already stored
    (a retry must always clear a tablet's queue, whatever the new content)."""
    session.rollback()
    stored = _existing(session, parse_id(payload.get("id")))
    return (200, stored_body(stored)) if stored is not None else (status, body)


def _attempt(session: Session, payload: dict, channel: str, fresh: bool,
             bound_dossier: str | None = None) -> tuple[int, dict] | None:
    """One try at storing; None when the cache may have misled it (try again with fresh data)."""
    token = payload.get("counter")
    counter = cache().counter(session, token) if safe_text(token, TOKEN_MAX_LEN) else None
    if counter is None or not counter.active:
        if not fresh and counter is not None:
            return None
        state = find_counter(session, token).state
        return _refused(session, payload, 404, {
            "error": f"{state}_counter",
            "message": "this counter code is not in use; please ask staff"})
    submission, errors = validate_submission(session, payload, channel, counter, bound_dossier)
    if errors:
        if not fresh and set(errors) & {"service_area", "questionnaire"}:
            return None
        return _refused(session, payload, 422, {"error": "invalid", "errors": errors})
    row = _row(submission)
    try:
        response_id = storage.insert(session, row)
    except IntegrityError:
        response_id = None
    if response_id is not None:
        return 201, {"id": str(submission.id), "status": row.values["status"],
                     "received_at": row.values["received_at"].isoformat()}
    session.rollback()
    stored = _existing(session, submission.id)
    if stored is not None:
        return 200, stored_body(stored)
    if _dossier_taken(session, submission):
        return 409, _DOSSIER_TAKEN
    return None if not fresh else (409, _CONFLICT)


def _store_once(session: Session, payload: dict, channel: str,
                bound_dossier: str | None) -> tuple[int, dict]:
    """Store with cached lookups, then once more with fresh ones if the database disagreed."""
    outcome = _attempt(session, payload, channel, False, bound_dossier)
    if outcome is None:
        cache().forget(payload.get("counter"), payload.get("questionnaire"))
        outcome = _attempt(session, payload, channel, True, bound_dossier)
    return outcome


def store_submission(session: Session, payload: Any, channel: str, client_addr: str | None,
                     bound_dossier: str | None = None) -> tuple[int, dict]:
    """Validate and store one submission exactly once; return (HTTP status, JSON body).

    ``bound_dossier``: the dossier hash of the invitation the citizen opened (QR form only).

    201 stored, 200 the same id was already stored (its stored version is returned, whatever the
    new content), 404 unknown, retired or deactivated counter, 409 dossier already evaluated,
    422 per-field errors. A connection found dead (the database restarted) is retried once on a
    new one, which is safe because the id makes the write idempotent; other outages propagate as
    ``sqlalchemy.exc.OperationalError`` after a rollback, with nothing written.
    """
    if not isinstance(payload, dict):
        return 400, {"error": "malformed", "message": "the body must be a JSON object"}
    for last in (False, True):
        try:
            status, body = _store_once(session, payload, channel, bound_dossier)
            break
        except DBAPIError as error:
            session.rollback()
            if last or not error.connection_invalidated:
                raise
    current_app.logger.debug("response %s from %s: %s", payload.get("id"), client_addr, status)
    return status, body


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
