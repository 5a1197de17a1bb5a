"""Checking every row of a field-survey file before anything is stored.

Each cell is read as text (a formula is just text); every problem is kept with its row and
column, so the person fixes the whole file at once. Then ids and dossiers are looked up in the
database in batches (a repeated file or a dossier already evaluated is refused by name).
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..lookups import QuestionnaireRef
from ..models import IMPORT_MODES, Response
from ..responses import DOSSIER_MAX_LEN, LOCAL_TZ, PROFILE_FIELDS, dossier_hash, safe_text
from .columns import Catalogue, CounterRef, Defaults, header_columns
from .problems import Problem, shown
from .reading import Table, cell_text

EARLIEST = date(2020, 1, 1)
CHUNK = 900  # values per IN (…) query
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_VALUE = re.compile(r"[1-5]")


@dataclass
class FieldRow:
    """One checked row, ready to be stored as a response of channel ``import``."""

    row: int
    id: uuid.UUID
    survey_date: date
    counter: CounterRef
    service_area_id: int
    questionnaire: QuestionnaireRef
    mode: str
    answers: dict[str, int]
    profile: dict[str, str]
    dossier_hash: str | None = None


@dataclass
class Checked:
    """The rows of a file that passed, and every problem (nothing is stored when any)."""

    rows: list[FieldRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Row:
    """One row's cells by column name, collecting its problems."""

    def __init__(self, number: int, values: list[object], positions: dict[str, int],
                 problems: list[Problem]):
        self.number, self.values, self.positions = number, values, positions
        self.problems = problems
        self.ok = True
        self.refused: set[str] = set()

    def text(self, column: str) -> str:
        """The cell as text ("" when absent, empty or refused for control characters)."""
        position = self.positions.get(column)
        if position is None or position >= len(self.values):
            return ""
        value = self.values[position]
        if value is None or value == "":
            return ""
        text = cell_text(value)
        if text and not safe_text(text):
            if column not in self.refused:
                self.refused.add(column)
                self.fail("unsafe_text", column)
            return ""
        return text

    def fail(self, kind: str, column: str = "", value: object = "", other: object = "",
             limit: int = 0) -> None:
        """Record a problem of this row (a cell refused for its characters only once)."""
        self.ok = False
        if kind == "required" and column in self.refused:
            return
        self.problems.append(Problem(kind, self.number, column, shown(value), shown(other),
                                     limit))


def _survey_date(row: _Row, today: date, value: object) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    else:
        text = row.text("survey_date")
        if not text:
            return row.fail("required", "survey_date")
        try:
            day = date.fromisoformat(text) if _DATE.fullmatch(text) else None
        except ValueError:
            day = None
        if day is None:
            return row.fail("bad_date", "survey_date", text)
    if day > today:
        return row.fail("future_date", "survey_date", day.isoformat())
    if day < EARLIEST:
        return row.fail("early_date", "survey_date", day.isoformat())
    return day


def _uuid(row: _Row) -> uuid.UUID | None:
    text = row.text("id")
    if not text:
        return row.fail("required", "id")
    try:
        return uuid.UUID(text)
    except ValueError:
        return row.fail("bad_uuid", "id", text)


def _counter_area(row: _Row, catalogue: Catalogue) -> tuple[CounterRef | None, int | None]:
    code = row.text("counter")
    if not code:
        return row.fail("required", "counter"), None
    counter = catalogue.counters.get(code)
    if counter is None:
        return row.fail("unknown_counter", "counter", code), None
    area = row.text("service_area")
    if not area:
        if len(counter.areas) == 1:
            return counter, next(iter(counter.areas.values()))
        return counter, row.fail("area_required", "service_area", code)
    if area not in catalogue.areas:
        return counter, row.fail("unknown_area", "service_area", area)
    if area not in counter.areas:
        return counter, row.fail("area_not_served", "service_area", area, code)
    return counter, counter.areas[area]


