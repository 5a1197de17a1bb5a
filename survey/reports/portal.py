"""The portal-style table: per agency (and for the whole scope) the dossiers handled, the rated
ones, the satisfied share of ratings against the portal's target, follow-ups handled on time and
the SIPAS index beside them.

Counts are SQL aggregates: responses are grouped by (agency, questionnaire version, answer
pattern), so the satisfied rule (``analysis.ratings``) runs once per pattern, never per
response; dossiers come from the report's cell totals (``queries.cell_totals``); the figures
from ``analysis.coverage``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from analysis import coverage
from analysis.followup import OnTime, combine

from .. import periods, queries
from .. import questionnaires as qdefs
from ..models import Agency, Counter, PopulationTotal, Questionnaire, Response
from .compute import build_report
from .filters import ReportFilters, agency_ids, default_period
from .numbers import fmt
from .presentation import Cell, cell, records_by

TOTAL = "ALL"


@dataclass
class PortalLine:
    """One row of the table: the unit, its portal figures, on-time follow-ups and SIPAS."""

    code: str
    name: str
    figures: coverage.PortalRow
    on_time: OnTime | None
    sipas: Cell
    prorated: bool = False
    no_total: bool = False


@dataclass
class PortalTable:
    """The whole table of a period and scope."""

    filters: ReportFilters
    lines: list[PortalLine]
    total: PortalLine
    target: float
    scope: str | None = None


def quarters_of(period: periods.Period) -> list[str]:
    """The quarters a period touches, oldest first."""
    labels, day = [], period.start
    while day < period.end:
        quarter = periods.parse(periods.quarter_of(day))
        labels.append(quarter.label)
        day = quarter.end
    return labels


def dossiers(session: Session, period: periods.Period) -> pd.DataFrame:
    """Dossiers handled per agency code in ``period`` (the report's totals, a part of a quarter
    prorated when nothing finer is recorded): ``agency``, ``dossiers``, ``prorated``."""
    totals = queries.cell_totals(session, period.label, quarters_of(period))
    if totals.empty:
        return pd.DataFrame(columns=["agency", "dossiers", "prorated"])
    return totals.groupby("agency", as_index=False).agg(dossiers=("dossiers", "sum"),
                                                         prorated=("prorated", "any"))


def _counted(query, filters: ReportFilters, period: periods.Period, scope: list[int] | None):
    query = query.where(Response.questionnaire_code == filters.questionnaire,
                        Response.status.in_(queries.COUNTED),
                        Response.survey_date >= period.start, Response.survey_date < period.end)
    return query if scope is None else query.where(Response.agency_id.in_(scope))


def answer_patterns(session: Session, filters: ReportFilters, period: periods.Period,
                    scope: list[int] | None) -> pd.DataFrame:
    """Counted responses grouped by agency id, questionnaire id and ``item_values`` (GROUP BY):
    ``agency_id``, ``questionnaire_id``, ``item_values``, ``count``."""
    query = _counted(sa.select(Response.agency_id, Response.questionnaire_id,
                               Response.item_values, sa.func.count()), filters, period, scope)
    query = query.where(Response.item_values.is_not(None)).group_by(
        Response.agency_id, Response.questionnaire_id, Response.item_values)
    frame = pd.DataFrame([tuple(r) for r in session.execute(query)],
                         columns=["agency_id", "questionnaire_id", "item_values", "count"])
    legacy = _counted(sa.select(Response.id, Response.agency_id, Response.questionnaire_id,
                                Response.item_values), filters, period, scope)
    legacy = pd.DataFrame([tuple(r) for r in session.execute(
        legacy.where(Response.item_values.is_(None)))],
        columns=["id", "agency_id", "questionnaire_id", "item_values"])
    if len(legacy):  # stored without item_values: rebuilt from their Answer rows
        legacy["item_values"] = queries.item_values_filled(session, legacy)
        legacy["count"] = 1
        frame = pd.concat([frame, legacy[frame.columns]], ignore_index=True)
    return frame


def rating_counts(session: Session, patterns: pd.DataFrame) -> pd.DataFrame:
    """Ratings and satisfied ratings per agency id from the answer patterns
    (``analysis.coverage.rating_counts``, the ``analysis.ratings`` rule)."""
    overall = np.full(len(patterns), np.nan)
    mean = np.full(len(patterns), np.nan)
    for questionnaire_id, rows in patterns.groupby("questionnaire_id").indices.items():
        definition = session.get(Questionnaire, int(questionnaire_id)).definition
        items = qdefs.item_codes(definition)
        criteria = qdefs.criterion_codes(definition)
        values = patterns["item_values"].iloc[rows]
        head = definition.get("overall", {}).get("code")
        if head:
            overall[rows] = queries.decode_item_values(values, items, [head])[:, 0]
        answers = queries.decode_item_values(values, items, criteria)
        answered = (~np.isnan(answers)).sum(axis=1)
        sums = np.nansum(answers, axis=1)
        mean[rows] = np.where(answered > 0, sums / np.maximum(answered, 1), np.nan)
    return coverage.rating_counts(patterns["agency_id"].to_numpy(), overall, mean,
                                  patterns["count"].to_numpy())


def _agencies(session: Session, scope: list[int] | None, period: periods.Period,
              seen: set[int]) -> list[Agency]:
    """Agencies in scope with a counter, a dossier total or a counted response."""
    with_counters = set(session.scalars(sa.select(Counter.agency_id).distinct()))
    labels = {p for p in session.scalars(sa.select(PopulationTotal.period).distinct())
              if periods.is_valid(p)}
    touching = [p for p in labels if periods.parse(p).start < period.end
                and periods.parse(p).end > period.start]
    with_totals = set(session.scalars(sa.select(PopulationTotal.agency_id).where(
        PopulationTotal.period.in_(touching)).distinct())) if touching else set()
    wanted = with_counters | with_totals | seen
    query = sa.select(Agency).order_by(Agency.level, Agency.name)
    if scope is not None:
        query = query.where(Agency.id.in_(scope))
    return [a for a in session.scalars(query) if a.id in wanted]


def on_time_counts(session: Session, period: periods.Period,
                   ids: list[int]) -> dict[int, OnTime]:
    """On-time follow-ups per agency id (``survey.followups.stats.on_time``, due from the
    first to the last day of the period, both included)."""
    from ..followups.stats import on_time

    return on_time(session, period.start, period.end - timedelta(days=1), ids)


def _sipas(session: Session, filters: ReportFilters) -> tuple[dict, Cell]:
    """The SIPAS index of every agency and of the whole scope, from the report itself."""
    report = build_report(session, filters, trend=False)
    keyed = records_by(report.current.breakdowns.get("agency"), "index")
    return ({code: cell(record) for (code, _m), record in keyed.items()},
            cell(report.current.sipas))


def portal_filters(filters: ReportFilters) -> ReportFilters:
    """The report filters the table uses: period and agency subtree, every area and channel."""
    return replace(filters, service_area=None, channel="all")


def portal_table(session: Session, filters: ReportFilters,
                 names: dict[str, str] | None = None) -> PortalTable:
    """Every row of the portal table for ``filters``' period and agency subtree."""
    filters = portal_filters(filters)
    period = periods.parse(filters.period or default_period(session))
    scope = agency_ids(session, filters)
    target = float(current_app.config["PORTAL_SATISFIED_TARGET"])
    patterns = answer_patterns(session, filters, period, scope)
    rated = patterns.groupby("agency_id")["count"].sum().to_dict()
    ratings = rating_counts(session, patterns).set_index("unit")
    agencies = _agencies(session, scope, period, {int(a) for a in rated})
    totals = dossiers(session, period).set_index("agency")
    counts = pd.DataFrame({
        "unit": [a.code for a in agencies],
        "dossiers": [totals["dossiers"].get(a.code, np.nan) for a in agencies],
        "rated": [int(rated.get(a.id, 0)) for a in agencies],
        "ratings": [int(ratings["ratings"].get(a.id, 0)) for a in agencies],
        "satisfied": [int(ratings["satisfied"].get(a.id, 0)) for a in agencies]})
    rows = coverage.portal_rows(counts, target, total=TOTAL)
    on_time = on_time_counts(session, period, [a.id for a in agencies])
    by_agency, whole = _sipas(session, filters)
    names = names or {}
    empty = cell(None)
    lines = [PortalLine(a.code, names.get(a.code, a.name), row, on_time.get(a.id),
                        by_agency.get(a.code, empty),
                        bool(totals["prorated"].get(a.code, False)), a.code not in totals.index)
             for a, row in zip(agencies, rows)]
    total = PortalLine(TOTAL, "", rows[-1], combine(on_time.values()), whole,
                       any(line.prorated for line in lines), any(line.no_total for line in lines))
    scope_name = None
    if filters.agency:
        scope_name = names.get(filters.agency, filters.agency)
    return PortalTable(filters, lines, total, target, scope_name)


