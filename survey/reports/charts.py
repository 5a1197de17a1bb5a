"""Charts a leader reads at a glance, drawn on the server with matplotlib (SVG or PNG).

Bars carry their 95 % interval as whiskers; suppressed units are left out, units with few answers
are drawn pale and marked. Text uses DejaVu Sans, shipped with matplotlib (Vietnamese diacritics).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from .present import Cell

BLUE = "#0b5394"
PALE = "#9fbbd8"
FONT = {"font.family": "DejaVu Sans", "font.size": 9, "svg.fonttype": "path"}


@dataclass
class Bar:
    """One bar: a unit's name and its cell."""

    name: str
    cell: Cell


def _save(figure: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(FONT):
        figure.savefig(buffer, format=fmt, bbox_inches="tight", dpi=150,
                       metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def _short(name: str, width: int = 38) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _wrap(name: str, width: int = 16) -> str:
    """A long label on several lines (never cut: the whole name stays readable)."""
    import textwrap

    return "\n".join(textwrap.wrap(name, width, break_long_words=False)) or name


def _empty(message: str, fmt: str) -> bytes:
    with matplotlib.rc_context(FONT):
        figure = Figure(figsize=(6, 1.2))
        figure.text(0.5, 0.5, message, ha="center", va="center", color="#555")
        return _save(figure, fmt)


def bars(items: list[Bar], title: str, xlabel: str, low_n_note: str, fmt: str = "svg",
         empty: str = "–") -> bytes:
    """Horizontal bars with CI whiskers, best on top; suppressed cells are left out."""
    shown = [b for b in items if b.cell.shown]
    if not shown:
        return _empty(empty, fmt)
    shown.sort(key=lambda b: b.cell.estimate)
    with matplotlib.rc_context(FONT):
        figure = Figure(figsize=(7.5, 0.9 + 0.32 * len(shown)))
        axes = figure.subplots()
        ys = range(len(shown))
        values = [b.cell.estimate for b in shown]
        low = [b.cell.estimate - (b.cell.ci_low if b.cell.ci_low is not None
                                  else b.cell.estimate) for b in shown]
        high = [(b.cell.ci_high if b.cell.ci_high is not None else b.cell.estimate)
                - b.cell.estimate for b in shown]
        colours = [PALE if "low_n" in b.cell.flags else BLUE for b in shown]
        axes.barh(list(ys), values, color=colours, height=0.6)
        axes.errorbar(values, list(ys), xerr=[low, high], fmt="none", ecolor="#222",
                      capsize=3, linewidth=1)
        names = [_short(b.name) + (" *" if "low_n" in b.cell.flags else "") for b in shown]
        axes.set_yticks(list(ys), names)
        lowest = min(b.cell.ci_low if b.cell.ci_low is not None else b.cell.estimate
                     for b in shown)
        axes.set_xlim(max(0, min(lowest, 100) - 10), 100)
        axes.set_xlabel(xlabel)
        axes.set_title(title, loc="left", fontsize=10, fontweight="bold")
        axes.grid(axis="x", color="#ddd")
        axes.set_axisbelow(True)
        if any("low_n" in b.cell.flags for b in shown):
            figure.text(0.01, -0.02, low_n_note, fontsize=7, color="#555")
        return _save(figure, fmt)


def decimal_comma(value: float, digits: int = 1) -> str:
    """A number with a decimal comma (as on the page)."""
    return f"{value:.{digits}f}".replace(".", ",")


def heatmap(rows: list[str], columns: list[str], grid: list[list[Cell]], title: str,
            suppressed_note: str, fmt: str = "svg", empty: str = "–") -> bytes:
    """Criteria × units: colour by the index, blank grey where the cell is suppressed."""
    import numpy as np

    if not rows or not columns:
        return _empty(empty, fmt)
    values = np.array([[c.estimate if c.shown else np.nan for c in line] for line in grid],
                      dtype=float)
    with matplotlib.rc_context(FONT):
        figure = Figure(figsize=(2.0 + 0.8 * len(columns), 2.0 + 0.3 * len(rows)))
        axes = figure.subplots()
        axes.set_facecolor("#e6e6e6")
        masked = np.ma.masked_invalid(values)
        image = axes.imshow(masked, cmap="RdYlGn", vmin=50, vmax=100, aspect="auto")
        for i in range(len(rows)):
            for j in range(len(columns)):
                if not np.isnan(values[i, j]):
                    mark = "*" if "low_n" in grid[i][j].flags else ""
                    axes.text(j, i, f"{values[i, j]:.0f}{mark}", ha="center", va="center",
                              fontsize=7, color="#fff" if values[i, j] < 60 else "#111")
        axes.set_xticks(range(len(columns)), [_wrap(c, 16) for c in columns], rotation=35,
                        ha="right", rotation_mode="anchor", fontsize=8)
        axes.set_yticks(range(len(rows)), rows)
        axes.set_title(title, loc="left", fontsize=10, fontweight="bold")
        figure.colorbar(image, ax=axes, fraction=0.03, pad=0.02, label="%")
        figure.text(0.01, -0.16, suppressed_note, fontsize=7, color="#555")
        return _save(figure, fmt)


def trend(points: list[tuple[str, Cell]], title: str, ylabel: str, fmt: str = "svg",
          empty: str = "–", number=decimal_comma) -> bytes:
    """The index over periods with its 95 % band; suppressed periods break the line."""
    import numpy as np

    if not any(c.shown for _, c in points):
        return _empty(empty, fmt)
    labels = [p for p, _ in points]
    mid = np.array([c.estimate if c.shown else np.nan for _, c in points], dtype=float)
    low = np.array([c.ci_low if c.shown and c.ci_low is not None else np.nan
                    for _, c in points], dtype=float)
    high = np.array([c.ci_high if c.shown and c.ci_high is not None else np.nan
                     for _, c in points], dtype=float)
    xs = np.arange(len(points))
    with matplotlib.rc_context(FONT):
        figure = Figure(figsize=(7.5, 2.8))
        axes = figure.subplots()
        axes.fill_between(xs, low, high, color=PALE, alpha=0.6, linewidth=0)
        axes.plot(xs, mid, color=BLUE, marker="o")
        for x, value in zip(xs, mid):
            if not np.isnan(value):
                axes.annotate(number(value), (x, value), textcoords="offset points",
                              xytext=(0, 7), ha="center", fontsize=8)
        axes.set_xticks(xs, labels)
        finite = low[~np.isnan(low)]
        axes.set_ylim(max(0, (finite.min() if finite.size else 50) - 5), 100)
        axes.set_ylabel(ylabel)
        axes.set_title(title, loc="left", fontsize=10, fontweight="bold")
        axes.grid(axis="y", color="#ddd")
        return _save(figure, fmt)
