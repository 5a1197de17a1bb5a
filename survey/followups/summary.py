"""``/followups/summary``: by agency, the follow-ups opened in a period, done, answered on time
(share with its interval), overdue now, and the later satisfaction of the same dossiers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import render_template
from flask_login import current_user

from ..auth.access import role_required, visible_agency_ids
from ..extensions import db
from ..models import Agency, utcnow
from ..reports.filters import agency_ids, allowed_agencies, report_request
from . import bp
from .routes import VIEWERS, period_dates

if TYPE_CHECKING:
    from analysis.followup import LaterSatisfaction, OnTime

EMPTY = {"opened": 0, "done": 0, "overdue": 0}


@dataclass(frozen=True)
class Row:
    """One agency's line of the summary (``agency`` None: the total of the rows)."""

    agency: Agency | None
    opened: int
    done: int
    overdue: int
    on_time: OnTime
    later: LaterSatisfaction | None


def summary_rows(agencies: list[Agency], start, end, now) -> list[Row]:
    """The lines of ``agencies`` with any follow-up in the period, then their total."""
    from analysis.followup import combine, combine_later  # numpy: only when asked

    from . import stats

    ids = [a.id for a in agencies]
    work = stats.workload(db.session, start, end, ids, now)
    timely = stats.on_time(db.session, start, end, ids, now)
    later = stats.later(db.session, start, end, ids)
    rows = [Row(a, **work.get(a.id, EMPTY), on_time=timely[a.id], later=later.get(a.id))
            for a in agencies
            if a.id in work or timely[a.id].due or timely[a.id].open_not_due or a.id in later]
    if rows:
        known = [r.later for r in rows if r.later is not None]
        rows.append(Row(None, sum(r.opened for r in rows), sum(r.done for r in rows),
                        sum(r.overdue for r in rows), combine(r.on_time for r in rows),
                        combine_later(known) if known else None))
    return rows


@bp.get("/summary")
@role_required(*VIEWERS)
def summary():
    """The summary of a period for the agencies in the reader's scope (the reports' period
    and agency picker)."""
    asked = report_request()
    if asked.error:
        return render_template("followups/summary.html", form=asked.form, error=asked.error,
                               rows=[], period=None), 400
    start, end = period_dates(asked.filters.period)
    within = agency_ids(db.session, asked.filters)
    visible = visible_agency_ids(current_user)
    agencies = [a for a in allowed_agencies()
                if (within is None or a.id in within) and (visible is None or a.id in visible)]
    return render_template("followups/summary.html", form=asked.form, error=None,
                           rows=summary_rows(agencies, start, end, utcnow()),
                           period=asked.filters.period, start=start, end=end)
