"""The report's charts, drawn from a ``ReportView`` with translated titles.

Every chart writes its numbers with ``present.fmt``, the formatter of the page and the PDF.
"""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from . import charts
from .filters import trend_quarters
from .present import SUPPRESSED, Cell
from .present import fmt as page_number
from .view import ReportView

TREND_QUARTERS = 6
NO_ANSWERS = Cell(None, None, None, 0, SUPPRESSED)


def _low_n_note() -> str:
    return _("* fewer than 30 answers (or effective sample size under 30): read with care")


def by_breakdown(view: ReportView, breakdown: str, title: str, fmt: str) -> bytes:
    """SIPAS index per unit of ``breakdown`` with 95 % whiskers."""
    items = [charts.Bar(row["name"], row["cells"][0])
             for row in view.breakdowns.get(breakdown, [])]
    return charts.bars(items, title, _("SIPAS index, % (95% CI)"),
                       _low_n_note(), fmt, empty=_("No unit has enough answers."),
                       number=page_number)


def by_area(view: ReportView, fmt: str = "svg") -> bytes:
    """Bars by service area."""
    return by_breakdown(view, "service_area", _("SIPAS index by service area"), fmt)


def by_agency(view: ReportView, fmt: str = "svg") -> bytes:
    """Bars by agency."""
    return by_breakdown(view, "agency", _("SIPAS index by agency"), fmt)


def heat(view: ReportView, fmt: str = "svg") -> bytes:
    """Criteria × service areas."""
    return charts.heatmap(view.heat_rows, view.heat_columns, view.heat_grid,
                          _("Criterion indices by service area, %"),
                          _("Grey: fewer than 10 answers, not shown. * fewer than 30 answers."),
                          fmt, empty=_("No data."), number=page_number)


def trend_points(view: ReportView) -> list[tuple[str, Cell]]:
    """Exactly the six quarters ending with the report's period; a quarter without data is
    a suppressed cell (drawn as a labelled gap)."""
    given = dict(view.trend)
    quarters = trend_quarters(view.report.filters.period, TREND_QUARTERS)
    return [(quarter, given.get(quarter, NO_ANSWERS)) for quarter in quarters]


def trend(view: ReportView, fmt: str = "svg") -> bytes:
    """SIPAS over the last six quarters."""
    return charts.trend(trend_points(view), _("SIPAS index over the last six quarters"),
                        _("SIPAS index, %"), fmt, empty=_("No data."), number=page_number,
                        gap=_("fewer than 10 answers"))


CHARTS: dict[str, Callable[[ReportView, str], bytes]] = {
    "by_area": by_area, "by_agency": by_agency, "heatmap": heat, "trend": trend}
