"""Views of the reports blueprint: the report page and its charts."""
from __future__ import annotations

from flask import Response, abort, render_template
from flask_babel import get_locale

from ..auth.access import role_required
from ..extensions import db
from . import bp, figures
from .build import build_report
from .present import fmt, fmt_p, labels
from .requests import report_request
from .view import report_view

ROLES = ("admin", "analyst", "agency_viewer")


def current_view(trend: bool = False):
    """The checked request and the report view it asks for."""
    asked = report_request()
    if asked.error:
        abort(400)
    report = build_report(db.session, asked.filters, trend=trend)
    names = labels(db.session, asked.filters.questionnaire, str(get_locale()))
    return asked, report_view(report, names)


@bp.get("/")
@role_required(*ROLES)
def index():
    """The report page: SIPAS with intervals, breakdowns, change, ranking and charts."""
    asked = report_request()
    if asked.error:  # the form and the error only: no report for filters nobody asked for
        return render_template("reports/index.html", form=asked.form, filters=asked.filters,
                               error=asked.error, view=None, args={}, notes=[],
                               channel_names={}, fmt=fmt, fmt2=lambda v: fmt(v, 2),
                               fmt_p=fmt_p)
    report = build_report(db.session, asked.filters, trend=False)  # the trend chart loads apart
    view = report_view(report, labels(db.session, asked.filters.questionnaire,
                                      str(get_locale())))
    return render_template("reports/index.html", form=asked.form, filters=asked.filters,
                           error=asked.error, view=view, args=asked.filters.query_args(),
                           notes=view.notes(),
                           channel_names={c.value: c.label for c in asked.form.channel.choices},
                           fmt=fmt, fmt2=lambda v: fmt(v, 2), fmt_p=fmt_p)


@bp.get("/chart/<name>.svg")
@role_required(*ROLES)
def chart(name: str):
    """One chart of the report as SVG (same query string as the page)."""
    if name not in figures.CHARTS:
        abort(404)
    _asked, view = current_view(trend=name == "trend")
    svg = figures.CHARTS[name](view, "svg")
    return Response(svg, mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=300"})


from . import downloads  # noqa: F401