def table_records(table: PortalTable) -> list[dict[str, Any]]:
    """The table as flat records (shares 0–1), one per agency and the total last: what the XLSX
    writes and tests compare."""
    out = []
    for line in [*table.lines, table.total]:
        f, t = line.figures, line.on_time
        out.append({
            "agency": line.code, "name": line.name, "dossiers": f.dossiers, "rated": f.rated,
            "rated_share": f.rated_share.share, "rated_low": f.rated_share.low,
            "rated_high": f.rated_share.high, "over_covered": f.rated_share.over,
            "ratings": f.ratings, "satisfied": f.satisfied,
            "satisfied_share": f.satisfied_share.share, "satisfied_low": f.satisfied_share.low,
            "satisfied_high": f.satisfied_share.high, "target": f.target,
            "attainment": f.attainment,
            "due": t.due if t else None, "on_time": t.on_time if t else None,
            "late": t.late if t else None, "open_not_due": t.open_not_due if t else None,
            "on_time_share": t.share if t else None, "on_time_low": t.low if t else None,
            "on_time_high": t.high if t else None,
            "sipas": line.sipas.estimate if line.sipas.shown else None,
            "sipas_low": line.sipas.ci_low if line.sipas.shown else None,
            "sipas_high": line.sipas.ci_high if line.sipas.shown else None,
            "sipas_n": line.sipas.n, "prorated": line.prorated, "no_total": line.no_total})
    return out


