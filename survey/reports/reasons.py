"""Reasons for dissatisfaction per unit: how often each reason code was chosen among the counted
responses of the report's period, subtree and domain, and how many low ratings they came from
(SQL aggregates over ``response_reasons`` joined to ``responses``).

What citizens wrote in their own words (``response_comments``) is never read here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import periods, queries
from ..models import Agency, Counter, Response, ResponseReason, ServiceArea
from ..questionnaires.reasons import reason_label
from .filters import ReportFilters, agency_ids


@dataclass
class ReasonGroup:
    """One unit's reasons: ``low_ratings`` (distinct rated items with a reason) and
    ``reasons`` as (code, label, count), most frequent first."""

    level: str
    code: str
    name: str
    low_ratings: int
    reasons: list[tuple[str, str, int]] = field(default_factory=list)


def _domain(query, session: Session, filters: ReportFilters, scope: list[int] | None):
    query = query.where(Response.questionnaire_code == filters.questionnaire,
                        Response.status.in_(queries.COUNTED))
    if filters.period:
        chosen = periods.parse(filters.period)
        query = query.where(Response.survey_date >= chosen.start,
                            Response.survey_date < chosen.end)
    if scope is not None:
        query = query.where(Response.agency_id.in_(scope))
    if filters.service_area:
        query = query.where(Response.service_area_id == sa.select(ServiceArea.id).where(
            ServiceArea.code == filters.service_area).scalar_subquery())
    if filters.channel != "all":
        query = query.where(Response.channel == filters.channel)
    return query


def _groups(session: Session, filters: ReportFilters, scope: list[int] | None, unit, level: str,
            codes: dict[int, str], names: dict[str, str], lang: str) -> list[ReasonGroup]:
    joined = sa.select(unit, ResponseReason.reason_code, sa.func.count()).join(
        Response, Response.id == ResponseReason.response_id)
    counts = session.execute(_domain(joined, session, filters, scope).group_by(
        unit, ResponseReason.reason_code)).all()
    items = _domain(sa.select(unit.label("unit"), ResponseReason.response_id,
                              ResponseReason.item_code).distinct().join(
        Response, Response.id == ResponseReason.response_id), session, filters, scope).subquery()
    low = dict(session.execute(sa.select(items.c.unit, sa.func.count())
                               .group_by(items.c.unit)).all())
    groups: dict[int, ReasonGroup] = {}
    for unit_id, code, count in counts:
        unit_code = codes.get(unit_id, str(unit_id))
        group = groups.setdefault(unit_id, ReasonGroup(
            level, unit_code, names.get(unit_code, unit_code), int(low.get(unit_id, 0))))
        group.reasons.append((code, reason_label(code, lang), int(count)))
    for group in groups.values():
        group.reasons.sort(key=lambda r: (-r[2], r[0]))
    return sorted(groups.values(), key=lambda g: (-g.low_ratings, g.name))


def reason_table(session: Session, filters: ReportFilters, lang: str,
                 agency_names: dict[str, str], counter_names: dict[str, str]
                 ) -> dict[str, list[ReasonGroup]]:
    """Reason counts per agency, and per counter when the report is filtered to one agency."""
    scope = agency_ids(session, filters)
    agencies = dict(session.execute(sa.select(Agency.id, Agency.code)).all())
    out = {"agency": _groups(session, filters, scope, Response.agency_id, "agency", agencies,
                             agency_names, lang)}
    if filters.agency:
        counters = dict(session.execute(sa.select(Counter.id, Counter.code)).all())
        out["counter"] = _groups(session, filters, scope, Response.counter_id, "counter",
                                 counters, counter_names, lang)
    return out
