"""Charts a leader reads at a glance, drawn on the server with matplotlib (SVG or PNG).

Bars carry their 95 % interval as whiskers; suppressed units are left out, units with few answers
are drawn pale and marked. Text uses DejaVu Sans, shipped with matplotlib (Vietnamese diacritics).
Every number is written by ``number`` (``numbers.fmt`` by default: the page's formatter), every
text is at least ``MIN_FONT`` points at the figure's own size, and value axes run from 0 to 100.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
from flask_babel import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from .filters import trend_quarters
from .numbers import fmt as page_number
from .numbers import format_number
from .presentation import SUPPRESSED, Cell, ReportView

BLUE = "#0b5394"
PALE = "#9fbbd8"
GREY = "#555"
MIN_FONT = 10  # points, at the figure's natural size (the PDF never prints them smaller)
TITLE_FONT = 11
WIDTH = 7.0  # inches: the width of every chart
DPI = 150
FONT = {"font.family": "DejaVu Sans", "font.size": MIN_FONT, "axes.titlesize": TITLE_FONT,
        "axes.labelsize": MIN_FONT, "xtick.labelsize": MIN_FONT, "ytick.labelsize": MIN_FONT,
        "svg.fonttype": "path", "axes.unicode_minus": True}
Number = Callable[..., str]


@dataclass
class Bar:
    """One bar: a unit's name and its cell."""

    name: str
    cell: Cell


def _save(figure: Figure, fmt: str) -> bytes:
    """The figure as SVG or PNG bytes (``fmt="figure"``: the Figure itself, for tests)."""
    if fmt == "figure":
        return figure
    buffer = io.BytesIO()
    with matplotlib.rc_context(FONT):
        figure.savefig(buffer, format=fmt, bbox_inches="tight", dpi=DPI,
                       metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def _wrap(name: str, width: int = 16) -> str:
    """A long label on several lines (never cut: the whole name stays readable)."""
    import textwrap

    return "\n".join(textwrap.wrap(name, width, break_long_words=False)) or name


def _empty(message: str, fmt: str) -> bytes:
    with matplotlib.rc_context(FONT):
        figure = Figure(figsize=(WIDTH, 1.2), layout="constrained")
        figure.text(0.5, 0.5, message, ha="center", va="center", color=GREY)
        return _save(figure, fmt)


def _percent_axis(axis, number: Number) -> None:
    """A 0–100 value axis with ticks every 20 points written by ``number``."""
    axis.set_major_locator(MultipleLocator(20))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: number(value, 0)))


def bars(items: list[Bar], title: str, xlabel: str, low_n_note: str, fmt: str = "svg",
         empty: str = "–", number: Number = page_number) -> bytes:
    """Horizontal bars from 0 with CI whiskers and their value, best on top; suppressed left out."""
    shown = [b for b in items if b.cell.shown]
    if not shown:
        return _empty(empty, fmt)
    shown.sort(key=lambda b: b.cell.estimate)
    names = [_wrap(b.name, 30) + (" *" if "low_n" in b.cell.flags else "") for b in shown]
    per_bar = 0.44 if any("\n" in name for name in names) else 0.34
    with matplotlib.rc_context(FONT):
        figure = Figure(figsize=(WIDTH, 1.3 + per_bar * len(shown)), layout="constrained")
        axes = figure.subplots()
        ys = list(range(len(shown)))
        values = [b.cell.estimate for b in shown]
        low = [max(0.0, b.cell.estimate - b.cell.ci_low) if b.cell.ci_low is not None else 0.0
               for b in shown]
        high = [max(0.0, b.cell.ci_high - b.cell.estimate) if b.cell.ci_high is not None
                else 0.0 for b in shown]
        colours = [PALE if "low_n" in b.cell.flags else BLUE for b in shown]
        axes.barh(ys, values, color=colours, height=0.6)
        axes.errorbar(values, ys, xerr=[low, high], fmt="none", ecolor="#222",
                      capsize=3, linewidth=1)
        axes.set_yticks(ys, names)
        for y, value in zip(ys, values):  # the values in a column right of the plot
            axes.text(1.02, y, number(value), transform=axes.get_yaxis_transform(),
                      ha="left", va="center", fontsize=MIN_FONT)
        axes.set_xlim(0, 100)
        axes.set_ylim(-0.6, len(shown) - 0.4)
        _percent_axis(axes.xaxis, number)
        axes.set_xlabel(xlabel)
        axes.set_title(title, loc="left", fontsize=TITLE_FONT, fontweight="bold")
        axes.grid(axis="x", color="#ddd")
        axes.set_axisbelow(True)
        if any("low_n" in b.cell.flags for b in shown):
            figure.text(0.01, -0.02, low_n_note, fontsize=MIN_FONT, color=GREY, va="top")
        return _save(figure, fmt)