def _questionnaire(row: _Row, defaults: Defaults, catalogue: Catalogue
                   ) -> QuestionnaireRef | None:
    code = row.text("questionnaire") or defaults.questionnaire or ""
    text = row.text("version")
    version = defaults.version if not text else None
    if text:
        if not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
            return row.fail("bad_version", "version", text)
        version = int(text)
    if not code:
        return row.fail("required", "questionnaire")
    ref = catalogue.questionnaire(code, version)
    if ref is None:
        return row.fail("unknown_questionnaire", "questionnaire",
                        f"{code} v{version}" if version else code)
    return ref


def _answers(row: _Row, ref: QuestionnaireRef, problems: list[Problem],
             reported: set) -> dict[str, int]:
    missing = [code for code in ref.items if code not in row.positions]
    if missing:
        if (ref.code, ref.version) not in reported:
            reported.add((ref.code, ref.version))
            problems.insert(0, Problem("missing_columns", value=", ".join(missing),
                                       other=f"{ref.code} v{ref.version}"))
        row.ok = False
        return {}
    answers, fine = {}, True
    for code in ref.items:
        text = row.text(code)
        if not text:
            continue
        if not _VALUE.fullmatch(text):
            row.fail("bad_value", code, text)
            fine = False
        else:
            answers[code] = int(text)
    if fine and not ref.criteria & answers.keys():
        row.fail("no_criterion")
    elif fine and any(code not in answers for code in ref.required):
        row.fail("missing_required", next(c for c in ref.required if c not in answers))
    return answers


def _profile(row: _Row, ref: QuestionnaireRef) -> dict[str, str]:
    profile = {}
    for name in PROFILE_FIELDS:
        text = row.text(name)
        if not text:
            continue
        if text not in ref.profile.get(name, ()):
            row.fail("unknown_option", name, text)
        else:
            profile[name] = text
    return profile


def _dossier(row: _Row, key: str) -> str | None:
    text = row.text("dossier")
    if not text:
        return None
    if len(text) > DOSSIER_MAX_LEN:
        return row.fail("dossier_too_long", "dossier", limit=DOSSIER_MAX_LEN)
    return dossier_hash(text, key)


def _mode(row: _Row, defaults: Defaults) -> str | None:
    text = row.text("mode").lower() or defaults.mode or ""
    if not text:
        return row.fail("required", "mode")
    if text not in IMPORT_MODES:
        return row.fail("bad_mode", "mode", text)
    return text


def check_row(number: int, values: list[object], positions: dict[str, int],
              defaults: Defaults, catalogue: Catalogue, context: dict) -> FieldRow | None:
    """One row checked cell by cell; None (with its problems recorded) when it is refused."""
    problems = context["problems"]
    row = _Row(number, values, positions, problems)
    if len(values) > context["width"] and any(cell_text(v) for v in values[context["width"]:]):
        row.fail("extra_cells")
    position = positions["survey_date"]
    raw_date = values[position] if position < len(values) else None
    found = {"id": _uuid(row), "survey_date": _survey_date(row, context["today"], raw_date),
             "mode": _mode(row, defaults), "dossier_hash": _dossier(row, context["key"])}
    counter, area = _counter_area(row, catalogue)
    ref = _questionnaire(row, defaults, catalogue)
    answers = _answers(row, ref, problems, context["reported"]) if ref else {}
    profile = _profile(row, ref) if ref else {}
    if not row.ok:
        return None
    return FieldRow(number, found["id"], found["survey_date"], counter, area, ref,
                    found["mode"], answers, profile, found["dossier_hash"])


