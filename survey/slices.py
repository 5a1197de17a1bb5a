"""Slice sums read for reports, rebuilt from the responses and checked against them.

``survey.sums`` keeps ``response_sums`` current on every write; this module is the reading
side (numpy and pandas, imported by reports and commands only):

- ``report_slices``: the slices of a report period, with the keys the report breaks down by.
  Whole months come from ``response_sums`` when their count and id sum per status agree with
  the responses (else the month is *stale* and read from the rows, and the report says so);
  the part-months of a custom range are read from the rows. Numbers never disagree with the
  rows: sums that do not match them are not used.
- ``rebuild``: every slice of the given months (all by default) computed again from the rows
  in one transaction, with concurrent slice writers held off until it commits.
- ``check``: the stored slices compared with those computed from the rows; every difference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from analysis import sipas
from analysis import slices as engine

from . import periods, queries
from . import questionnaires as qdefs
from .models import Agency, Counter, Questionnaire, Response, ResponseSum, ServiceArea
from .sums import COUNTED, KEY, month_of

ROW_KEYS = list(KEY)
QUARTER_KEYS = ["quarter"] + [key for key in KEY if key != "month"]
REPORT_KEYS = ["period", "quarter", "agency", "counter", "service_area", "channel", "status",
               "questionnaire_id", "agency_id", "service_area_id"]


@dataclass
class ReportSlices:
    """The slices of a report period and where they came from."""

    sums: engine.SliceSums
    stale_months: list[str] = field(default_factory=list)
    months_from_rows: list[str] = field(default_factory=list)


def _month_range(month: str) -> tuple[date, date]:
    year, number = int(month[:4]), int(month[5:7])
    start = date(year, number, 1)
    end = date(year + (number == 12), number % 12 + 1, 1)
    return start, end


def _months(start: date, end: date) -> list[str]:
    """Months overlapping [start, end)."""
    out, day = [], date(start.year, start.month, 1)
    while day < end:
        out.append(month_of(day))
        day = _month_range(month_of(day))[1]
    return out


def _structure(definition: dict) -> sipas.Structure:
    return sipas.Structure.from_definition(definition)


def _definitions(connection: Connection, code: str | None = None) -> dict[int, dict]:
    query = sa.select(Questionnaire.id, Questionnaire.definition)
    if code is not None:
        query = query.where(Questionnaire.code == code)
    return dict(connection.execute(query).all())


# -- from the rows ----------------------------------------------------------------------------
def _row_slices(connection: Connection, definition: dict, questionnaire_id: int,
                start: date, end: date, agency_ids: list[int] | None = None
                ) -> engine.SliceSums:
    """Slices (``KEY``) of one questionnaire version's counted responses in [start, end)."""
    items = qdefs.item_codes(definition)
    structure = _structure(definition)
    query = (sa.select(Response.id, Response.survey_date, Response.agency_id,
                       Response.service_area_id, Response.counter_id, Response.channel,
                       Response.status, Response.item_values)
             .where(Response.questionnaire_id == questionnaire_id,
                    Response.status.in_(COUNTED), Response.survey_date >= start,
                    Response.survey_date < end))
    if agency_ids is not None:
        query = query.where(Response.agency_id.in_(agency_ids))
    frame = pd.DataFrame(connection.execute(query).all(), columns=[
        "id", "survey_date", "agency_id", "service_area_id", "counter_id", "channel", "status",
        "item_values"])
    if frame.empty:
        return engine.from_answers(frame.assign(month="", questionnaire_id=0)[ROW_KEYS],
                                   np.zeros((0, len(structure.criteria))), structure, ROW_KEYS)
    if frame["item_values"].isna().any():
        frame["item_values"] = queries.item_values_filled(Session(bind=connection), frame.assign(
            questionnaire_id=questionnaire_id))
    answers = queries.decode_item_values(frame["item_values"], items, structure.criteria)
    dates = pd.to_datetime(frame["survey_date"])
    frame["month"] = dates.dt.strftime("%Y-%m")
    frame["questionnaire_id"] = questionnaire_id
    sums = engine.from_answers(frame, answers, structure, ROW_KEYS)
    ids = frame.groupby(ROW_KEYS, sort=True)["id"].sum()
    sums.keys["id_sum"] = ids.to_numpy(dtype=np.int64)
    return sums


def _stored(connection: Connection, months: list[str], questionnaire_ids: list[int],
            agency_ids: list[int] | None = None) -> pd.DataFrame:
    """The stored slices of ``months`` (rows > 0), keys, rows, id_sum and counts."""
    table = ResponseSum.__table__
    query = sa.select(*(table.c[name] for name in ROW_KEYS), table.c.rows, table.c.id_sum,
                      table.c.counts).where(table.c.month.in_(months),
                                            table.c.questionnaire_id.in_(questionnaire_ids),
                                            table.c.rows > 0)
    if agency_ids is not None:
        query = query.where(table.c.agency_id.in_(agency_ids))
    return pd.DataFrame(connection.execute(query).all(),
                        columns=ROW_KEYS + ["rows", "id_sum", "counts"])


