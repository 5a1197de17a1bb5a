"""A printable Vietnamese report (PDF): title, scope, method note, tables and charts."""
from __future__ import annotations

import io
import struct
from pathlib import Path

import matplotlib
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from . import charts
from .numbers import fmt
from .presentation import Cell, ReportView

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FAMILY = "DejaVu"
HEADER = FontFace(emphasis="BOLD", fill_color=(221, 230, 240))
MIN_PT = 9  # no text of the document is smaller, charts included
BODY_PT = 9
MARGIN = 15


def _document(orientation: str = "portrait") -> FPDF:
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font(FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.alias_nb_pages()
    return pdf


def _text(c: Cell) -> tuple[str, str, str]:
    """Estimate, interval and n as text; a dash when suppressed."""
    if not c.shown:
        return "—", "", str(c.n)
    marks = " *" if "low_n" in c.flags else ""
    interval = f"{fmt(c.ci_low)}–{fmt(c.ci_high)}" if c.ci_low is not None else "×"
    return fmt(c.estimate) + marks, interval, str(c.n)


def _heading(pdf: FPDF, text: str, size: int = 13) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", size)
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", BODY_PT)


def _table(pdf: FPDF, header: list[str], rows: list[list[str]], widths: tuple) -> None:
    pdf.set_font(FAMILY, "", BODY_PT)
    with pdf.table(col_widths=widths, headings_style=HEADER, line_height=4.8,
                   text_align="LEFT", repeat_headings=1) as table:
        table.row(header)
        for values in rows:
            table.row(values)
    pdf.set_font(FAMILY, "", BODY_PT)


def png_size_mm(png: bytes) -> tuple[float, float]:
    """The natural size of a chart (pixels at ``charts.DPI``) in millimetres."""
    width, height = struct.unpack(">II", png[16:24])
    return width / charts.DPI * 25.4, height / charts.DPI * 25.4


def chart_width(png: bytes, page_width: float = 210, page_height: float = 297) -> float:
    """The printed width of a chart: its natural size, smaller only to fit the page and never
    so small that its text (``charts.MIN_FONT`` pt) prints under ``MIN_PT``."""
    width, height = png_size_mm(png)
    room_w, room_h = page_width - 2 * MARGIN, page_height - 2 * MARGIN - 5
    fit = min(1.0, room_w / width, room_h / height)
    return width * max(fit, MIN_PT / charts.MIN_FONT)


def _chart(pdf: FPDF, png: bytes) -> None:
    width = chart_width(png, pdf.w, pdf.h)
    pdf.image(io.BytesIO(png), w=width, x=max(pdf.l_margin, (pdf.w - width) / 2))
    pdf.ln(2)


def _title_page(pdf: FPDF, view: ReportView) -> None:
    f = view.report.filters
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 9, _("Citizen satisfaction with administrative services (SIPAS)"),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    agency = view.labels.agencies.get(f.agency, f.agency) if f.agency else _("Whole province")
    lines = [_("Period") + f": {f.period or _('all data')}", _("Agency") + f": {agency}"]
    if f.service_area:
        lines.append(_("Service area") + f": {view.labels.areas.get(f.service_area)}")
    if f.channel != "all":
        lines.append(_("Channel") + f": {view.labels.channels.get(f.channel, f.channel)}")
    lines.append(_("Weights") + ": " + ((_("Weighted to dossiers handled")
                                          if view.weighted_in_fact
                                          else _("not weighted: no dossier totals yet"))
                                         if f.weighted else _("Unweighted")))
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    if view.weighting_warning:
        pdf.set_font(FAMILY, "B", 10)
        pdf.set_text_color(150, 80, 0)
        pdf.multi_cell(0, 5, "⚠ " + view.weighting_warning, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FAMILY, "", 11)
    estimate, interval, n = _text(view.headline)
    pdf.ln(4)
    pdf.set_font(FAMILY, "B", 22)
    pdf.cell(0, 12, f"SIPAS: {estimate} %", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    pdf.cell(0, 6, _("95% CI") + f": {interval}   n = {n}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _("Coverage: %(value)s responses per 100 dossiers",
                     value=fmt(view.headline.coverage)), new_x="LMARGIN", new_y="NEXT")
    line = _("Flagged responses included: %(n)s", n=view.weighting.get("flagged", 0))
    without = view.sensitivity
    if view.weighting.get("flagged") and without.shown:
        line += " · " + _("without them: %(value)s (%(low)s–%(high)s)",
                          value=fmt(without.estimate), low=fmt(without.ci_low),
                          high=fmt(without.ci_high))
    pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")


def _method(pdf: FPDF, view: ReportView) -> None:
    _heading(pdf, _("How these numbers were computed"), 11)
    for paragraph in view.notes():
        pdf.multi_cell(0, 4.5, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def _elements(pdf: FPDF, view: ReportView) -> None:
    _heading(pdf, _("Elements and criteria"))
    rows = []
    for el in view.elements:
        rows.append([f"{el.code} · {el.name}", *_text(el.cell)])
        rows += [[f"   {code} · {name}", *_text(c)] for code, name, c, _mean in el.criteria]
    _table(pdf, [_("Element / criterion"), _("Index, %"), _("95% CI"), _("n")], rows,
           (110, 22, 30, 18))


def _model_text(c: Cell) -> str:
    if not c.model:
        return "–"
    value, low, high = c.model
    return fmt(value) + (f" ({fmt(low)}–{fmt(high)})" if low is not None else "")


def _breakdown(pdf: FPDF, view: ReportView, breakdown: str, title: str, unit: str,
               model: bool = False) -> None:
    """SIPAS per unit with interval, n and coverage; then the elements, or (``model``) the
    model-based estimate (the elements of agencies and counters are in the XLSX)."""
    _heading(pdf, title)
    rows = []
    for row in view.breakdowns.get(breakdown, []):
        first = row["cells"][0]
        estimate, interval, n = _text(first)
        extra = [_model_text(first)] if model else [_text(c)[0] for c in row["cells"][1:]]
        rows.append([row["name"], estimate, interval, n, fmt(first.coverage), *extra])
    coverage = _("Coverage")
    if model:
        header = [unit, "SIPAS", _("95% CI"), _("n"), coverage, _("SIPAS, model-based")]
        widths = (62, 16, 26, 12, 18, 46)
    else:
        header = [unit, "SIPAS", _("95% CI"), _("n"), coverage, *view.measures[1:]]
        widths = (50, 16, 24, 12, 18) + (12,) * (len(view.measures) - 1)
    _table(pdf, header, rows, widths)


def _ranking(pdf: FPDF, view: ReportView, counters: bool = False) -> None:
    ranked = view.counter_ranking if counters else view.ranking
    unranked = view.counter_unranked if counters else view.unranked
    if not ranked and not unranked:
        return
    _heading(pdf, _("Ranking of counters (model-based)") if counters
             else _("Ranking of agencies"))
    rows = [[str(r["rank"]), f"{r['rank_low']}–{r['rank_high']}", r["name"],
             fmt(r["estimate"]) + (" ◆" if r["model_based"] else ""),
             f"{fmt(r['ci_low'])}–{fmt(r['ci_high'])}", str(r["cell"].n)] for r in ranked]
    rows += [["–", "–", r["name"] + " — " + _("not ranked: %(reason)s", reason=r["reason_text"]),
              *_text(r["cell"])] for r in unranked]
    _table(pdf, [_("Rank"), _("Rank band: plausible ranks (95%)"),
                 _("Counter") if counters else _("Agency"), "SIPAS", _("95% CI"), _("n")],
           rows, (12, 30, 72, 16, 26, 14))
    if any(r["model_based"] for r in ranked):
        pdf.multi_cell(0, 5, "◆ " + _("model-based"), new_x="LMARGIN", new_y="NEXT")


def _change(pdf: FPDF, view: ReportView) -> None:
    if not view.change:
        return
    _heading(pdf, _("Change from the previous period (%(period)s)",
                    period=view.report.previous_period))
    if view.change_warning:
        pdf.set_text_color(150, 80, 0)
        pdf.multi_cell(0, 4.5, "⚠ " + view.change_warning, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    rows = []
    for r in view.change:
        diff = "—" if r["difference"] is None else fmt(r["difference"], sign=True)
        interval = "" if r["difference"] is None else f"{fmt(r['ci_low'])} – {fmt(r['ci_high'])}"
        rows.append([r["name"], _text(r["previous"])[0], _text(r["current"])[0], diff, interval,
                     _("yes") if r["significant"] else _("no")])
    _table(pdf, [_("Measure"), view.report.previous_period or "", view.report.filters.period
                 or "", _("Change, points"), _("95% CI of the change"), _("Significant?")],
           rows, (62, 20, 20, 22, 34, 22))


def pdf_bytes(view: ReportView) -> bytes:
    """The report as PDF bytes."""
    pdf = _document()
    _title_page(pdf, view)
    _chart(pdf, charts.trend_chart(view, "png"))
    _method(pdf, view)
    pdf.add_page()
    _elements(pdf, view)
    _change(pdf, view)
    pdf.add_page()
    _chart(pdf, charts.area_chart(view, "png"))
    if view.breakdowns.get("province"):
        _breakdown(pdf, view, "province", _("By province"), _("Province"), model=True)
    _breakdown(pdf, view, "service_area", _("By service area"), _("Service area"))
    pdf.add_page()
    _chart(pdf, charts.heat_chart(view, "png"))
    pdf.add_page()
    _chart(pdf, charts.agency_chart(view, "png"))
    _breakdown(pdf, view, "agency", _("By agency"), _("Agency"), model=True)
    _ranking(pdf, view)
    pdf.add_page()
    _breakdown(pdf, view, "channel", _("By channel"), _("Channel"))
    _breakdown(pdf, view, "counter", _("By counter"), _("Counter"), model=True)
    _ranking(pdf, view, counters=True)
    return bytes(pdf.output())


def _share_text(share: float | None, low: float | None, high: float | None,
                over: bool = False) -> str:
    """A share (0–1) as "82,2 (68,7–90,7)"; "!" marks a count above its total."""
    if share is None:
        return "—"
    text = fmt(100 * share) + (" !" if over else "")
    return text + (f" ({fmt(100 * low)}–{fmt(100 * high)})" if low is not None else "")


def portal_rows(table) -> list[list[str]]:
    """The rows of the portal table as printed text (the total last)."""
    rows = []
    for line in [*table.lines, table.total]:
        f, t = line.figures, line.on_time
        on_time = "—" if t is None else f"{t.on_time}/{t.due} · " + _share_text(
            t.share, t.low, t.high)
        sipas = _text(line.sipas)
        rows.append([line.name or _("Total"),
                     "—" if f.dossiers is None else fmt(f.dossiers, 0), str(f.rated),
                     _share_text(f.rated_share.share, f.rated_share.low, f.rated_share.high,
                                 f.rated_share.over),
                     f"{f.satisfied}/{f.ratings}",
                     _share_text(f.satisfied_share.share, f.satisfied_share.low,
                                 f.satisfied_share.high),
                     fmt(100 * f.attainment), on_time, f"{sipas[0]} ({sipas[1]})"
                     if sipas[1] else sipas[0]])
    return rows


def portal_pdf(table) -> bytes:
    """The portal-style table as a landscape PDF with its method note."""
    from .portal import portal_notes

    pdf = _document("landscape")
    pdf.add_page()
    f = table.filters
    _heading(pdf, _("Portal-style table") + f" · {f.period or _('all data')}", 14)
    pdf.multi_cell(0, 5, _("Target: %(target)s %% of ratings satisfied",
                           target=fmt(100 * table.target, 0)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _table(pdf, [_("Agency"), _("Dossiers handled (N)"), _("Rated (n)"),
                 _("Rated share, % (95% CI)"), _("Satisfied / ratings"),
                 _("Satisfied share, % (95% CI)"), _("Attainment, %"),
                 _("Handled on time / due, % (95% CI)"), _("SIPAS index, % (95% CI)")],
           portal_rows(table), (58, 20, 16, 34, 22, 34, 20, 36, 27))
    _heading(pdf, _("How these numbers were computed"), 11)
    for paragraph in portal_notes(table):
        pdf.multi_cell(0, 4.5, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())
