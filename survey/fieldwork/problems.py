"""What can be wrong with a field-survey file: one ``Problem`` per refused cell, row or file,
with its English text (the command line); the page says the same in the reader's language
(``describe``)."""
from __future__ import annotations

from dataclasses import dataclass

#: Problem kinds and their English text; ``{value}``, ``{other}`` and ``{limit}`` are filled in.
TEXTS = {
    "not_utf8": "the file is not UTF-8 text",
    "not_readable": "the file is neither a CSV nor an XLSX workbook that can be read",
    "malformed": "malformed CSV (an unclosed quote?)",
    "no_rows": "the file has no data rows",
    "too_many_rows": "the file has more than {limit} rows; split it",
    "too_large": "the file is larger than {limit} bytes; split it",
    "missing_columns": "missing columns: {value}",
    "unknown_columns": "unknown columns: {value}",
    "duplicate_columns": "columns given twice: {value}",
    "extra_cells": "the row has more cells than the header has columns",
    "unsafe_text": "contains control characters",
    "required": "is empty",
    "bad_uuid": "“{value}” is not a UUID",
    "duplicate_id": "id repeats row {other}",
    "id_stored": "id {value} is already stored",
    "bad_date": "“{value}” is not a date YYYY-MM-DD",
    "future_date": "{value} is in the future",
    "early_date": "{value} is before 2020",
    "unknown_counter": "no counter has the code “{value}”",
    "area_required": "required: counter “{value}” serves several areas",
    "unknown_area": "no service area has the code “{value}”",
    "area_not_served": "counter “{other}” does not serve the area “{value}”",
    "unknown_questionnaire": "no published questionnaire “{value}”",
    "bad_version": "“{value}” is not a version number",
    "bad_mode": "“{value}” is not paper or phone",
    "bad_value": "“{value}” is not a whole number from 1 to 5",
    "no_criterion": "no criterion is answered",
    "missing_required": "a required criterion is not answered",
    "unknown_option": "“{value}” is not an option of this question",
    "dossier_too_long": "the dossier code is longer than {limit} characters",
    "duplicate_dossier": "the same dossier as row {other}",
    "dossier_stored": "this dossier has already been evaluated",
    "conflict": "another import or submission stored some of these ids or dossiers meanwhile; "
                "nothing was stored, check the file again",
}


@dataclass(frozen=True)
class Problem:
    """One refused file, row or cell: ``row`` as the spreadsheet numbers it (0: the whole
    file), ``column`` its header name (empty: the whole row)."""

    kind: str
    row: int = 0
    column: str = ""
    value: str = ""
    other: str = ""
    limit: int = 0

    def text(self) -> str:
        """The problem in English, with its row and column (for the command line)."""
        detail = TEXTS[self.kind].format(value=self.value, other=self.other, limit=self.limit)
        if self.row and self.column:
            return f"row {self.row}, column {self.column}: {detail}"
        if self.row:
            return f"row {self.row}: {detail}"
        return detail


def shown(value: object, limit: int = 60) -> str:
    """A cell's value as a problem may quote it: short, without control characters."""
    text = "" if value is None else str(value)
    text = "".join("?" if ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF
                   else ch for ch in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"