def portal_notes(table: PortalTable) -> list[str]:
    """How the table counts, in the reader's language (the page, the XLSX and the PDF)."""
    target = fmt(100 * table.target, 0)
    notes = [
        _("N: dossiers handled in the period, from the recorded dossier totals (a part of a "
          "quarter without a total of its own takes its quarter's in proportion to the days). "
          "n: counted responses (valid or flagged) of questionnaire %(code)s in the period.",
          code=table.filters.questionnaire),
        _("A rating is satisfied when the overall question is answered 4 (satisfied) or 5 "
          "(very satisfied) on the 1–5 scale; a response without an overall answer counts by "
          "the mean of its answered criteria (4 or more). The satisfied share is of the "
          "ratings."),
        _("Intervals are 95% Wilson score intervals. Where more responses than dossiers are "
          "recorded, the total is wrong: the share is shown and marked, without an interval."),
        _("Attainment: the satisfied share divided by the target of %(target)s %%, at most "
          "100 %%, and 0 when nobody rated, as the portal scores it.", target=target),
        _("The SIPAS index beside them is the report's (with its 95% CI); each "
          "agency's row counts its own counters, the total row its whole subtree.")]
    notes.append(_("Follow-ups handled on time: of the follow-ups due in the period, those "
                   "answered by their due date."))
    return notes