def _stored_vectors(connection: Connection, months: list[str], questionnaire_id: int,
                    agency_ids: list[int] | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Keys and counts (an int64 matrix) of one version's stored slices of ``months``, read
    without building a Python list per slice: SQLite's bytes are the int64 array itself;
    PostgreSQL's binary copy (``counts_packed``) is fetched in binary and decoded in one call."""
    if connection.dialect.name == "postgresql":
        found = _packed_rows(connection, months, questionnaire_id, agency_ids)
    else:
        table = ResponseSum.__table__
        query = sa.select(*(table.c[name] for name in ROW_KEYS), table.c.rows,
                          sa.type_coerce(table.c.counts, sa.LargeBinary)).where(
            table.c.month.in_(months), table.c.questionnaire_id == questionnaire_id,
            table.c.rows > 0)
        if agency_ids is not None:
            query = query.where(table.c.agency_id.in_(agency_ids))
        found = connection.execute(query).all()
    keys = pd.DataFrame([row[:-1] for row in found], columns=ROW_KEYS + ["rows"])
    if not found:
        return keys, np.zeros((0, 0), dtype=np.int64)
    if connection.dialect.name == "postgresql":
        return keys, unpack_array_send([row[-1] for row in found])
    flat = np.frombuffer(b"".join(row[-1] for row in found), dtype="<i8")
    return keys, flat.reshape(len(found), -1)


def _packed_rows(connection: Connection, months: list[str], questionnaire_id: int,
                 agency_ids: list[int] | None) -> list[tuple]:
    """Keys, rows and ``counts_packed`` of the slices, through the driver's binary protocol
    (SQLAlchemy asks for text, in which bytea doubles as hexadecimal)."""
    sql = (f"SELECT {', '.join(ROW_KEYS)}, rows, counts_packed FROM response_sums "
           "WHERE month = ANY(%s) AND questionnaire_id = %s AND rows > 0")
    params: list = [list(months), questionnaire_id]
    if agency_ids is not None:
        sql += " AND agency_id = ANY(%s)"
        params.append([int(a) for a in agency_ids])
    with connection.connection.driver_connection.cursor(binary=True) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


INT8_OID = 20
_SENT_HEADER = 20   # ndim, has-nulls flag, element type, size, lower bound: int32 each
_SENT_ELEMENT = 12  # each element: its length (int32, 8) and its value (int64), big-endian


def unpack_array_send(blobs: list[bytes]) -> np.ndarray:
    """An int64 matrix (one row per blob) from PostgreSQL's binary form of ``bigint[]``
    (``array_send``: the header, then each element's length and big-endian value), read
    through strided views of the joined bytes. Raises ValueError unless every blob is a
    one-dimensional int8 array without NULLs of one size."""
    size = len(blobs[0])
    width = (size - _SENT_HEADER) // _SENT_ELEMENT
    if any(len(blob) != size for blob in blobs) or size != _SENT_HEADER + width * _SENT_ELEMENT:
        raise ValueError("stored slice vectors differ in length")
    joined = b"".join(blobs)

    def field(dtype: str, offset: int, count: int, step: int) -> np.ndarray:
        return np.ndarray((len(blobs), count), dtype=dtype, buffer=joined, offset=offset,
                          strides=(size, step))

    header = field(">i4", 0, 4, 4)
    lengths = field(">i4", _SENT_HEADER, width, _SENT_ELEMENT)
    if not (header == np.array([1, 0, INT8_OID, width])).all() or not (lengths == 8).all():
        raise ValueError("a stored slice vector is not a one-dimensional bigint array")
    return field(">i8", _SENT_HEADER + 4, width, _SENT_ELEMENT).astype(np.int64)


# -- rebuild and check ------------------------------------------------------------------------
def _all_months(connection: Connection) -> list[str]:
    first, last = connection.execute(sa.select(sa.func.min(Response.survey_date),
                                               sa.func.max(Response.survey_date))).one()
    if first is None:
        return []
    if isinstance(first, str):
        first, last = date.fromisoformat(first), date.fromisoformat(last)
    return _months(first, last + timedelta(days=1))


def _computed(connection: Connection, month: str, definitions: dict[int, dict]
              ) -> list[engine.SliceSums]:
    """The slices of ``month`` computed from the rows, one per questionnaire version."""
    start, end = _month_range(month)
    return [_row_slices(connection, definition, qid, start, end)
            for qid, definition in definitions.items()]


def rebuild(bind, months: list[str] | None = None) -> dict:
    """Compute the slices of ``months`` (all months with responses by default) from the rows
    and replace the stored ones, in one transaction; ``bind`` an Engine or a Connection (the
    migration's backfill). Concurrent writers of slices wait until it commits, so none of
    their additions is lost. Returns months and slices written."""
    if isinstance(bind, sa.Engine):
        with bind.begin() as connection:
            return rebuild(connection, months)
    connection = bind
    table = ResponseSum.__table__
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("LOCK TABLE response_sums IN EXCLUSIVE MODE"))
    chosen = _all_months(connection) if months is None else sorted(set(months))
    if months is None:
        connection.execute(sa.delete(table))
    elif chosen:
        connection.execute(sa.delete(table).where(table.c.month.in_(chosen)))
    written = 0
    definitions = _definitions(connection)
    for month in chosen:
        for sums in _computed(connection, month, definitions):
            if not len(sums):
                continue
            vectors = sums.pack()
            keys = sums.keys
            connection.execute(sa.insert(table), [
                {**{name: _plain(keys[name].iat[i]) for name in ROW_KEYS},
                 "rows": int(keys["rows"].iat[i]), "id_sum": int(keys["id_sum"].iat[i]),
                 "counts": vectors[i].tolist()} for i in range(len(keys))])
            written += len(keys)
    return {"months": chosen, "slices": written}


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def check(bind) -> list[dict]:
    """Every stored slice that differs from the rows (``problem``: missing, extra, rows,
    id_sum, counts), with its keys; empty when the sums agree with the responses."""
    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            return check(connection)
    connection = bind
    problems = []
    stored_months = [m for (m,) in connection.execute(
        sa.select(ResponseSum.month).distinct())]
    months = sorted(set(_all_months(connection)) | set(stored_months))
    definitions = _definitions(connection)
    ids = list(definitions)
    for month in months:
        expected = {}
        for sums in _computed(connection, month, definitions):
            vectors = sums.pack()
            for i in range(len(sums)):
                key = tuple(_plain(sums.keys[name].iat[i]) for name in ROW_KEYS)
                expected[key] = (int(sums.keys["rows"].iat[i]), int(sums.keys["id_sum"].iat[i]),
                                 vectors[i].tolist())
        stored = _stored(connection, [month], ids)
        found = {tuple(_plain(v) for v in row[:len(ROW_KEYS)]):
                 (int(row.rows), int(row.id_sum), list(row.counts))
                 for row in stored.itertuples(index=False)}
        for key in sorted(set(expected) | set(found), key=str):
            problem = None
            if key not in found:
                problem = "missing"
            elif key not in expected:
                problem = "extra"
            else:
                for name, a, b in zip(("rows", "id_sum", "counts"), expected[key], found[key],
                                      strict=True):
                    if a != b:
                        problem = name
                        break
            if problem:
                problems.append({**dict(zip(ROW_KEYS, key, strict=True)), "problem": problem})
    return problems


