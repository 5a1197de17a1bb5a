"""The problems of a field-survey file in the reader's language, with row and column."""
from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from .problems import Problem


def _grouped(number: int) -> str:
    """A number with its thousands apart ("50 000")."""
    return format(number, ",").replace(",", " ")


def _texts(p: Problem) -> dict:
    return {
        "not_utf8": lambda: _("The file is not UTF-8 text."),
        "not_readable": lambda: _("The file is neither a CSV file nor an XLSX workbook that "
                                  "can be read."),
        "malformed": lambda: _("The CSV is malformed (a quote that is never closed?)."),
        "no_rows": lambda: _("The file has no data rows."),
        "too_many_rows": lambda: _("The file has more than %(limit)s rows: split it into "
                                   "several files.", limit=_grouped(p.limit)),
        "too_large": lambda: _("The file is larger than %(limit)s MB: split it into several "
                               "files.", limit=format_decimal(p.limit / (1024 * 1024),
                                                              format="#,##0.#")),
        "missing_columns": lambda: _("Missing columns: %(names)s.", names=p.value),
        "unknown_columns": lambda: _("Unknown columns: %(names)s.", names=p.value),
        "duplicate_columns": lambda: _("Columns given twice: %(names)s.", names=p.value),
        "extra_cells": lambda: _("the row has more cells than the header has columns"),
        "unsafe_text": lambda: _("contains control characters"),
        "required": lambda: _("is empty"),
        "bad_uuid": lambda: _("“%(value)s” is not a UUID", value=p.value),
        "duplicate_id": lambda: _("this id is already on row %(other)s", other=p.other),
        "id_stored": lambda: _("id %(value)s is already stored", value=p.value),
        "bad_date": lambda: _("“%(value)s” is not a date YYYY-MM-DD", value=p.value),
        "future_date": lambda: _("%(value)s is in the future", value=p.value),
        "early_date": lambda: _("%(value)s is before 2020", value=p.value),
        "unknown_counter": lambda: _("no counter has the code “%(value)s”", value=p.value),
        "area_required": lambda: _("required: counter “%(value)s” serves several areas",
                                   value=p.value),
        "unknown_area": lambda: _("no service area has the code “%(value)s”", value=p.value),
        "area_not_served": lambda: _("counter “%(counter)s” does not serve the area "
                                     "“%(value)s”", counter=p.other, value=p.value),
        "unknown_questionnaire": lambda: _("no published questionnaire “%(value)s”",
                                           value=p.value),
        "bad_version": lambda: _("“%(value)s” is not a version number", value=p.value),
        "bad_mode": lambda: _("“%(value)s” is neither paper nor phone", value=p.value),
        "bad_value": lambda: _("“%(value)s” is not a whole number from 1 to 5", value=p.value),
        "no_criterion": lambda: _("no criterion is answered"),
        "missing_required": lambda: _("a required criterion is not answered"),
        "unknown_option": lambda: _("“%(value)s” is not an option of this question",
                                    value=p.value),
        "dossier_too_long": lambda: _("the dossier code is longer than %(limit)s characters",
                                      limit=p.limit),
        "duplicate_dossier": lambda: _("the same dossier as row %(other)s", other=p.other),
        "dossier_stored": lambda: _("this dossier has already been evaluated"),
        "conflict": lambda: _("Another import or submission stored some of these ids or "
                              "dossiers meanwhile. Nothing was stored: check the file again."),
    }


def describe(problem: Problem) -> str:
    """One problem as the page shows it: "Row 5, column TC2: …"."""
    text = _texts(problem)[problem.kind]()
    if problem.kind == "missing_columns" and problem.other:
        text = _("Missing columns of %(questionnaire)s: %(names)s.",
                 questionnaire=problem.other, names=problem.value)
    if problem.row and problem.column:
        return _("Row %(row)s, column %(column)s: %(problem)s", row=problem.row,
                 column=problem.column, problem=text)
    if problem.row:
        return _("Row %(row)s: %(problem)s", row=problem.row, problem=text)
    return text
