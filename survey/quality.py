"""Data-quality flags raised when a response arrives: too fast, straight-lining, bursts.

A flagged response is stored like any other; the flags only tell analysts where to look.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from . import questionnaires as qdefs
from .models import Response

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULTS = {
    "QUALITY_MIN_SECONDS_PER_ITEM": 1.0,
    "QUALITY_STRAIGHTLINE_MIN_ITEMS": 8,
    "QUALITY_BURST_COUNT": 5,
    "QUALITY_BURST_SECONDS": 60,
}


def setting(name: str):
    """A quality threshold from the app config, or its default."""
    return current_app.config.get(name, DEFAULTS[name])


def too_fast(duration: float | None, answered: int) -> str | None:
    """Reason text when the answers were given faster than they can be read."""
    if duration is None or answered == 0:
        return None
    minimum = answered * float(setting("QUALITY_MIN_SECONDS_PER_ITEM"))
    if duration < minimum:
        return f"{duration:.1f} giây cho {answered} câu trả lời (tối thiểu {minimum:.1f} giây)"
    return None


def straightlining(values: list[int]) -> str | None:
    """Reason text when many criteria were all given the same value."""
    if len(values) >= int(setting("QUALITY_STRAIGHTLINE_MIN_ITEMS")) and len(set(values)) == 1:
        return f"cả {len(values)} tiêu chí cùng một mức {values[0]}"
    return None


def _moment(response: Response) -> datetime:
    moment = response.submitted_at or response.received_at
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def burst(session: Session, response: Response) -> str | None:
    """Reason text when the counter sent more than N responses within M seconds."""
    limit, window = int(setting("QUALITY_BURST_COUNT")), float(setting("QUALITY_BURST_SECONDS"))
    moment = _moment(response)
    when = sa.func.coalesce(Response.submitted_at, Response.received_at)
    since = moment - timedelta(seconds=window)
    recent = session.scalar(sa.select(sa.func.count()).select_from(Response).where(
        Response.counter_id == response.counter_id,
        Response.survey_date >= since.astimezone(LOCAL_TZ).date(),
        when >= since, when <= moment))
    if recent > limit:
        return f"{recent} phiếu từ quầy này trong {window:g} giây (giới hạn {limit})"
    return None


def flags_for(session: Session, response: Response, answers: dict[str, int],
              definition: dict) -> list[tuple[str, str]]:
    """The (kind, detail) flags a just-written response deserves; empty when none."""
    criteria = set(qdefs.criterion_codes(definition))
    values = [value for code, value in answers.items() if code in criteria]
    reasons = [("too_fast", too_fast(response.duration_seconds, len(answers))),
               ("straightlining", straightlining(values)),
               ("burst", burst(session, response))]
    return [(kind, detail) for kind, detail in reasons if detail]