def _repeats(rows: list[FieldRow], problems: list[Problem]) -> None:
    """Ids and dossiers given twice in the file (the later row is refused)."""
    ids: dict[uuid.UUID, int] = {}
    dossiers: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.id in ids:
            problems.append(Problem("duplicate_id", r.row, "id", str(r.id), str(ids[r.id])))
        else:
            ids[r.id] = r.row
        if r.dossier_hash is not None:
            key = (r.questionnaire.code, r.dossier_hash)
            if key in dossiers:
                problems.append(Problem("duplicate_dossier", r.row, "dossier",
                                        other=str(dossiers[key])))
            else:
                dossiers[key] = r.row


def _stored(session: Session, rows: list[FieldRow], problems: list[Problem]) -> None:
    """Ids already stored, dossiers already evaluated (of the same questionnaire code)."""
    ids = sorted({r.id for r in rows}, key=str)
    taken: set[uuid.UUID] = set()
    for start in range(0, len(ids), CHUNK):
        taken.update(session.scalars(sa.select(Response.uuid).where(
            Response.uuid.in_(ids[start:start + CHUNK]))))
    by_code: dict[str, set[str]] = {}
    for r in rows:
        if r.dossier_hash is not None:
            by_code.setdefault(r.questionnaire.code, set()).add(r.dossier_hash)
    evaluated: set[tuple[str, str]] = set()
    for code, hashes in by_code.items():
        listed = sorted(hashes)
        for start in range(0, len(listed), CHUNK):
            evaluated.update((code, h) for h in session.scalars(sa.select(
                Response.dossier_hash).where(Response.questionnaire_code == code,
                                             Response.dossier_hash.in_(
                                                 listed[start:start + CHUNK]))))
    for r in rows:
        if r.id in taken:
            problems.append(Problem("id_stored", r.row, "id", str(r.id)))
        if r.dossier_hash is not None and (r.questionnaire.code, r.dossier_hash) in evaluated:
            problems.append(Problem("dossier_stored", r.row, "dossier"))


def _cell(values: list[object], positions: dict[str, int], column: str) -> str:
    position = positions.get(column)
    return cell_text(values[position]) if position is not None and position < len(values) \
        else ""


def _missing_items(table: Table, positions: dict[str, int], defaults: Defaults,
                   catalogue: Catalogue) -> list[Problem]:
    """Item columns missing for a questionnaire version the rows name (one problem each)."""
    named: dict[tuple[str, int], QuestionnaireRef] = {}
    for _number, values in table.rows:
        version = _cell(values, positions, "version")
        code = _cell(values, positions, "questionnaire") or defaults.questionnaire or ""
        ref = catalogue.questionnaire(code,
                                      int(version) if version.isdigit() and len(version) < 10
                                      else defaults.version)
        if ref is not None:
            named[(ref.code, ref.version)] = ref
    problems = []
    for _key, ref in sorted(named.items()):
        missing = [code for code in ref.items if code not in positions]
        if missing:
            problems.append(Problem("missing_columns", value=", ".join(missing),
                                    other=f"{ref.code} v{ref.version}"))
    return problems


def check_table(session: Session, table: Table, defaults: Defaults, catalogue: Catalogue,
                dossier_key: str) -> Checked:
    """Every row of ``table`` checked; the header first (no row is read when it is wrong)."""
    if table.problems:
        return Checked(problems=list(table.problems))
    if not table.header:
        return Checked(problems=[Problem("no_rows")])
    positions, problems = header_columns(table.header, defaults, catalogue)
    problems = problems or _missing_items(table, positions, defaults, catalogue)
    if problems:
        return Checked(problems=problems)
    if not table.rows:
        return Checked(problems=[Problem("no_rows")])
    context = {"problems": [], "today": datetime.now(LOCAL_TZ).date(), "key": dossier_key,
               "reported": set(), "width": len(table.header)}
    rows = [r for number, values in table.rows
            if (r := check_row(number, values, positions, defaults, catalogue, context))]
    problems = context["problems"]
    _repeats(rows, problems)
    _stored(session, rows, problems)
    problems.sort(key=lambda p: (p.row, p.column))
    return Checked(rows=[] if problems else rows, problems=problems)