def decimal_comma(value: float, digits: int = 1) -> str:
    """A number as the Vietnamese page writes it (kept for callers without a request)."""
    return format_number(value, digits, "vi")


def heatmap(rows: list[str], columns: list[str], grid: list[list[Cell]], title: str,
            suppressed_note: str, fmt: str = "svg", empty: str = "–",
            number: Number = page_number) -> bytes:
    """Criteria × units: colour by the index, blank grey where the cell is suppressed."""
    import numpy as np

    if not rows or not columns:
        return _empty(empty, fmt)
    values = np.array([[c.estimate if c.shown else np.nan for c in line] for line in grid],
                      dtype=float)
    with matplotlib.rc_context(FONT):
        figure = Figure(figsize=(min(WIDTH, 2.2 + 0.6 * len(columns)), 1.6 + 0.27 * len(rows)),
                        layout="constrained")
        axes = figure.subplots()
        axes.set_facecolor("#e6e6e6")
        masked = np.ma.masked_invalid(values)
        image = axes.imshow(masked, cmap="RdYlGn", vmin=50, vmax=100, aspect="auto")
        for i in range(len(rows)):
            for j in range(len(columns)):
                if not np.isnan(values[i, j]):
                    mark = "*" if "low_n" in grid[i][j].flags else ""
                    axes.text(j, i, number(values[i, j], 0) + mark, ha="center", va="center",
                              fontsize=MIN_FONT, color="#fff" if values[i, j] < 60 else "#111")
        axes.set_xticks(range(len(columns)), [_wrap(c, 30) for c in columns], rotation=45,
                        ha="right", rotation_mode="anchor", fontsize=MIN_FONT)
        axes.set_yticks(range(len(rows)), rows)
        axes.set_title(title, loc="left", fontsize=TITLE_FONT, fontweight="bold")
        bar = figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02, label="%")
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: number(value, 0)))
        axes.set_xlabel(_wrap(suppressed_note, 80), fontsize=MIN_FONT, color=GREY, loc="left",
                        labelpad=8)  # below the unit names, however long they are
        return _save(figure, fmt)


def _gap_text(c: Cell, gap: str) -> str:
    return f"{_wrap(gap, 14)}\nn = {c.n}"


