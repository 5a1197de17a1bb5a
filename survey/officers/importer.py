"""Attaching officers to stored responses from a CSV file ``dossier_code,officer_code``.

A dossier code is found through its keyed hash (``responses.dossier_hash``), as responses store
it. Every line is checked first and every problem reported with its line number; when there is
any, nothing is written. Otherwise every response gets its officer in the caller's transaction,
with one audit event. Importing the same file again changes nothing (and says so); a response
that carried another officer gets the new one, and the report lists it.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import audit
from ..models import Agency, Officer, Response, User
from ..responses import DOSSIER_MAX_LEN, dossier_hash
from .service import CODE_MAX_LEN, unsafe_text

COLUMNS = ("dossier_code", "officer_code")
CHUNK = 500

#: Problem kinds and their English text (the web page says the same in the reader's language).
TEXTS = {
    "not_utf8": "the file is not UTF-8 text",
    "no_rows": "the file has no data rows",
    "header": "the header must be dossier_code,officer_code",
    "malformed": "malformed line: expected 2 values (dossier_code,officer_code)",
    "empty_dossier": "the dossier code is empty",
    "empty_officer": "the officer code is empty",
    "unsafe_dossier": "the dossier code has control characters or is too long",
    "unsafe_officer": "the officer code has control characters or is too long",
    "unknown_dossier": "no response has the dossier code {value!r}",
    "unknown_officer": "no officer has the code {officer!r}",
    "inactive_officer": "officer {officer!r} is inactive",
    "other_agency": "officer {officer!r} is not of the agency of the response to dossier "
                    "{value!r}",
    "conflict": "dossier {value!r} is already on line {other} with another officer",
}


@dataclass(frozen=True)
class Problem:
    """One refused line: ``kind`` (a key of ``TEXTS``), the values it names."""

    line: int
    kind: str
    value: str = ""
    officer: str = ""
    other: int = 0

    def text(self) -> str:
        """The problem in English, with its line (for the command line)."""
        detail = TEXTS[self.kind].format(value=self.value, officer=self.officer,
                                         other=self.other)
        return f"line {self.line}: {detail}" if self.line else detail


@dataclass(frozen=True)
class Replacement:
    """A response that carried another officer and gets the one of line ``line``."""

    line: int
    dossier: str
    previous: str
    officer: str


@dataclass
class ImportReport:
    """What an import found and did: counts, the problems, the replaced officers."""

    rows: int = 0
    responses: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    replaced: list[Replacement] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file was accepted (nothing is written otherwise)."""
        return not self.problems


@dataclass(frozen=True)
class _Line:
    line: int
    dossier: str
    officer: str
    digest: str


def decode(data: bytes) -> str | None:
    """The file as text (UTF-8, a byte-order mark tolerated); None when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _records(text: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """(first line number, values) of every record; a line the CSV reader cannot read ends the
    reading with a ``malformed`` problem."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out, start = [], 1
    try:
        for values in reader:
            out.append((start, values))
            start = reader.line_num + 1
    except csv.Error:
        return out, [Problem(reader.line_num or start, "malformed")]
    return out, []


def _parse(text: str, key: str) -> tuple[list[_Line], list[Problem]]:
    """The well-formed lines with their dossier hash, and the problems of the others."""
    records, problems = _records(text.replace("\x00", "\ufffd"))
    if not records:
        return [], problems or [Problem(0, "no_rows")]
    first_line, header = records[0]
    if [v.strip().lower() for v in header] != list(COLUMNS):
        return [], [Problem(first_line, "header")]
    lines = []
    for number, values in records[1:]:
        if not values:
            continue
        if len(values) != len(COLUMNS):
            problems.append(Problem(number, "malformed"))
            continue
        dossier, officer = (v.strip() for v in values)
        found = _value_problems(number, dossier, officer)
        if found:
            problems.extend(found)
            continue
        lines.append(_Line(number, dossier, officer, dossier_hash(dossier, key)))
    if not lines and not problems:
        problems.append(Problem(0, "no_rows"))
    return lines, problems


def _value_problems(number: int, dossier: str, officer: str) -> list[Problem]:
    problems = []
    for kind, value, limit in (("dossier", dossier, DOSSIER_MAX_LEN),
                               ("officer", officer, CODE_MAX_LEN)):
        if not value:
            problems.append(Problem(number, f"empty_{kind}"))
        elif unsafe_text(value) or "\ufffd" in value or len(value) > limit:
            problems.append(Problem(number, f"unsafe_{kind}"))
    return problems


def _chunks(values: list) -> list[list]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def _officers(session: Session, codes: set[str]) -> dict[str, Officer]:
    found = {}
    for part in _chunks(sorted(codes)):
        found.update((o.code, o) for o in session.scalars(
            sa.select(Officer).where(Officer.code.in_(part))))
    return found


