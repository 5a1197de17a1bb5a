"""The report's charts, drawn from a ``ReportView`` with translated titles."""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from . import charts
from .view import ReportView


def _low_n_note() -> str:
    return _("* fewer than 30 answers (or effective sample size under 30): read with care")


def by_breakdown(view: ReportView, breakdown: str, title: str, fmt: str) -> bytes:
    """SIPAS index per unit of ``breakdown`` with 95 % whiskers."""
    items = [charts.Bar(row["name"], row["cells"][0])
             for row in view.breakdowns.get(breakdown, [])]
    return charts.bars(items, title, _("SIPAS index, % (95% CI)"),
                       _low_n_note(), fmt, empty=_("No unit has enough answers."))


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
                          fmt, empty=_("No data."))


def trend(view: ReportView, fmt: str = "svg") -> bytes:
    """SIPAS over the last six quarters."""
    return charts.trend(view.trend, _("SIPAS index over the last six quarters"),
                        _("SIPAS index, %"), fmt, empty=_("No data."), number=charts.decimal_comma)


CHARTS: dict[str, Callable[[ReportView, str], bytes]] = {
    "by_area": by_area, "by_agency": by_agency, "heatmap": heat, "trend": trend}
