"""The statements that write one response, its answers and its flags.

On PostgreSQL this is one statement sent in autocommit mode, so one round trip: a data-modifying
``WITH`` inserts the response (``ON CONFLICT DO NOTHING`` for a repeated id or dossier), its
answers and its flags, all or nothing. On SQLite (embedded, no round trips) the same inserts run
one after another in the session's transaction. Either way the response's slice sums
(``survey.sums``) are updated by the same statement or transaction.

The response row is inserted only while the counter still has the token, is active and serves
the area: the caller's counter data may come from a cache, and the database has the last word.
Nothing is returned when no row was inserted; the caller then finds out why.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import sums
from .models import Answer, Response, ResponseFlag

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
    """A response ready to insert: its column values, answers and (kind, detail) flags."""

    values: dict
    counter_id: int
    token: str
    answers: dict[str, int]
    flags: list[tuple[str, str]]
    vector: list[int]        # its contribution to its slice (``sums.VectorLayout``)


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
    "counts = sipas_add_counts(response_sums.counts, excluded.counts)) "
    "SELECT id FROM r")


def _postgres(engine: sa.Engine, params: dict) -> int | None:
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
            row = driver.execute(_POSTGRES_ALL, params).fetchone()
        finally:
            if not driver.closed:
                driver.autocommit = False
        return None if row is None else row[0]
    except failure as error:
        dead = engine.dialect.is_disconnect(error, fairy, None)
        if dead:
            fairy.invalidate(error)
        raise sa.exc.DBAPIError.instance(_POSTGRES_ALL, params, error, failure,
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
        return _postgres(engine, params)
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
    session.commit()
    return response_id
