"""Storing the checked rows of a field-survey file, all in the caller's transaction.

One ``FieldImport`` row, then the responses (one multi-row insert per batch, ids returned),
their answers (``COPY`` on PostgreSQL, one ``executemany`` on SQLite) and the slice sums: the
rows' contributions added per slice (computed at once by ``analysis.slices``, the layout every
writer uses), one statement per slice in a fixed order, so concurrent writers never deadlock.
Bulk statements bypass the ORM's flush listeners, hence the sums written here. The unique id
(and dossier) constraints decide between concurrent imports of the same rows: the later one
gets an ``IntegrityError`` and the caller rolls back.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from analysis import sipas
from analysis import slices as engine

from .. import audit, sums
from ..models import FieldImport, Response, User, encode_item_values, utcnow
from ..responses import PROFILE_FIELDS
from .checking import FieldRow

BATCH = 1000


def sha256(data: bytes) -> str:
    """The file's SHA-256, kept with the import."""
    return hashlib.sha256(data).hexdigest()


def _values(row: FieldRow, import_id: int, received) -> dict:
    ref = row.questionnaire
    return {"uuid": row.id, "questionnaire_id": ref.id, "questionnaire_code": ref.code,
            "counter_id": row.counter.id, "agency_id": row.counter.agency_id,
            "service_area_id": row.service_area_id, "officer_id": None, "channel": "import",
            "received_at": received, "survey_date": row.survey_date, "started_at": None,
            "submitted_at": None, "duration_seconds": None, "dossier_hash": row.dossier_hash,
            "client_id": None, "locale": None, "status": "valid", "status_reason": None,
            "item_values": encode_item_values(list(ref.items), row.answers),
            "import_mode": row.mode, "field_import_id": import_id,
            **{name: row.profile.get(name) for name in PROFILE_FIELDS}}


def _insert_responses(session: Session, rows: list[FieldRow], import_id: int) -> list[int]:
    """Insert the responses; their ids in the order of ``rows`` (found by the import's id:
    SQLite cannot return ids of a multi-row insert in order)."""
    table = Response.__table__
    received = utcnow()
    for start in range(0, len(rows), BATCH):
        session.execute(sa.insert(table), [_values(r, import_id, received)
                                           for r in rows[start:start + BATCH]])
    ids = {key: rid for rid, key in session.execute(
        sa.select(table.c.id, table.c.uuid).where(table.c.field_import_id == import_id))}
    return [ids[r.id] for r in rows]


def _insert_answers(connection: Connection, rows: list[FieldRow], ids: list[int]) -> None:
    records = [(rid, code, value) for rid, r in zip(ids, rows, strict=True)
               for code, value in r.answers.items()]
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(
                "COPY answers (response_id, item_code, value) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        return
    cursor = driver.cursor()
    try:
        cursor.executemany("INSERT INTO answers (response_id, item_code, value) "
                           "VALUES (?, ?, ?)", records)
    finally:
        cursor.close()


def _slice_sums(rows: list[FieldRow], ids: list[int]) -> list[tuple[dict, int, int, list]]:
    """(slice key, rows, id sum, summed vector) of the new responses, in key order."""
    by_version: dict[int, list[int]] = defaultdict(list)
    for position, r in enumerate(rows):
        by_version[r.questionnaire.id].append(position)
    out = []
    for positions in by_version.values():
        ref = rows[positions[0]].questionnaire
        structure = sipas.Structure.from_definition(ref.definition)
        answers = np.array([[rows[p].answers.get(c, np.nan) for c in structure.criteria]
                            for p in positions], dtype=float).reshape(len(positions), -1)
        keys = pd.DataFrame({
            "month": [sums.month_of(rows[p].survey_date) for p in positions],
            "questionnaire_id": ref.id,
            "agency_id": [rows[p].counter.agency_id for p in positions],
            "service_area_id": [rows[p].service_area_id for p in positions],
            "counter_id": [rows[p].counter.id for p in positions],
            "channel": "import", "status": "valid", "id": [ids[p] for p in positions]})
        found = engine.from_answers(keys, answers, structure, list(sums.KEY))
        id_sums = keys.groupby(list(sums.KEY), sort=True)["id"].sum()
        vectors = found.pack()
        for i in range(len(found)):
            key = {name: found.keys[name].iat[i] for name in sums.KEY}
            key = {k: v.item() if hasattr(v, "item") else v for k, v in key.items()}
            out.append((key, int(found.keys["rows"].iat[i]),
                        int(id_sums.loc[tuple(key[name] for name in sums.KEY)]),
                        [int(v) for v in vectors[i]]))
    return sorted(out, key=lambda item: tuple(str(item[0][name]) for name in sums.KEY))


def store_rows(session: Session, rows: list[FieldRow], filename: str, digest: str,
               user: User | None) -> FieldImport:
    """Write the import, its responses, answers and slice sums, and the audit event, in the
    session's transaction (the caller commits, or rolls back on ``IntegrityError``)."""
    user_id = getattr(user, "id", None) if user is not None else None
    record = FieldImport(filename=filename, sha256=digest, rows=len(rows), user_id=user_id)
    session.add(record)
    session.flush()
    ids = _insert_responses(session, rows, record.id)
    connection = session.connection()
    _insert_answers(connection, rows, ids)
    for key, count, id_sum, vector in _slice_sums(rows, ids):
        sums.add_many(connection, key, vector, count, id_sum)
    modes = {mode: sum(r.mode == mode for r in rows) for mode in sorted({r.mode for r in rows})}
    audit.record(session, user, "import", "field_import", record.id, None,
                 {"file": filename, "rows": len(rows), "sha256": digest, "modes": modes})
    session.flush()
    return record