# -- for reports ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fingerprint:
    """Per (questionnaire code, month, status): (count, Σ id) of the responses (``live``,
    every status) and of the stored slices (``stored``), and the newest slice row's id."""

    live: dict
    stored: dict
    newest_slice: int

    def stale_months(self, code: str) -> set[str]:
        """Months of ``code`` whose stored counts or id sums differ from the responses."""
        keys = {k for k in set(self.live) | set(self.stored) if k[0] == code and k[2] in COUNTED}
        return {month for _, month, status in keys
                if self.live.get((code, month, status)) != self.stored.get((code, month, status))}

    def key(self) -> tuple:
        """A hashable summary: changes whenever a response or a slice changes."""
        return (tuple(sorted(self.live.items())), tuple(sorted(self.stored.items())),
                self.newest_slice)


def fingerprint(session: Session) -> Fingerprint:
    """Two aggregate queries: the responses by (code, day, status) — an index-only scan of
    ``ix_responses_fingerprint`` — and the slices by (code, month, status)."""
    live: dict[tuple, tuple] = {}
    query = (sa.select(Response.questionnaire_code, Response.survey_date, Response.status,
                       sa.func.count(), sa.func.sum(Response.id))
             .group_by(Response.questionnaire_code, Response.survey_date, Response.status))
    for code, day, status, count, ids in session.execute(query):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        key = (code, month_of(day), status)
        before = live.get(key, (0, 0))
        live[key] = (before[0] + int(count), before[1] + int(ids))
    table = ResponseSum.__table__
    stored_query = (sa.select(Questionnaire.code, table.c.month, table.c.status,
                              sa.func.sum(table.c.rows), sa.func.sum(table.c.id_sum))
                    .join(Questionnaire, Questionnaire.id == table.c.questionnaire_id)
                    .group_by(Questionnaire.code, table.c.month, table.c.status))
    stored = {(c, m, st): (int(n), int(i)) for c, m, st, n, i in session.execute(stored_query)
              if int(n)}
    newest = session.scalar(sa.select(sa.func.max(table.c.id))) or 0
    return Fingerprint(live, stored, int(newest))


