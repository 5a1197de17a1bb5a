"""Reading a field-survey file into a header and rows, whatever its format.

CSV (UTF-8 with or without a byte-order mark, comma or semicolon) or XLSX (its first sheet,
read streaming; a formula is read as the text the person typed, never computed). Rows carry
the number a spreadsheet shows (the header is row 1); blank rows are skipped but counted.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from .problems import Problem

MAX_ROWS = 50_000
MAX_COLUMNS = 200
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """A file's header (names as written, stripped) and its non-blank rows."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _blank(values: list[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _collect(records, table: Table) -> Table:
    """Header and rows from (row number, values) records, stopping past ``MAX_ROWS``."""
    for number, values in records:
        if not table.header:
            if _blank(values):
                continue
            header = ["" if v is None else str(v).strip() for v in values[:MAX_COLUMNS + 1]]
            while header and not header[-1]:
                header.pop()
            table.header = header
            continue
        if _blank(values):
            continue
        if len(table.rows) >= MAX_ROWS:
            table.problems.append(Problem("too_many_rows", limit=MAX_ROWS))
            break
        table.rows.append((number, list(values)))
    return table


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def read_csv(data: bytes) -> Table:
    """A CSV file's header and rows (UTF-8, comma or semicolon)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Table(problems=[Problem("not_utf8")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    table = Table()
    try:
        return _collect(enumerate(reader, start=1), table)
    except csv.Error:
        table.problems.append(Problem("malformed", row=reader.line_num))
        return table


def _xlsx_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value


def read_xlsx(data: bytes) -> Table:
    """The first sheet of an XLSX workbook: cells as typed (formulas as their text)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        records = ((number, [_xlsx_value(v) for v in values])
                   for number, values in enumerate(sheet.iter_rows(values_only=True), start=1))
        table = _collect(records, Table())
        book.close()
        return table
    except Exception:  # noqa: BLE001 - a damaged or hostile workbook is the sender's problem
        return Table(problems=[Problem("not_readable")])


def read_file(data: bytes) -> Table:
    """The header and rows of a CSV or XLSX file (told apart by its first bytes)."""
    if data.startswith(XLSX_MAGIC):
        return read_xlsx(data)
    if b"\x00" in data[:4096]:
        return Table(problems=[Problem("not_readable")])
    return read_csv(data)


def cell_text(value: object) -> str:
    """A cell as text: stripped, dates as YYYY-MM-DD, whole floats without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()
