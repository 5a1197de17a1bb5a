"""Reads of the follow-up pages: the filtered list, its counts, one item's response (low
answers, reasons, comment) and the working days left before a deadline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..alerts.calendar import LOCAL_TZ, Calendar, day_bounds
from ..auth.login import aware
from ..models import Answer, FollowUp, Questionnaire, ResponseComment, ResponseReason
from ..questionnaires.reasons import reason_label

STATUSES = ("open", "in_progress", "done")
PAGE_SIZE = 300


@dataclass(frozen=True)
class ListFilters:
    """What the list shows: a status (None = all), overdue ones only, an agency subtree
    (None = everything visible) and the local dates the follow-ups were opened in."""

    status: str | None = None
    overdue: bool = False
    agency_ids: list[int] | None = None
    start: date | None = None
    end: date | None = None


def is_overdue(item: FollowUp, now: datetime) -> bool:
    """Whether ``item`` is still not done although its deadline has passed."""
    return item.status != "done" and aware(item.due_at) < now


def _filtered(query, filters: ListFilters, visible: list[int] | None):
    if visible is not None:
        query = query.where(FollowUp.agency_id.in_(visible))
    if filters.agency_ids is not None:
        query = query.where(FollowUp.agency_id.in_(filters.agency_ids))
    if filters.start and filters.end:
        low, high = day_bounds(filters.start, filters.end)
        query = query.where(FollowUp.opened_at >= low, FollowUp.opened_at < high)
    return query


def listing(session: Session, filters: ListFilters, visible: list[int] | None,
            now: datetime) -> list[FollowUp]:
    """The follow-ups the filters ask for within ``visible`` agencies (None = all): overdue
    ones first, then the others not done, by deadline; then the done ones, newest first."""
    query = _filtered(sa.select(FollowUp), filters, visible)
    if filters.status:
        query = query.where(FollowUp.status == filters.status)
    if filters.overdue:
        query = query.where(FollowUp.status != "done", FollowUp.due_at < now)
    done = FollowUp.status == "done"
    bucket = sa.case((done, 2), (FollowUp.due_at < now, 0), else_=1)
    open_deadline = sa.case((done, None), else_=FollowUp.due_at)
    return list(session.scalars(query.order_by(bucket, open_deadline, FollowUp.due_at.desc(),
                                               FollowUp.id).limit(PAGE_SIZE)))


def counts(session: Session, filters: ListFilters, visible: list[int] | None,
           now: datetime) -> dict[str, int]:
    """How many follow-ups of the agencies and period of ``filters`` are in each status, and
    how many are overdue (whatever status and overdue filter the list shows)."""
    query = _filtered(sa.select(FollowUp.status, sa.func.count(FollowUp.id)), filters, visible)
    found = {status: 0 for status in STATUSES}
    found.update({s: int(n) for s, n in session.execute(query.group_by(FollowUp.status))})
    overdue = _filtered(sa.select(sa.func.count(FollowUp.id)), filters, visible).where(
        FollowUp.status != "done", FollowUp.due_at < now)
    found["overdue"] = int(session.scalar(overdue) or 0)
    found["all"] = sum(found[s] for s in STATUSES)
    return found


def scoped_item(session: Session, item_id: int, visible: list[int] | None) -> FollowUp | None:
    """The follow-up ``item_id`` if it belongs to a ``visible`` agency (None = all)."""
    query = sa.select(FollowUp).where(FollowUp.id == item_id)
    if visible is not None:
        query = query.where(FollowUp.agency_id.in_(visible))
    return session.scalar(query)


def _wording(definition: dict, lang: str) -> dict[str, str]:
    """Item code → its wording in ``lang`` (criteria: the label; overall questions: the
    question)."""
    found = {}
    for element in definition["elements"]:
        for criterion in element["criteria"]:
            found[criterion["code"]] = criterion["label"].get(lang) or criterion["label"]["vi"]
        if "overall" in element:
            question = element["overall"]["question"]
            found[element["overall"]["code"]] = question.get(lang) or question["vi"]
    if "overall" in definition:
        question = definition["overall"]["question"]
        found[definition["overall"]["code"]] = question.get(lang) or question["vi"]
    return found


@dataclass(frozen=True)
class LowAnswer:
    """One item the citizen rated low, with its wording and the reasons they chose."""

    code: str
    wording: str
    value: int
    reasons: list[str]


def low_answers(session: Session, item: FollowUp, low_max: int, lang: str) -> list[LowAnswer]:
    """The answers at or below ``low_max`` of ``item``'s response, in questionnaire order,
    and any item with a reason even if rated higher (a reason is never hidden)."""
    response = item.response
    definition = session.get(Questionnaire, response.questionnaire_id).definition
    wording = _wording(definition, lang)
    order = {code: i for i, code in enumerate(wording)}
    values = dict(session.execute(sa.select(Answer.item_code, Answer.value).where(
        Answer.response_id == response.id)).all())
    reasons: dict[str, list[str]] = {}
    for code, reason_code in session.execute(sa.select(
            ResponseReason.item_code, ResponseReason.reason_code).where(
            ResponseReason.response_id == response.id).order_by(ResponseReason.reason_code)):
        reasons.setdefault(code, []).append(reason_label(reason_code, lang))
    codes = {c for c, v in values.items() if v <= low_max} | set(reasons)
    return [LowAnswer(code, wording.get(code, code), values.get(code), reasons.get(code, []))
            for code in sorted(codes, key=lambda c: (order.get(c, len(order)), c))]


def comment_of(session: Session, item: FollowUp) -> ResponseComment | None:
    """The citizen's own words (and complaint flag) of ``item``'s response, if any."""
    return session.scalar(sa.select(ResponseComment).where(
        ResponseComment.response_id == item.response_id))


def working_days_left(calendar: Calendar, due_at: datetime, now: datetime) -> int:
    """Working days from today to the deadline's day, today not counted: 0 when it is due
    today, negative (working days since) when the deadline's day is past."""
    today = aware(now).astimezone(LOCAL_TZ).date()
    due_day = aware(due_at).astimezone(LOCAL_TZ).date()
    low, high, sign = (today, due_day, 1) if due_day >= today else (due_day, today, -1)
    days = sum(1 for n in range(1, (high - low).days + 1)
               if calendar.is_working_day(date.fromordinal(low.toordinal() + n)))
    return sign * days