def trend(points: list[tuple[str, Cell]], title: str, ylabel: str, fmt: str = "svg",
          empty: str = "–", number: Number = page_number, gap: str = "") -> bytes:
    """The index in every one of ``points`` (0–100) with its 95 % band.

    A period whose cell is suppressed stays on the axis as a labelled grey gap in the line.
    """
    import numpy as np

    if not points:
        return _empty(empty, fmt)
    labels = [p for p, _ in points]
    mid = np.array([c.estimate if c.shown else np.nan for _, c in points], dtype=float)
    low = np.array([c.ci_low if c.shown and c.ci_low is not None else np.nan
                    for _, c in points], dtype=float)
    high = np.array([c.ci_high if c.shown and c.ci_high is not None else np.nan
                     for _, c in points], dtype=float)
    xs = np.arange(len(points))
    with matplotlib.rc_context(FONT):
        figure = Figure(figsize=(WIDTH, 3.2), layout="constrained")
        axes = figure.subplots()
        axes.fill_between(xs, low, high, color=PALE, alpha=0.6, linewidth=0)
        alone = [i for i in xs if not np.isnan(low[i]) and
                 (i == 0 or np.isnan(low[i - 1])) and (i == len(xs) - 1 or np.isnan(low[i + 1]))]
        if alone:  # a band needs two neighbours: a lone period shows its interval as a whisker
            axes.errorbar(xs[alone], mid[alone], yerr=[mid[alone] - low[alone],
                                                       high[alone] - mid[alone]],
                          fmt="none", ecolor=PALE, elinewidth=6, capsize=0)
        axes.plot(xs, mid, color=BLUE, marker="o")
        for x, value, (_label, c) in zip(xs, mid, points):
            if np.isnan(value):
                axes.axvspan(x - 0.4, x + 0.4, color="#eee", zorder=0)
                axes.text(x, 50, _gap_text(c, gap) if gap else f"n = {c.n}", ha="center",
                          va="center", fontsize=MIN_FONT, color=GREY)
            else:
                axes.annotate(number(value), (x, value), textcoords="offset points",
                              xytext=(0, 8), ha="center", fontsize=MIN_FONT)
        axes.set_xticks(xs, labels)
        axes.set_xlim(-0.5, len(points) - 0.5)
        axes.set_ylim(0, 110)  # from 0; room above 100 for the value labels
        _percent_axis(axes.yaxis, number)
        axes.set_yticks(range(0, 101, 20))
        axes.set_ylabel(ylabel)
        axes.set_title(title, loc="left", fontsize=TITLE_FONT, fontweight="bold")
        axes.grid(axis="y", color="#ddd")
        axes.set_axisbelow(True)
        return _save(figure, fmt)


# The report's charts, drawn from a ``ReportView`` with translated titles.
TREND_QUARTERS = 6
NO_ANSWERS = Cell(None, None, None, 0, SUPPRESSED)


def _low_n_note() -> str:
    return _("* fewer than 30 answers (or effective sample size under 30): read with care")


def by_breakdown(view: ReportView, breakdown: str, title: str, fmt: str) -> bytes:
    """SIPAS index per unit of ``breakdown`` with 95 % whiskers."""
    items = [Bar(row["name"], row["cells"][0])
             for row in view.breakdowns.get(breakdown, [])]
    return bars(items, title, _("SIPAS index, % (95% CI)"),
                       _low_n_note(), fmt, empty=_("No unit has enough answers."),
                       number=page_number)


def area_chart(view: ReportView, fmt: str = "svg") -> bytes:
    """Bars by service area."""
    return by_breakdown(view, "service_area", _("SIPAS index by service area"), fmt)


def agency_chart(view: ReportView, fmt: str = "svg") -> bytes:
    """Bars by agency."""
    return by_breakdown(view, "agency", _("SIPAS index by agency"), fmt)


def heat_chart(view: ReportView, fmt: str = "svg") -> bytes:
    """Criteria × service areas."""
    return heatmap(view.heat_rows, view.heat_columns, view.heat_grid,
                          _("Criterion indices by service area, %"),
                          _("Grey: fewer than 10 answers, not shown. * fewer than 30 answers."),
                          fmt, empty=_("No data."), number=page_number)


def trend_points(view: ReportView) -> list[tuple[str, Cell]]:
    """Exactly the six quarters ending with the report's period; a quarter without data is
    a suppressed cell (drawn as a labelled gap)."""
    given = dict(view.trend)
    quarters = trend_quarters(view.report.filters.period, TREND_QUARTERS)
    return [(quarter, given.get(quarter, NO_ANSWERS)) for quarter in quarters]


def trend_chart(view: ReportView, fmt: str = "svg") -> bytes:
    """SIPAS over the last six quarters."""
    return trend(trend_points(view), _("SIPAS index over the last six quarters"),
                        _("SIPAS index, %"), fmt, empty=_("No data."), number=page_number,
                        gap=_("fewer than 10 answers"))


CHARTS: dict[str, Callable[[ReportView, str], bytes]] = {
    "by_area": area_chart, "by_agency": agency_chart, "heatmap": heat_chart,
    "trend": trend_chart}
