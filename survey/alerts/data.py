"""The responses the alert checks read: recent weeks, one row per counted response."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import questionnaires as qdefs
from ..models import Response
from ..queries import COUNTED, criterion_matrix, latest_questionnaire
from .calendar import LOCAL_TZ

KEYS = ["id", "survey_date", "submitted_at", "received_at", "counter_id", "agency_id",
        "officer_id", "channel", "questionnaire_id", "item_values"]


def recent_responses(session: Session, code: str, since: date
                     ) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Counted responses to questionnaire ``code`` surveyed on or after ``since``: their keys
    (with ``week``, the Monday of the survey date, and ``at``, the local time answered), the
    criterion answers (rows × criteria of the latest version, NaN = unanswered) and that
    version's definition."""
    latest = latest_questionnaire(session, code)
    if latest is None:
        raise LookupError(f"questionnaire {code!r} is not loaded")
    rows = session.connection().execute(
        sa.select(*(getattr(Response, k) for k in KEYS))
        .where(Response.questionnaire_code == code, Response.status.in_(COUNTED),
               Response.survey_date >= since).order_by(Response.id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=KEYS)
    answers = criterion_matrix(session, frame, qdefs.criterion_codes(latest.definition))
    dates = pd.to_datetime(frame["survey_date"])
    frame["week"] = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.date
    moment = frame["submitted_at"].where(frame["submitted_at"].notna(), frame["received_at"])
    frame["at"] = pd.to_datetime(moment, utc=True).dt.tz_convert(LOCAL_TZ)
    return frame, answers, latest.definition


def monday(day: date | datetime) -> date:
    """The Monday of ``day``'s week."""
    day = day.date() if isinstance(day, datetime) else day
    return date.fromordinal(day.toordinal() - day.weekday())
