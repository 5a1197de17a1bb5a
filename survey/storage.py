"""The statements that write one response, its answers and its flags.

On PostgreSQL this is one statement sent in autocommit mode, so one round trip: a data-modifying
``WITH`` inserts the response (``ON CONFLICT DO NOTHING`` for a repeated id or dossier), its
answers and its flags, all or nothing. On SQLite (embedded, no round trips) the same inserts run
one after another in the session's transaction. Either way the response's slice sums
(``survey.sums``) are updated by the same statement or transaction.

A response that says why it was rated low adds its reasons, the citizen's own words (with
whether they asked for an answer) and the follow-up it opens to the same statement or
transaction; one that does not is sent the statement without those parts.

The response row is inserted only while the counter still has the token, is active and serves
the area: the caller's counter data may come from a cache, and the database has the last word.
Nothing is returned when no row was inserted; the caller then finds out why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import sums
from .models import Answer, FollowUp, Response, ResponseComment, ResponseFlag, ResponseReason

_COLUMNS = ("uuid", "questionnaire_id", "questionnaire_code", "service_area_id", "channel",
            "received_at", "survey_date", "started_at", "submitted_at", "duration_seconds",
            "dossier_hash", "client_id", "locale", "status", "status_reason", "item_values",
            "gender", "age_band", "occupation", "education", "ethnicity")


def _officer_on_duty(mark, moment: str) -> str:
    """The officer whose shift at the counter covers ``moment`` (kiosk answers only: a phone
    may answer the QR form long after the citizen left the counter)."""
    return (f"CASE WHEN CAST({mark('channel')} AS VARCHAR(16)) = 'kiosk' THEN (SELECT s.officer_id "
            "FROM officer_shifts s WHERE s.counter_id = c.id "
            f"AND s.started_at <= {moment} AND (s.ended_at IS NULL OR s.ended_at > {moment}) "
            "ORDER BY s.started_at DESC LIMIT 1) END")


def _insert_response(mark, moment: str | None = None) -> str:
    """The response insert, guarded by the counter's token, state and areas, with the officer
    on duty when it was submitted; ``mark(name)`` writes a parameter in the driver's style,
    ``moment`` the time the shift must cover (default: submitted, else received)."""
    moment = moment or f"COALESCE({mark('submitted_at')}, {mark('received_at')})"
    return (f"INSERT INTO responses ({', '.join(_COLUMNS)}, counter_id, agency_id, officer_id) "
            f"SELECT {', '.join(mark(name) for name in _COLUMNS)}, c.id, c.agency_id, "
            f"{_officer_on_duty(mark, moment)} "
            f"FROM counters c WHERE c.id = {mark('counter_id')} AND c.token = {mark('token')} "
            "AND c.active AND EXISTS (SELECT 1 FROM counter_service_areas s "
            f"WHERE s.counter_id = c.id AND s.service_area_id = {mark('service_area_id')}) "
            "ON CONFLICT DO NOTHING RETURNING id, agency_id")


_INSERT_RESPONSE = _insert_response(lambda name: f":{name}")

@dataclass(frozen=True)
class Row:
    """A response ready to insert: its column values, answers and (kind, detail) flags, with
    its (item, reason) pairs, comment and complaint, and the (kind, due) follow-up it opens."""

    values: dict
    counter_id: int
    token: str
    answers: dict[str, int]
    flags: list[tuple[str, str]]
    vector: list[int]        # its contribution to its slice (``sums.VectorLayout``)
    reasons: list[tuple[str, str]] = field(default_factory=list)
    comment: str | None = None
    complaint: bool = False
    follow_up: tuple[str, datetime] | None = None

    def has_why(self) -> bool:
        """Whether it carries reasons, words, a complaint or a follow-up to store."""
        return bool(self.reasons or self.comment or self.complaint or self.follow_up)


def _typed(statement: str) -> sa.TextClause:
    """A text statement whose parameters carry the response table's column types (UUIDs and
    times are stored differently by each database)."""
    table = Response.__table__
    return sa.text(statement).bindparams(
        *(sa.bindparam(name, type_=table.c[name].type) for name in _COLUMNS))


_SQLITE_RESPONSE = _typed(_INSERT_RESPONSE)
_PG_MOMENT = ("COALESCE(CAST(%(submitted_at)s AS timestamptz), "
              "CAST(%(received_at)s AS timestamptz))")
# PostgreSQL gets driver-level SQL (psycopg's %(name)s), skipping SQLAlchemy's compilation and
# bind processing; the answers and flags travel as delimited text, cheaper to send than arrays.
_POSTGRES_ALL = (
    f"WITH r AS ({_insert_response(lambda name: f'%({name})s', _PG_MOMENT)}), "
    "a AS (INSERT INTO answers (response_id, item_code, value) "
    "SELECT r.id, x.code, x.value::smallint FROM r CROSS JOIN "
    "unnest(string_to_array(%(codes)s, ','), string_to_array(%(answer_values)s, ',')) "
    "AS x(code, value)), "
    "f AS (INSERT INTO response_flags (response_id, kind, detail, created_at) "
    "SELECT r.id, x.kind, x.detail, %(received_at)s FROM r CROSS JOIN "
    "unnest(CAST(%(kinds)s AS varchar[]), CAST(%(details)s AS text[])) AS x(kind, detail)), "
    "s AS (INSERT INTO response_sums (month, questionnaire_id, agency_id, service_area_id, "
    "counter_id, channel, status, rows, id_sum, counts) SELECT %(month)s, "
    "%(questionnaire_id)s, r.agency_id, %(service_area_id)s, %(counter_id)s, %(channel)s, "
    "%(status)s, 1, r.id, CAST(%(counts)s AS bigint[]) FROM r "
    "ON CONFLICT ON CONSTRAINT uq_response_sums_slice DO UPDATE SET "
    "rows = response_sums.rows + 1, id_sum = response_sums.id_sum + excluded.id_sum, "
    "counts = sipas_add_counts(response_sums.counts, excluded.counts)) ")
_POSTGRES_WHY = (
    ", w AS (INSERT INTO response_reasons (response_id, item_code, reason_code) "
    "SELECT r.id, x.item, x.code FROM r CROSS JOIN "
    "unnest(CAST(%(reason_items)s AS varchar[]), CAST(%(reason_codes)s AS varchar[])) "
    "AS x(item, code)), "
    "t AS (INSERT INTO response_comments (response_id, text, complaint, created_at) "
    "SELECT r.id, CAST(%(comment)s AS text), %(complaint)s, %(received_at)s FROM r "
    "WHERE CAST(%(with_comment)s AS boolean)), "
    "u AS (INSERT INTO follow_ups (response_id, agency_id, counter_id, kind, dossier_hash, "
    "opened_at, due_at, status) SELECT r.id, r.agency_id, %(counter_id)s, "
    "CAST(%(follow_up_kind)s AS varchar), %(dossier_hash)s, %(received_at)s, "
    "CAST(%(due_at)s AS timestamptz), 'open' FROM r "
    "WHERE CAST(%(follow_up_kind)s AS varchar) IS NOT NULL) ")
_POSTGRES_PLAIN = _POSTGRES_ALL + "SELECT id FROM r"
_POSTGRES_WITH_WHY = _POSTGRES_ALL + _POSTGRES_WHY + "SELECT id FROM r"


def _postgres(engine: sa.Engine, statement: str, params: dict) -> int | None:
    """Run the one statement on a pooled connection switched to autocommit for it.

    The driver is called directly (SQLAlchemy's execution layer costs more CPU than the
    statement); its errors come back as SQLAlchemy's, and a connection found dead is dropped
    from the pool and reported with ``connection_invalidated`` so the caller can retry.
    """
    failure = engine.dialect.loaded_dbapi.Error
    try:
        fairy = engine.raw_connection()
    except failure as error:  # the server is down or refuses connections
        raise sa.exc.DBAPIError.instance(None, None, error, failure,
                                         dialect=engine.dialect) from error
    try:
        driver = fairy.driver_connection
        driver.autocommit = True
        try:
            row = driver.execute(statement, params).fetchone()
        finally:
            if not driver.closed:
                driver.autocommit = False
        return None if row is None else row[0]
    except failure as error:
        dead = engine.dialect.is_disconnect(error, fairy, None)
        if dead:
            fairy.invalidate(error)
        raise sa.exc.DBAPIError.instance(statement, params, error, failure,
                                         connection_invalidated=dead,
                                         dialect=engine.dialect) from error
    finally:
        fairy.close()


def insert(session: Session, row: Row) -> int | None:
    """Insert the response with its answers and flags; its id, or None when nothing was
    inserted (the id or dossier is taken, or the counter changed)."""
    params = {**row.values, "counter_id": row.counter_id, "token": row.token}
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        params.update(codes=",".join(row.answers),
                      answer_values=",".join(map(str, row.answers.values())),
                      kinds=[kind for kind, _ in row.flags],
                      details=[detail for _, detail in row.flags],
                      month=sums.month_of(row.values["survey_date"]),
                      counts=sums.vector_text(row.vector))
        if not row.has_why():
            return _postgres(engine, _POSTGRES_PLAIN, params)
        kind, due = row.follow_up or (None, None)
        params.update(reason_items=[item for item, _ in row.reasons],
                      reason_codes=[code for _, code in row.reasons], comment=row.comment,
                      complaint=row.complaint, with_comment=bool(row.comment or row.complaint),
                      follow_up_kind=kind, due_at=due)
        return _postgres(engine, _POSTGRES_WITH_WHY, params)
    inserted = session.execute(_SQLITE_RESPONSE, params).first()
    if inserted is None:
        session.rollback()
        return None
    response_id = inserted.id
    sums.add(session.connection(), sums.slice_key(row.values, inserted.agency_id,
                                                  row.counter_id), row.vector, response_id)
    session.execute(sa.insert(Answer), [
        {"response_id": response_id, "item_code": code, "value": value}
        for code, value in row.answers.items()])
    if row.flags:
        session.execute(sa.insert(ResponseFlag), [
            {"response_id": response_id, "kind": kind, "detail": detail,
             "created_at": row.values["received_at"]} for kind, detail in row.flags])
    if row.has_why():
        _insert_why(session, row, response_id, inserted.agency_id)
    session.commit()
    return response_id


def _insert_why(session: Session, row: Row, response_id: int, agency_id: int) -> None:
    """SQLite: the reasons, comment and follow-up of a response, in its transaction."""
    received = row.values["received_at"]
    if row.reasons:
        session.execute(sa.insert(ResponseReason), [
            {"response_id": response_id, "item_code": item, "reason_code": code}
            for item, code in row.reasons])
    if row.comment or row.complaint:
        session.execute(sa.insert(ResponseComment), [{
            "response_id": response_id, "text": row.comment, "complaint": row.complaint,
            "created_at": received}])
    if row.follow_up is not None:
        kind, due = row.follow_up
        session.execute(sa.insert(FollowUp), [{
            "response_id": response_id, "agency_id": agency_id, "counter_id": row.counter_id,
            "kind": kind, "dossier_hash": row.values["dossier_hash"], "opened_at": received,
            "due_at": due, "status": "open"}])
