"""The report as an XLSX workbook formatted for printing: a summary and one sheet per table.

Every estimate, interval bound, difference and p-value is a number cell with a number format
(never text); an interval is two cells (low, high). A text that a spreadsheet could read as a
formula (names and codes typed by people: "=…", "+…", "-…", "@…") is always stored as text.
"""
from __future__ import annotations

import io
import math

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .presentation import Cell, ReportView

HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
PERCENT = "0.0"
MEAN = "0.00"
P_VALUE = "0.000"
COUNT = "0"
HEADER_ROW = 3
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    """Whether a spreadsheet could take the text ``value`` for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def as_text(cell) -> None:
    """Keep a formula-like text of ``cell`` a plain text (shown as typed, never computed)."""
    if formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True  # Excel keeps it text even when someone edits the cell


def _guard_row(sheet: Worksheet, row: int) -> None:
    for cell in sheet[row]:
        as_text(cell)


def _setup(sheet: Worksheet, title: str, headers: list[str], widths: list[int]) -> None:
    sheet["A1"] = title
    as_text(sheet["A1"])
    sheet["A1"].font = Font(bold=True, size=13)
    for col, (name, width) in enumerate(zip(headers, widths), start=1):
        cell = sheet.cell(row=HEADER_ROW, column=col, value=name)
        as_text(cell)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = "&P / &N"


def flag_words(c: Cell) -> str:
    """The reliability flags of a cell in words (empty when the cell is fine)."""
    words = {"wide": _("wide interval"), "low_n": _("few answers"),
             "suppressed": _("hidden (fewer than 10 answers)"),
             "no_df": _("no confidence interval"), "zero_se": "SE = 0"}
    if not c.shown:
        return words["suppressed"]
    return ", ".join(words.get(f, f) for f in c.flags)


def _cell_values(c: Cell) -> list:
    """Estimate, CI low, CI high (blank when suppressed), n, flag in words."""
    if not c.shown:
        return [None, None, None, c.n, flag_words(c)]
    return [c.estimate, c.ci_low, c.ci_high, c.n, flag_words(c)]


def _append(sheet: Worksheet, values: list, number_columns, formats: dict | None = None) -> None:
    """One row: names and codes kept as text, ``number_columns`` as 0.0, ``formats`` {col: fmt}."""
    sheet.append([None if isinstance(v, float) and math.isnan(v) else v for v in values])
    row = sheet.max_row
    _guard_row(sheet, row)
    for col in number_columns:
        sheet.cell(row=row, column=col).number_format = PERCENT
    for col, number_format in (formats or {}).items():
        sheet.cell(row=row, column=col).number_format = number_format


def _estimate_headers() -> list[str]:
    return [_("Index, %"), _("95% CI low"), _("95% CI high"), _("n"), _("Flag")]


def summary_sheet(sheet: Worksheet, view: ReportView) -> None:
    """Title, scope, headline SIPAS, weighting and method note."""
    f = view.report.filters
    _setup(sheet, _("SIPAS report") + f" · {f.period or _('all data')}",
           [_("Item"), _("Value")], [34, 110])
    agency = view.labels.agencies.get(f.agency, f.agency) if f.agency else _("Whole province")
    rows = [(_("Period"), f.period or _("all data")), (_("Agency"), agency),
            (_("Service area"), view.labels.areas.get(f.service_area, _("All service areas"))
             if f.service_area else _("All service areas")),
            (_("Channel"), f.channel), (_("Questionnaire"), f.questionnaire),
            (_("Weights"), (_("Weighted to dossiers handled") if view.weighted_in_fact else
                            _("not weighted: no dossier totals yet")) if f.weighted
             else _("Unweighted"))]
    if view.weighting_warning:
        rows.append((_("Warning"), view.weighting_warning))
    if view.change_warning:
        rows.append((_("Warning"), view.change_warning))
    for label, value in rows:
        _append(sheet, [label, value], ())
    h = view.headline
    estimate, low, high = _cell_values(h)[:3]
    _append(sheet, [_("SIPAS index, %"), estimate], [2])
    _append(sheet, [_("95% CI low"), low], [2])
    _append(sheet, [_("95% CI high"), high], [2])
    _append(sheet, [_("Respondents"), h.n], (), {2: COUNT})
    _append(sheet, [_("Flag"), flag_words(h)], ())
    _append(sheet, [_("Coverage"), h.coverage], [2])
    _append(sheet, [_("Flagged responses included"), view.weighting.get("flagged", 0)], (),
            {2: COUNT})
    without = view.sensitivity
    if without.shown:
        _append(sheet, [_("SIPAS index without flagged responses, %"), without.estimate], [2])
        _append(sheet, [_("95% CI low, without flagged responses"), without.ci_low], [2])
        _append(sheet, [_("95% CI high, without flagged responses"), without.ci_high], [2])
    for paragraph in view.notes():
        _append(sheet, [_("Method"), paragraph], ())
        sheet.cell(row=sheet.max_row, column=2).alignment = Alignment(wrap_text=True)


def elements_sheet(sheet: Worksheet, view: ReportView) -> None:
    """Elements and their criteria."""
    _setup(sheet, _("Elements and criteria"), [_("Code"), _("Element / criterion")]
           + _estimate_headers() + [_("Mean score, 1–5")], [10, 60, 11, 11, 11, 8, 14, 12])
    for el in view.elements:
        _append(sheet, [el.code, el.name] + _cell_values(el.cell), range(3, 6), {6: COUNT})
        sheet.cell(row=sheet.max_row, column=2).font = Font(bold=True)
        for code, name, c, mean in el.criteria:
            _append(sheet, [code, "   " + name] + _cell_values(c)
                    + [mean.estimate if mean.shown else None], range(3, 6),
                    {6: COUNT, 8: MEAN})


def _unit_extras(c: Cell) -> list:
    """Coverage, model-based estimate and interval, cell notes in words."""
    model = c.model or (None, None, None)
    return [c.coverage, *model, unit_note_words(c)]


def unit_note_words(c: Cell) -> str:
    """Coverage and weighting-cell notes of a unit in words."""
    words = {"no_total": _("no total"), "over_covered": _("responses > dossiers"),
             "no_responses": _("no responses")}
    notes = [_("low coverage")] if c.low_coverage else []
    return ", ".join(notes + [words.get(n, n) for n in c.notes])


def _extra_headers() -> list[str]:
    return [_("Coverage"), _("SIPAS, model-based"), _("95% CI low"), _("95% CI high"),
            _("Notes")]


def breakdown_sheet(sheet: Worksheet, view: ReportView, breakdown: str, title: str,
                    unit: str) -> None:
    """One row per (unit, measure) of a breakdown; the SIPAS row carries coverage and the
    model-based estimate."""
    _setup(sheet, title, [_("Code"), unit, _("Measure")] + _estimate_headers()
           + _extra_headers(), [14, 44, 10, 11, 11, 11, 8, 14, 10, 11, 11, 11, 20])
    for row in view.breakdowns.get(breakdown, []):
        for measure, c in zip(view.measures, row["cells"]):
            extras = _unit_extras(c) if measure == "SIPAS" else []
            _append(sheet, [row["code"], row["name"], measure] + _cell_values(c) + extras,
                    [4, 5, 6, 9, 10, 11, 12], {7: COUNT})


def _ranking_rows(sheet: Worksheet, ranked: list[dict], unranked: list[dict]) -> None:
    for row in ranked:
        basis = _("model-based") if row["model_based"] else _("direct")
        _append(sheet, [row["rank"], row["rank_low"], row["rank_high"], row["band"],
                        row["name"], row["estimate"], row["ci_low"], row["ci_high"],
                        row["cell"].n, basis], range(6, 9), {9: COUNT})
    for row in unranked:
        _append(sheet, [None, None, None, _("not ranked: %(reason)s", reason=row["reason_text"]),
                        row["name"]] + _cell_values(row["cell"])[:4], range(6, 9), {9: COUNT})


def ranking_sheet(sheet: Worksheet, view: ReportView, counters: bool = False) -> None:
    """Agencies (or counters) with rank, plausible ranks, band and the estimate ranked on."""
    _setup(sheet, _("Ranking of counters (model-based)") if counters else
           _("Ranking of agencies"), [_("Rank"), _("Lowest plausible rank"),
           _("Highest plausible rank"), _("Band"), _("Counter") if counters else _("Agency"),
           _("Index, %"), _("95% CI low"), _("95% CI high"), _("n"), _("Basis")],
           [7, 12, 12, 8, 44, 11, 11, 11, 8, 14])
    if counters:
        _ranking_rows(sheet, view.counter_ranking, view.counter_unranked)
    else:
        _ranking_rows(sheet, view.ranking, view.unranked)


def change_sheet(sheet: Worksheet, view: ReportView) -> None:
    """Change from the previous period."""
    previous = view.report.previous_period or ""
    _setup(sheet, _("Change from the previous period (%(period)s)", period=previous),
           [_("Measure"), previous, _("n"), view.report.filters.period or "", _("n"),
            _("Change, points"), _("95% CI low"), _("95% CI high"), _("p-value"),
            _("Significant?")], [40, 11, 8, 11, 8, 12, 11, 11, 9, 12])
    for row in view.change:
        before, now = row["previous"], row["current"]
        _append(sheet, [row["name"], before.estimate if before.shown else None, before.n,
                        now.estimate if now.shown else None, now.n, row["difference"],
                        row["ci_low"], row["ci_high"], row["p_value"],
                        _("yes") if row["significant"] else _("no")], [2, 4, 6, 7, 8],
                {3: COUNT, 5: COUNT, 9: P_VALUE})


def cells_sheet(sheet: Worksheet, view: ReportView) -> None:
    """Every weighting cell: responses, dossiers, coverage, its stratum and flag."""
    _setup(sheet, _("Weighting cells"), [_("Quarter"), _("Agency"), _("Service area"),
           _("Responses"), _("Dossiers"), _("Coverage"), _("Stratum"), _("Flag")],
           [10, 36, 30, 11, 11, 10, 34, 18])
    words = {"ok": "", "merged_small": _("merged with small cells"),
             "merged_agency": _("merged into the agency's quarter"),
             "over_covered": _("responses > dossiers"), "no_total": _("no total")}
    cells = view.report.current.cells
    for row in ([] if cells is None else cells.to_dict("records")):
        _append(sheet, [row["quarter"], view.labels.agencies.get(row["agency"], row["agency"]),
                        view.labels.areas.get(row["service_area"], row["service_area"]),
                        row["responses"], row["dossiers"], row["coverage"], row["stratum"],
                        words.get(row["flag"], row["flag"])], [6], {4: COUNT, 5: COUNT})


def reasons_sheet(sheet: Worksheet, reasons: dict[str, list]) -> None:
    """Reason counts per agency (and per counter when the report is of one agency): the low
    ratings they came from, then one row per reason code with its label and count."""
    _setup(sheet, _("Reasons for dissatisfaction"), [_("Level"), _("Code"), _("Unit"),
           _("Low ratings with a reason"), _("Reason code"), _("Reason"), _("Times chosen")],
           [10, 14, 40, 14, 14, 50, 12])
    levels = {"agency": _("Agency"), "counter": _("Counter")}
    for level in ("agency", "counter"):
        for group in reasons.get(level, []):
            for code, label, count in group.reasons:
                _append(sheet, [levels[level], group.code, group.name, group.low_ratings,
                                code, label, count], (), {4: COUNT, 7: COUNT})


def workbook_bytes(view: ReportView, reasons: dict[str, list] | None = None) -> bytes:
    """The whole workbook as bytes (with the reasons sheet when ``reasons`` is given)."""
    book = Workbook()
    summary_sheet(book.active, view)
    book.active.title = _("Summary")[:31]
    elements_sheet(book.create_sheet(_("Elements and criteria")[:31]), view)
    if view.breakdowns.get("province"):
        breakdown_sheet(book.create_sheet(_("By province")[:31]), view, "province",
                        _("By province"), _("Province"))
    for breakdown, title, unit in (
            ("service_area", _("By service area"), _("Service area")),
            ("agency", _("By agency"), _("Agency")),
            ("counter", _("By counter"), _("Counter")),
            ("channel", _("By channel"), _("Channel"))):
        breakdown_sheet(book.create_sheet(title[:31]), view, breakdown, title, unit)
    ranking_sheet(book.create_sheet(_("Ranking")[:31]), view)
    ranking_sheet(book.create_sheet(_("Ranking of counters")[:31]), view, counters=True)
    change_sheet(book.create_sheet(_("Change")[:31]), view)
    if reasons is not None:
        reasons_sheet(book.create_sheet(_("Reasons for dissatisfaction")[:31]), reasons)
    cells_sheet(book.create_sheet(_("Weighting cells")[:31]), view)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _share(value: float | None) -> float | None:
    return None if value is None else 100 * value


def portal_sheet(sheet: Worksheet, table) -> None:
    """The portal-style table (``portal.PortalTable``): one row per agency, the total last;
    shares in percent, each interval two cells."""
    f = table.filters
    _setup(sheet, _("Portal-style table") + f" · {f.period or _('all data')}",
           [_("Code"), _("Agency"), _("Dossiers handled (N)"), _("Rated (n)"),
            _("Rated share, %"), _("95% CI low"), _("95% CI high"), _("Ratings"),
            _("Satisfied ratings"), _("Satisfied share, %"), _("95% CI low"),
            _("95% CI high"), _("Target, %"), _("Attainment, %"), _("Follow-ups due"),
            _("Handled on time"), _("On-time share, %"), _("95% CI low"), _("95% CI high"),
            _("SIPAS index, %"), _("95% CI low"), _("95% CI high"), _("Notes")],
           [12, 40, 12, 10, 10, 10, 10, 10, 10, 10, 10, 10, 9, 11, 10, 10, 10, 10, 10, 10,
            10, 10, 30])
    from .portal import table_records

    for record in table_records(table):
        name = record["name"] or _("Total")
        notes = [text for key, text in (("over_covered", _("more rated than dossiers")),
                                        ("no_total", _("no total")),
                                        ("prorated", _("total prorated by days")))
                 if record[key]]
        _append(sheet, [record["agency"], name, record["dossiers"], record["rated"],
                        _share(record["rated_share"]), _share(record["rated_low"]),
                        _share(record["rated_high"]), record["ratings"], record["satisfied"],
                        _share(record["satisfied_share"]), _share(record["satisfied_low"]),
                        _share(record["satisfied_high"]), _share(record["target"]),
                        _share(record["attainment"]), record["due"], record["on_time"],
                        _share(record["on_time_share"]), _share(record["on_time_low"]),
                        _share(record["on_time_high"]), record["sipas"],
                        record["sipas_low"], record["sipas_high"], ", ".join(notes)],
                [5, 6, 7, 10, 11, 12, 13, 14, 17, 18, 19, 20, 21, 22],
                {3: COUNT, 4: COUNT, 8: COUNT, 9: COUNT, 15: COUNT, 16: COUNT})
    sheet.cell(row=sheet.max_row, column=2).font = Font(bold=True)


def portal_workbook(table) -> bytes:
    """The portal-style table as an XLSX workbook, with the rule it counts by."""
    from .portal import portal_notes

    book = Workbook()
    portal_sheet(book.active, table)
    book.active.title = _("Portal-style table")[:31]
    sheet = book.create_sheet(_("Method")[:31])
    _setup(sheet, _("How these numbers were computed"), [_("Method")], [120])
    for paragraph in portal_notes(table):
        _append(sheet, [paragraph], ())
        sheet.cell(row=sheet.max_row, column=1).alignment = Alignment(wrap_text=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
