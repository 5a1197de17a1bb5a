"""Raw responses for analysts: the export's columns, never personal data.

Left out on purpose: the dossier hash, the client id, timestamps finer than the survey date and
the respondent profile (gender, age band…). The columns are those of ``flask sipas export`` plus
the survey date; service area and channel filters are applied as plain subsets here.
"""
from __future__ import annotations

import io
import math

import pandas as pd
from sqlalchemy.orm import Session

from .. import queries
from .build import domain_mask, load_frame
from .filters import ReportFilters

KEYS = ["response_id", "period", "survey_date", "agency", "counter", "service_area",
        "channel", "weight"]
FORBIDDEN = {"dossier_hash", "client_id", "dossier_ref", "received_at", "started_at",
             "submitted_at", "gender", "age_band", "occupation", "education", "ethnicity"}


def raw_frame(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """Valid responses of the report's period and agency subtree, domain rows only."""
    frame = load_frame(session, filters, filters.period, with_ids=True)
    questionnaire = queries.latest_questionnaire(session, filters.questionnaire)
    from .. import questionnaires as qdefs

    codes = qdefs.criterion_codes(questionnaire.definition)
    frame = frame[domain_mask(frame, filters)] if len(frame) else frame
    columns = [c for c in KEYS + codes if c not in FORBIDDEN]
    return frame[columns].reset_index(drop=True)


def to_csv(frame: pd.DataFrame) -> str:
    """CSV with full-precision weights."""
    return frame.to_csv(index=False, float_format="%.17g")


def _cell_value(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else value


def to_xlsx(frame: pd.DataFrame) -> bytes:
    """An XLSX with one sheet of responses (streamed, header row frozen)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    sheet.freeze_panes = "A2"
    header = []
    for name in frame.columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in frame.itertuples(index=False):
        sheet.append([_cell_value(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
