"""Figures of the follow-ups by agency, counted in SQL and handed to ``analysis.followup``:
answered on time, opened / done / overdue, and the later satisfaction of the same dossiers.

Periods are local dates (Asia/Ho_Chi_Minh), both ends included; every stored time is UTC.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from analysis.followup import LaterSatisfaction, OnTime, later_satisfaction, tally

from ..alerts.calendar import day_bounds
from ..auth.login import aware
from ..models import Answer, FollowUp, Questionnaire, Response, utcnow
from ..queries import COUNTED
from ..questionnaires import criterion_codes

CHUNK = 500


def _count(condition) -> sa.ColumnElement:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _scope(query, agency_ids: list[int] | None):
    return query if agency_ids is None else query.where(FollowUp.agency_id.in_(agency_ids))


def on_time(session: Session, start: date, end: date, agency_ids: list[int] | None = None,
            now: datetime | None = None) -> dict[int, OnTime]:
    """By agency, the follow-ups *due* from ``start`` to ``end`` (local dates, included): done
    by the deadline (on time), done after it or still not done once it passed (late), and
    still open before it (not counted). Every agency of ``agency_ids`` gets an entry; with
    ``None`` (all agencies) only those with follow-ups due. ``now`` defaults to the clock."""
    now = (aware(now) or utcnow()).astimezone(UTC)
    low, high = day_bounds(start, end)
    done = FollowUp.status == "done"
    in_time = sa.and_(FollowUp.handled_at.is_not(None), FollowUp.handled_at <= FollowUp.due_at)
    query = _scope(sa.select(
        FollowUp.agency_id,
        _count(sa.and_(done, in_time)),
        _count(sa.or_(sa.and_(done, sa.not_(in_time)),
                      sa.and_(sa.not_(done), FollowUp.due_at < now))),
        _count(sa.and_(sa.not_(done), FollowUp.due_at >= now)),
    ).where(FollowUp.due_at >= low, FollowUp.due_at < high), agency_ids)
    counts = {row[0]: row[1:] for row in session.execute(query.group_by(FollowUp.agency_id))}
    keys = counts.keys() if agency_ids is None else agency_ids
    return {agency_id: tally(*(int(n or 0) for n in counts.get(agency_id, (0, 0, 0))))
            for agency_id in keys}


def workload(session: Session, start: date, end: date, agency_ids: list[int] | None = None,
             now: datetime | None = None) -> dict[int, dict[str, int]]:
    """By agency, the follow-ups *opened* from ``start`` to ``end``: how many, how many are
    done, and how many are not done although their deadline has passed (overdue now)."""
    now = (aware(now) or utcnow()).astimezone(UTC)
    low, high = day_bounds(start, end)
    done = FollowUp.status == "done"
    query = _scope(sa.select(
        FollowUp.agency_id, sa.func.count(FollowUp.id), _count(done),
        _count(sa.and_(sa.not_(done), FollowUp.due_at < now)),
    ).where(FollowUp.opened_at >= low, FollowUp.opened_at < high), agency_ids)
    return {row[0]: {"opened": int(row[1]), "done": int(row[2] or 0),
                     "overdue": int(row[3] or 0)}
            for row in session.execute(query.group_by(FollowUp.agency_id))}


def _later_responses(session: Session, start: date, end: date,
                     agency_ids: list[int] | None) -> list[tuple[int, int, int]]:
    """(agency, response, questionnaire version) of every counted response given with the
    dossier of a follow-up answered in the period, received after it was answered."""
    low, high = day_bounds(start, end)
    later = aliased(Response)
    query = _scope(sa.select(FollowUp.agency_id, later.id, later.questionnaire_id).join(
        later, sa.and_(later.dossier_hash == FollowUp.dossier_hash,
                       later.received_at > FollowUp.handled_at))
        .where(FollowUp.status == "done", FollowUp.dossier_hash.is_not(None),
               FollowUp.handled_at >= low, FollowUp.handled_at < high,
               later.status.in_(COUNTED)), agency_ids)
    return sorted({tuple(row) for row in session.execute(query.distinct())})


def _answers(session: Session, response_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for i in range(0, len(response_ids), CHUNK):
        rows = session.execute(sa.select(Answer.response_id, Answer.item_code, Answer.value)
                               .where(Answer.response_id.in_(response_ids[i:i + CHUNK])))
        for response_id, code, value in rows:
            found[response_id][code] = value
    return found


def later(session: Session, start: date, end: date, agency_ids: list[int] | None = None
          ) -> dict[int, LaterSatisfaction]:
    """By agency, the later ratings of the dossiers whose follow-up was answered (done) in
    the period: the responses with the same dossier received after the answer (any
    questionnaire), and the share satisfied by ``analysis.ratings``' rule. Agencies without
    such a response have no entry (their later satisfaction is not known)."""
    rows = _later_responses(session, start, end, agency_ids)
    if not rows:
        return {}
    answers = _answers(session, sorted({r[1] for r in rows}))
    versions = {q.id: q.definition for q in session.scalars(sa.select(Questionnaire).where(
        Questionnaire.id.in_({r[2] for r in rows})))}
    width = max(len(criterion_codes(d)) for d in versions.values())
    by_agency: dict[int, tuple[list[float], list[list[float]]]] = defaultdict(
        lambda: ([], []))
    for agency_id, response_id, version in rows:
        definition, given = versions[version], answers.get(response_id, {})
        overall_code = definition.get("overall", {}).get("code")
        values = [float(given.get(c, np.nan)) for c in criterion_codes(definition)]
        by_agency[agency_id][0].append(float(given.get(overall_code, np.nan)))
        by_agency[agency_id][1].append(values + [np.nan] * (width - len(values)))
    return {agency_id: later_satisfaction(np.array(overall),
                                          np.array(criteria, dtype=float).reshape(-1, width))
            for agency_id, (overall, criteria) in by_agency.items()}
