"""The report as flat records (CSV and JSON), the download formats, and the raw responses.

Records: The report as flat records (CSV and JSON): the record format of ``python -m analysis sipas``.

Fields: ``section`` (overall | service_area | agency | counter | channel | sensitivity |
change | cells | warning | ranking | counter_ranking | trend), ``period``, then ``by, level, measure, estimate,
se, ci_low, ci_high, n, n_eff, deff, flag`` as ``python -m analysis sipas`` writes them.
Unit records add ``dossiers``, ``coverage`` (responses per 100 dossiers), ``low_coverage``,
``cell_notes`` (no_total, over_covered, no_responses) and, for the SIPAS index of agencies and
counters, ``model_estimate``, ``model_ci_low``, ``model_ci_high``, ``model_method``.
``sensitivity`` is the SIPAS index without the flagged responses; ``cells`` lists every
weighting cell (``by`` quarter|agency|service area, ``measure`` its stratum, ``n``, ``dossiers``,
``coverage``, ``flag`` ok | merged_small | merged_agency | over_covered | no_total); ``warning``
records carry in ``flag`` no_totals | partial_totals | over_covered | lonely | merged |
sums_stale | questionnaire_versions and in ``measure`` the detail. ``change`` records add
``current``, ``previous`` and ``p_value`` (``estimate`` is the difference); ranking records add
``rank``, ``rank_low``, ``rank_high``, ``band``, ``basis`` (direct | model) and ``reason``.

Raw responses: Raw responses for analysts: the export's columns, the overall question and the profile.

Columns: the keys and design columns of ``flask sipas export`` with the survey date, one per
criterion, one per overall question of the questionnaire (SIPAS: "HL"), then the respondent
profile (gender, age band…) as the questionnaire defines it. Left out on purpose: the dossier
hash, the client id and every timestamp finer than the survey date. Service area and channel
filters are applied as plain subsets here.
"""
from __future__ import annotations

import io
import json
import math
import uuid

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import queries
from .. import questionnaires as qdefs
from ..extensions import db
from ..main.security import csv_safe_frame
from ..models import Answer, Questionnaire, Response
from .compute import Report, domain_mask, load_frame, warnings
from .filters import ReportFilters
from .presentation import labels, report_view

BASE = ["section", "period", "by", "level", "measure", "estimate", "se", "ci_low", "ci_high",
        "n", "n_eff", "deff", "flag"]
EXTRA = ["current", "previous", "p_value", "rank", "rank_low", "rank_high", "band", "basis",
         "reason", "dossiers", "coverage", "low_coverage", "cell_notes", "model_estimate",
         "model_ci_low", "model_ci_high", "model_method"]


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _section(table: pd.DataFrame, section: str, period: str | None) -> list[dict]:
    if table is None or table.empty:
        return []
    rows = table.to_dict("records")
    return [{"section": section, "period": period, **r} for r in rows]