def report_slices(session: Session, code: str, period: str | None,
                  agency_ids: list[int] | None, found: Fingerprint | None = None
                  ) -> ReportSlices | None:
    """The slices of ``period`` (all dates when None) in the agency scope, with the report's
    keys, in the latest version's criterion order; None when a version stored in them cannot
    be carried over to it exactly (``analysis.slices.compatible``: read the rows instead).
    ``found``: the fingerprint of the request (computed when not given)."""
    latest = queries.latest_questionnaire(session, code)
    if latest is None:
        raise LookupError(f"questionnaire {code!r} is not loaded")
    target = _structure(latest.definition)
    connection = session.connection()
    definitions = _definitions(connection, code)
    structures = {qid: _structure(d) for qid, d in definitions.items()}
    if not all(engine.compatible(s, target) for s in structures.values()):
        return None
    chosen = periods.parse(period) if period else None
    if chosen is None:
        months = _all_months(connection)
        if not months:
            return ReportSlices(engine.from_answers(pd.DataFrame(columns=REPORT_KEYS),
                                                    np.zeros((0, len(target.criteria))),
                                                    target, REPORT_KEYS))
        start, end = _month_range(months[0])[0], _month_range(months[-1])[1]
    else:
        start, end = chosen.start, chosen.end
    whole = [m for m in _months(start, end)
             if start <= _month_range(m)[0] and _month_range(m)[1] <= end]
    parts: list[engine.SliceSums] = []
    stale: list[str] = []
    if whole:
        stale_all = (found or fingerprint(session)).stale_months(code)
        stale = [m for m in whole if m in stale_all]
        good = [m for m in whole if m not in stale]
        for qid in definitions if good else []:
            keys, vectors = _stored_vectors(connection, good, qid, agency_ids)
            if not len(keys):
                continue
            keys, vectors = engine.group_vectors(_with_quarter(keys), vectors, QUARTER_KEYS)
            source = structures[qid]
            sums = engine.SliceSums.unpack(keys, vectors, len(source.criteria),
                                           len(source.elements))
            parts.append(engine.remap(sums, source, target))
    ranges = _row_ranges(start, end, whole, stale)
    for lo, hi in ranges:
        for qid, definition in definitions.items():
            sums = _row_slices(connection, definition, qid, lo, hi, agency_ids)
            if len(sums):
                sums.keys = _with_quarter(sums.keys)
                parts.append(engine.remap(sums, structures[qid], target))
    sums = engine.SliceSums.concat(parts) if parts else engine.from_answers(
        pd.DataFrame(columns=QUARTER_KEYS), np.zeros((0, len(target.criteria))), target,
        QUARTER_KEYS)
    return ReportSlices(_with_report_keys(session, sums, chosen), stale,
                        sorted({m for lo, hi in ranges for m in _months(lo, hi)}))


def _row_ranges(start: date, end: date, whole: list[str], stale: list[str]
                ) -> list[tuple[date, date]]:
    """Date ranges read from the rows: part-months at the edges and stale whole months."""
    ranges = [_month_range(m) for m in stale]
    if not whole:
        return [(start, end)] + ranges
    first, last = _month_range(whole[0])[0], _month_range(whole[-1])[1]
    if start < first:
        ranges.append((start, first))
    if last < end:
        ranges.append((last, end))
    return sorted(ranges)


def _with_quarter(keys: pd.DataFrame) -> pd.DataFrame:
    """``keys`` with the ``quarter`` ("2026-Q1") of their ``month`` ("2026-02")."""
    months = keys["month"].astype(str)
    quarters = {m: periods.quarter_of(date.fromisoformat(f"{m}-01")) for m in months.unique()}
    return keys.assign(quarter=months.map(quarters))


def _with_report_keys(session: Session, sums: engine.SliceSums,
                      chosen: periods.Period | None) -> engine.SliceSums:
    """Slices merged to the report's keys: codes for ids, the period label (the slices carry
    their quarter)."""
    keys = sums.keys
    for column, model in (("agency", Agency), ("counter", Counter),
                          ("service_area", ServiceArea)):
        codes = dict(session.execute(sa.select(model.id, model.code)).all())
        keys[column] = keys[f"{column}_id"].map(codes)
    keys["period"] = chosen.label if chosen else keys["quarter"]
    keys["questionnaire_id"] = keys["questionnaire_id"].astype(np.int64)
    merged = sums.grouped(REPORT_KEYS)
    return merged.take(np.flatnonzero(merged.keys["rows"].to_numpy() > 0))
