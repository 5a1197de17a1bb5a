"""Keeping the slice sums (``ResponseSum``) current as responses arrive and change status.

A counted response (valid or flagged) adds its contribution to its slice (month, questionnaire
version, agency, service area, counter, channel, status) in the same transaction that stores it
or changes its status; an excluded response is in no slice. The contribution's layout is
``analysis.slices``'s (``VectorLayout`` computes it in plain Python: the submission path does
not import numpy). No lost update under concurrent writers: on PostgreSQL the slice is updated
by one ``INSERT … ON CONFLICT DO UPDATE`` adding the vectors in SQL under the row's lock; on
SQLite the transaction already holds the database's write lock (the response's own write came
first) when the slice is read, added to and written back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .models import Questionnaire, Response, ResponseSum

COUNTED = ("valid", "flagged")
KEY = ("month", "questionnaire_id", "agency_id", "service_area_id", "counter_id", "channel",
       "status")


def month_of(day: date) -> str:
    """The slice month of a survey date, "YYYY-MM"."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class VectorLayout:
    """Criteria (in the definition's element order), each element's criterion positions and
    the lowest satisfied answer of a questionnaire version."""

    criteria: tuple[str, ...]
    elements: tuple[tuple[int, ...], ...]
    satisfied_min: float

    @classmethod
    def from_definition(cls, definition: dict) -> VectorLayout:
        """The layout of a questionnaire definition (as ``analysis.sipas.Structure``)."""
        criteria, elements = [], []
        for element in definition["elements"]:
            start = len(criteria)
            criteria.extend(str(c["code"]) for c in element["criteria"])
            elements.append(tuple(range(start, len(criteria))))
        satisfied = float(definition.get("scale", {}).get("satisfied_min", 4))
        return cls(tuple(criteria), tuple(elements), satisfied)

    @property
    def size(self) -> int:
        """Numbers in a vector: [y (K), q (K), ne (E), n_any, upper triangle of [s; a]²]."""
        width = 2 * len(self.criteria)
        return 2 * len(self.criteria) + len(self.elements) + 1 + width * (width + 1) // 2

    def contribution(self, answers: dict[str, int]) -> list[int]:
        """One respondent's vector: answers by criterion code (absent = unanswered)."""
        k = len(self.criteria)
        values = [answers.get(code) for code in self.criteria]
        y = [v or 0 for v in values]
        answered = [v is not None for v in values]
        element_any = [int(any(answered[i] for i in members)) for members in self.elements]
        u = [int(v is not None and v >= self.satisfied_min) for v in values] + \
            [int(a) for a in answered]
        width = 2 * k
        cross = [0] * (width * (width + 1) // 2)
        ones = [i for i in range(width) if u[i]]
        for position, i in enumerate(ones):
            row = i * width - i * (i - 1) // 2
            for j in ones[position:]:
                cross[row + j - i] = 1
        return y + [v * v for v in y] + element_any + [int(any(answered))] + cross


def slice_key(values: dict, agency_id: int, counter_id: int) -> dict:
    """The slice of a response from its column values."""
    return {"month": month_of(values["survey_date"]),
            "questionnaire_id": values["questionnaire_id"], "agency_id": agency_id,
            "service_area_id": values["service_area_id"], "counter_id": counter_id,
            "channel": values["channel"], "status": values["status"]}


_TABLE = ResponseSum.__table__
_POSTGRES_ADD = sa.text(
    "INSERT INTO response_sums (month, questionnaire_id, agency_id, service_area_id, "
    "counter_id, channel, status, rows, id_sum, counts) VALUES (:month, :questionnaire_id, "
    ":agency_id, :service_area_id, :counter_id, :channel, :status, :rows, :id_sum, "
    "CAST(:counts AS bigint[])) ON CONFLICT ON CONSTRAINT uq_response_sums_slice DO UPDATE SET "
    "rows = response_sums.rows + excluded.rows, "
    "id_sum = response_sums.id_sum + excluded.id_sum, "
    "counts = sipas_add_counts(response_sums.counts, excluded.counts)")


def vector_text(vector: list[int]) -> str:
    """A vector as a PostgreSQL array literal (cheaper to send than an array parameter)."""
    return "{" + ",".join(map(str, vector)) + "}"


def add(connection: Connection, key: dict, vector: list[int], response_id: int,
        sign: int = 1) -> None:
    """Add (``sign`` 1) or take away (−1) one response's vector in its slice."""
    if key["status"] not in COUNTED:
        return
    signed = vector if sign == 1 else [-v for v in vector]
    add_many(connection, key, signed, sign, sign * response_id)


def add_many(connection: Connection, key: dict, vector: list[int], rows: int,
             id_sum: int) -> None:
    """Add ``rows`` responses (ids summing to ``id_sum``, vectors summing to ``vector``) to a
    counted slice in one statement on PostgreSQL (no lost update under concurrent writers: the
    upsert adds in the database); a bulk load such as a field-survey import calls it once per
    slice, in a fixed order of slices so concurrent writers cannot deadlock."""
    if connection.dialect.name == "postgresql":
        connection.execute(_POSTGRES_ADD, {**key, "rows": rows, "id_sum": id_sum,
                                           "counts": vector_text(vector)})
        return
    where = sa.and_(*(_TABLE.c[name] == key[name] for name in KEY))
    found = connection.execute(sa.select(_TABLE.c.id, _TABLE.c.rows, _TABLE.c.id_sum,
                                         _TABLE.c.counts).where(where)).first()
    if found is None:
        connection.execute(sa.insert(_TABLE).values(**key, rows=rows, id_sum=id_sum,
                                                     counts=vector))
        return
    counts = [a + b for a, b in zip(found.counts, vector, strict=True)]
    connection.execute(sa.update(_TABLE).where(_TABLE.c.id == found.id).values(
        rows=found.rows + rows, id_sum=found.id_sum + id_sum, counts=counts))


def change_status(connection: Connection, response, layout: VectorLayout, answers: dict,
                  old: str, new: str) -> None:
    """Move a response between slices when its status changes (excluded: in none)."""
    if old == new or (old not in COUNTED and new not in COUNTED):
        return
    values = {"survey_date": response.survey_date, "questionnaire_id": response.questionnaire_id,
              "service_area_id": response.service_area_id, "channel": response.channel}
    vector = layout.contribution(answers)
    for status, sign in ((old, -1), (new, 1)):
        if status not in COUNTED:
            continue
        key = slice_key({**values, "status": status}, response.agency_id, response.counter_id)
        add(connection, key, vector, response.id, sign)


def _answers(definition: dict, item_values: str | None) -> dict[str, int]:
    """Answers by item code from a response's ``item_values``."""
    from .questionnaires import item_codes

    return {code: int(ch) for code, ch in zip(item_codes(definition), item_values or "")
            if ch.isdigit()}


@sa.event.listens_for(Session, "after_flush")
def _keep_slices(session: Session, _context) -> None:
    """Responses written through the ORM (new, or with a new status) update their slices in
    the flush's transaction; ``storage.insert`` updates them itself."""
    changes = []
    for obj in session.new:
        if isinstance(obj, Response):
            changes.append((obj, None, obj.status or "valid"))
    for obj in session.dirty:
        if isinstance(obj, Response):
            history = sa.inspect(obj).attrs.status.history
            if history.deleted and history.added:
                changes.append((obj, history.deleted[0], history.added[0]))
    if not changes:
        return
    connection = session.connection()
    definitions: dict[int, dict] = {}
    for obj, old, new in changes:
        if obj.questionnaire_id not in definitions:
            definitions[obj.questionnaire_id] = connection.execute(
                sa.select(Questionnaire.definition).where(
                    Questionnaire.id == obj.questionnaire_id)).scalar_one()
        definition = definitions[obj.questionnaire_id]
        change_status(connection, obj, VectorLayout.from_definition(definition),
                      _answers(definition, obj.item_values), old, new)