def _change(report: Report) -> list[dict]:
    if report.change is None or report.change.empty:
        return []
    return [{"section": "change", "period": report.filters.period, "by": "ALL",
             "level": r["level"], "measure": r["measure"], "estimate": r["difference"],
             "se": r["se"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": r["n"],
             "flag": r["flag"], "current": r["current"], "previous": r["previous"],
             "p_value": r["p_value"]} for r in report.change.to_dict("records")]


def _ranking(table: pd.DataFrame | None, section: str, period: str | None) -> list[dict]:
    if table is None or table.empty:
        return []
    return [{"section": section, "period": period, "by": r["by"], "level": "index",
             "measure": "SIPAS", **{k: r.get(k) for k in (
                 "estimate", "se", "ci_low", "ci_high", "n", "flag", "rank", "rank_low",
                 "rank_high", "band", "basis", "reason")}} for r in table.to_dict("records")]


def _cells(report: Report) -> list[dict]:
    cells = report.current.cells
    if cells is None or cells.empty:
        return []
    return [{"section": "cells", "period": report.filters.period,
             "by": f"{r['quarter']}|{r['agency']}|{r['service_area']}", "level": "cell",
             "measure": r["stratum"], "n": r["responses"], "dossiers": r["dossiers"],
             "coverage": r["coverage"], "flag": r["flag"]} for r in cells.to_dict("records")]


def _warnings(report: Report) -> list[dict]:
    return [{"section": "warning", "period": report.filters.period, "by": "ALL",
             "level": "warning", "measure": w["detail"], "flag": w["kind"]}
            for w in warnings(report.current.weighting)]


def _sensitivity(report: Report) -> list[dict]:
    record = report.current.sensitivity
    if not record:
        return []
    return [{**record, "section": "sensitivity", "period": report.filters.period, "by": "ALL"}]


def _trend(report: Report) -> list[dict]:
    if report.trend is None or report.trend.empty:
        return []  # the page's report has no trend; exports and the CLI compute it
    return [{"section": "trend", "period": r["period"], "by": "ALL", "level": "index",
             "measure": "SIPAS", **{k: r.get(k) for k in (
                 "estimate", "se", "ci_low", "ci_high", "n", "flag")}}
            for r in report.trend.to_dict("records")]


def report_records(report: Report) -> list[dict]:
    """Every number of ``report`` as one record each."""
    period = report.filters.period
    rows = _section(report.current.overall, "overall", period)
    for name, table in report.current.breakdowns.items():
        rows += _section(table, name, period)
    rows += _sensitivity(report) + _change(report) + _cells(report) + _warnings(report)
    rows += _ranking(report.ranking, "ranking", period)
    rows += _ranking(report.current.rankings.get("counter"), "counter_ranking", period)
    rows += _ranking(report.current.rankings.get("province"), "province_ranking", period)
    rows += _trend(report)
    return [{k: _clean(r.get(k)) for k in BASE + EXTRA if k in r or k in BASE} for r in rows]


def to_json(report: Report) -> str:
    """The records as a JSON list."""
    return json.dumps(report_records(report), ensure_ascii=False, indent=1)


BOM = "\ufeff"  # UTF-8 byte order mark: Excel then reads the Vietnamese names right


def to_csv(report: Report) -> str:
    """The records as CSV (full precision, so the numbers equal the page's), with a BOM; text
    cells that a spreadsheet would run as formulas (an agency named "=…") are neutralised."""
    frame = csv_safe_frame(pd.DataFrame(report_records(report), columns=BASE + EXTRA))
    return BOM + frame.to_csv(index=False, float_format="%.17g")


KEYS = ["response_id", "period", "survey_date", "agency", "counter", "service_area",
        "channel", "weight", "stratum", "fpc"]
FORBIDDEN = {"dossier_hash", "client_id", "dossier_ref", "received_at", "started_at",
             "submitted_at", "duration_seconds", "uuid", "id"}
CHUNK = 900  # ids per IN (…) query


def overall_codes(definition: dict) -> list[str]:
    """The questions answered on the scale that are not criteria (SIPAS: the overall "HL")."""
    criteria = set(qdefs.criterion_codes(definition))
    return [code for code in qdefs.item_codes(definition) if code not in criteria]


def profile_codes(definition: dict) -> list[str]:
    """The profile fields the questionnaire asks, each a column of ``Response``."""
    return [f["code"] for f in definition.get("profile", []) if hasattr(Response, f["code"])]


def decode_items(item_values: str | None, items: list[str], wanted: list[str]) -> list[float]:
    """The values of ``wanted`` in an ``item_values`` string of ``items`` (NaN = unanswered)."""
    text = item_values or ""
    out = []
    for code in wanted:
        i = items.index(code) if code in items else -1
        char = text[i] if 0 <= i < len(text) else "-"
        out.append(float(char) if char.isdigit() else math.nan)
    return out


def _details(session: Session, response_ids: list[str], overall: list[str],
             profile: list[str]) -> pd.DataFrame:
    """Overall answers and profile of the responses with ``response_ids`` (their uuids)."""
    columns = [getattr(Response, code) for code in profile]
    rows, definitions = [], {}
    for start in range(0, len(response_ids), CHUNK):
        chunk = [uuid.UUID(r) for r in response_ids[start:start + CHUNK]]
        rows += session.execute(sa.select(
            Response.id, Response.uuid, Response.questionnaire_id, Response.item_values,
            *columns).where(Response.uuid.in_(chunk))).all()
    missing = [row[0] for row in rows if row[3] is None]
    given = _answers(session, missing) if missing else {}
    records = []
    for rid, ruuid, qid, values, *person in rows:
        if qid not in definitions:
            definitions[qid] = qdefs.item_codes(session.get(Questionnaire, qid).definition)
        items = definitions[qid]
        if values is None:
            answers = [float(given.get(rid, {}).get(c, math.nan)) for c in overall]
        else:
            answers = decode_items(values, items, overall)
        records.append([str(ruuid), *answers, *person])
    return pd.DataFrame(records, columns=["response_id", *overall, *profile])


def _answers(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """Answer rows of responses stored without ``item_values``."""
    given: dict[int, dict[str, int]] = {}
    for start in range(0, len(ids), CHUNK):
        for rid, code, value in session.execute(sa.select(
                Answer.response_id, Answer.item_code, Answer.value).where(
                Answer.response_id.in_(ids[start:start + CHUNK]))):
            given.setdefault(rid, {})[code] = value
    return given


def raw_frame(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """Valid responses of the report's period and agency subtree, domain rows only."""
    frame = load_frame(session, filters, filters.period, with_ids=True)
    definition = queries.latest_questionnaire(session, filters.questionnaire).definition
    codes = qdefs.criterion_codes(definition)
    overall, profile = overall_codes(definition), profile_codes(definition)
    frame = frame[domain_mask(frame, filters)] if len(frame) else frame
    columns = [c for c in KEYS + codes if c in frame.columns and c not in FORBIDDEN]
    frame = frame[columns].reset_index(drop=True)
    details = _details(session, list(frame["response_id"]), overall, profile)
    frame = frame.merge(details, on="response_id", how="left", validate="one_to_one")
    for code in overall:
        frame[code] = frame[code].astype(float)
    return frame[[c for c in frame.columns if c not in FORBIDDEN]]


def raw_csv(frame: pd.DataFrame) -> str:
    """Raw responses as CSV with full-precision weights and a UTF-8 BOM; text cells that a
    spreadsheet would run as formulas are neutralised."""
    return BOM + csv_safe_frame(frame).to_csv(index=False, float_format="%.17g")


def _cell_value(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    return value.isoformat() if hasattr(value, "isoformat") else value


def raw_xlsx(frame: pd.DataFrame) -> bytes:
    """An XLSX with one sheet of responses (streamed, header row frozen, codes kept as text)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from .xlsx import formula_like

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
        values = [_cell_value(v) for v in row]
        if any(formula_like(v) for v in values):
            values = [_text_cell(sheet, v) if formula_like(v) else v for v in values]
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet, value: str):
    """A write-only cell holding ``value`` as text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def render_report(report: Report, fmt: str, locale: str) -> bytes | str:
    """The report in ``fmt`` (csv, json, xlsx or pdf): the same numbers everywhere."""
    if fmt == "csv":
        return to_csv(report)
    if fmt == "json":
        return to_json(report)
    view = report_view(report, labels(db.session, report.filters.questionnaire, locale))
    if fmt == "xlsx":
        from .reasons import reason_table
        from .xlsx import workbook_bytes
        lang = "en" if locale.startswith("en") else "vi"
        return workbook_bytes(view, reason_table(db.session, report.filters, lang,
                                                 view.labels.agencies, view.labels.counters))
    from .pdf import pdf_bytes  # reportlab and the charts: loaded only for a PDF
    return pdf_bytes(view)