def _responses(session: Session, digests: set[str]) -> dict[str, list[sa.Row]]:
    found: dict[str, list[sa.Row]] = {}
    for part in _chunks(sorted(digests)):
        for row in session.execute(sa.select(Response.id, Response.dossier_hash,
                                             Response.agency_id, Response.officer_id)
                                   .where(Response.dossier_hash.in_(part))):
            found.setdefault(row.dossier_hash, []).append(row)
    return found


def _subtrees(session: Session, officers: dict[str, Officer]) -> dict[int, set[int]]:
    """Each officer agency's subtree (a response of a subordinate unit belongs to it)."""
    ids = {o.agency_id for o in officers.values()}
    return {agency_id: set(session.get(Agency, agency_id).subtree_ids()) for agency_id in ids}


def check(session: Session, text: str, key: str) -> tuple[ImportReport, dict[int, int]]:
    """Check every line; the report and, when it is clean, response id → new officer id.

    Nothing is written. ``key`` is the application's ``DOSSIER_HASH_KEY``.
    """
    lines, problems = _parse(text, key)
    report = ImportReport(rows=len(lines), problems=problems)
    officers = _officers(session, {line.officer for line in lines})
    responses = _responses(session, {line.digest for line in lines})
    subtrees = _subtrees(session, officers)
    seen: dict[str, _Line] = {}
    plan: dict[int, tuple[int, _Line]] = {}
    for line in lines:
        earlier = seen.setdefault(line.digest, line)
        if earlier is not line:
            if earlier.officer != line.officer:
                problems.append(Problem(line.line, "conflict", line.dossier, line.officer,
                                        earlier.line))
            continue
        officer, matches = officers.get(line.officer), responses.get(line.digest, [])
        found = _line_problems(line, officer, matches, subtrees)
        problems.extend(found)
        if not found:
            plan.update((row.id, (officer.id, line)) for row in matches)
    report.problems = sorted(problems, key=lambda p: (p.line, p.kind))
    if report.problems:
        return report, {}
    return _tally(session, report, plan, responses), {rid: oid for rid, (oid, _) in plan.items()}


def _line_problems(line: _Line, officer: Officer | None, matches: list,
                   subtrees: dict[int, set[int]]) -> list[Problem]:
    problems = []
    if officer is None:
        problems.append(Problem(line.line, "unknown_officer", line.dossier, line.officer))
    elif not officer.active:
        problems.append(Problem(line.line, "inactive_officer", line.dossier, line.officer))
    if not matches:
        problems.append(Problem(line.line, "unknown_dossier", line.dossier, line.officer))
    elif officer is not None and any(row.agency_id not in subtrees[officer.agency_id]
                                     for row in matches):
        problems.append(Problem(line.line, "other_agency", line.dossier, line.officer))
    return problems


def _tally(session: Session, report: ImportReport, plan: dict[int, tuple[int, _Line]],
           responses: dict[str, list]) -> ImportReport:
    """Count what the import changes and list the responses whose officer is replaced."""
    current = {row.id: row.officer_id for rows in responses.values() for row in rows}
    previous_ids = {current[rid] for rid in plan if current[rid] is not None}
    codes = dict(session.execute(sa.select(Officer.id, Officer.code)
                                 .where(Officer.id.in_(previous_ids))).all()) \
        if previous_ids else {}
    report.responses = len(plan)
    for rid, (officer_id, line) in sorted(plan.items(), key=lambda item: item[1][1].line):
        before = current[rid]
        if before == officer_id:
            report.unchanged += 1
            continue
        report.changed += 1
        if before is not None:
            report.replaced.append(Replacement(line.line, line.dossier, codes.get(before, ""),
                                               line.officer))
    return report


def apply(session: Session, plan: dict[int, int]) -> None:
    """Give every response of ``plan`` (response id → officer id) its officer."""
    by_officer: dict[int, list[int]] = {}
    for rid, officer_id in plan.items():
        by_officer.setdefault(officer_id, []).append(rid)
    for officer_id, ids in by_officer.items():
        for part in _chunks(sorted(ids)):
            session.execute(sa.update(Response).where(Response.id.in_(part),
                                                      Response.officer_id.is_distinct_from(
                                                          officer_id))
                            .values(officer_id=officer_id)
                            .execution_options(synchronize_session=False))


def import_officers(session: Session, text: str | None, key: str, user: User | None,
                    filename: str = "") -> ImportReport:
    """Check the file and, when every line is good, attach the officers and audit the import
    (the caller commits; with problems nothing was written)."""
    if text is None:
        return ImportReport(problems=[Problem(0, "not_utf8")])
    report, plan = check(session, text, key)
    if not report.ok:
        return report
    apply(session, plan)
    audit.record(session, user, "import", "officer_assignment", None,
                 {"replaced": len(report.replaced)},
                 {"file": filename[:200], "rows": report.rows, "responses": report.responses,
                  "changed": report.changed, "unchanged": report.unchanged,
                  "replaced": len(report.replaced)})
    return report
