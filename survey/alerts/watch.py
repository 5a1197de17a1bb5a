"""The daily watch: every check, its alerts stored once, then the digests written and sent.

``flask sipas watch`` runs it (cron, once a working day); the alerts page can run it now. The
statistics are ``analysis.warning`` (weekly index drops) and ``analysis.fraud`` (fraud
signals); this module reads the responses, turns their findings into alerts and stores them.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy.orm import Session

from ..audit import plain
from ..models import Counter, Officer
from . import digest
from .calendar import LOCAL_TZ, Calendar
from .data import monday, recent_responses
from .silent import silent_tablets
from .store import Found, record

UNITS = ["counter_id", "agency_id", "officer_id"]
LEVEL_OF = {"counter_id": "counter", "agency_id": "agency", "officer_id": "officer"}
KIND_OF = {"top_burst": "top_burst", "off_hours": "off_hours", "identical_run": "identical"}


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _agency_of(session: Session, level: str, unit_id: int) -> int | None:
    if level == "agency":
        return unit_id
    model = Counter if level == "counter" else Officer
    unit = session.get(model, unit_id)
    return unit.agency_id if unit else None


def _start_of(week) -> datetime:
    day = pd.Timestamp(week).date()
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def drops(session: Session, frame: pd.DataFrame, answers: np.ndarray, structure,
          today) -> list[Found]:
    """An alert for every unit-week whose index dropped below its own baseline (complete weeks
    only: the current week is tested once it is over)."""
    from analysis import warning

    if not len(frame):
        return []
    weekly = warning.weekly_indices(frame[UNITS + ["week"]], answers, structure, UNITS)
    complete = sorted(w for w in weekly["week"].unique() if pd.Timestamp(w).date()
                      < monday(today))
    if not complete:
        return []
    table = warning.chart(weekly, weeks=complete)
    found = []
    for row in warning.alarms(table).itertuples(index=False):
        level, unit = LEVEL_OF[row.level], int(row.unit)
        week = pd.Timestamp(row.week).date()
        found.append(Found(
            key=f"drop:{level}:{unit}:{week.isoformat()}", kind="drop", level=level,
            unit_id=unit, agency_id=_agency_of(session, level, unit), starts=_start_of(week),
            ends=_start_of(week) + timedelta(days=7), size=_float(row.drop),
            p_value=_float(row.p), q_value=_float(row.q),
            evidence=plain({"week": week, "index_this_week": _float(row.estimate),
                             "responses_this_week": int(row.n),
                             "baseline_index": _float(row.baseline),
                             "baseline_responses": int(row.baseline_n),
                             "smoothed_level": _float(row.level_now),
                             "between_week_sd": _float(row.tau), "z": _float(row.z)})))
    return found


def fraud_frame(frame: pd.DataFrame, answers: np.ndarray, structure,
                calendar: Calendar) -> pd.DataFrame:
    """The frame ``analysis.fraud`` reads: units, local time, all-top, off-hours, pattern."""
    answered = np.isfinite(answers)
    top = answered.any(axis=1) & np.all(~answered | (answers == structure.scale_max), axis=1)
    at = frame["at"]
    return pd.DataFrame({
        "counter_id": frame["counter_id"], "officer_id": frame["officer_id"],
        "at": at.dt.tz_localize(None), "top": top,
        "off_hours": [not calendar.is_open(moment.to_pydatetime()) for moment in at],
        "pattern": frame["item_values"]})


def fraud_signals(session: Session, frame: pd.DataFrame, answers: np.ndarray, structure,
                  calendar: Calendar, review_from: datetime) -> list[Found]:
    """An alert for every fraud signal of the reviewed period (kiosk answers: a tablet is the
    device the patterns concern)."""
    from analysis import fraud

    kiosk = (frame["channel"] == "kiosk").to_numpy()
    if not kiosk.any():
        return []
    data = fraud_frame(frame[kiosk].reset_index(drop=True), answers[kiosk], structure,
                       calendar)
    table = fraud.signals(data, ["counter_id", "officer_id"],
                          pd.Timestamp(review_from.astimezone(LOCAL_TZ).replace(tzinfo=None)))
    found = []
    for row in table[table["signal"]].itertuples(index=False):
        level, unit, kind = LEVEL_OF[row.level], int(row.unit), KIND_OF[row.kind]
        start = pd.Timestamp(row.start).tz_localize(LOCAL_TZ).to_pydatetime()
        end = None if pd.isna(row.end) else pd.Timestamp(row.end).tz_localize(
            LOCAL_TZ).to_pydatetime()
        found.append(Found(
            key=f"{kind}:{level}:{unit}:{start.astimezone(UTC).isoformat()}", kind=kind,
            level=level, unit_id=unit, agency_id=_agency_of(session, level, unit),
            starts=start, ends=end, size=_float(row.count), p_value=_float(row.p),
            q_value=_float(row.q),
            evidence=plain({"count": row.count, "expected": row.expected,
                             "statistic": row.statistic, **(row.evidence or {})})))
    return found


def run(session: Session, now: datetime, send: bool = True) -> dict:
    """Every check at ``now``; the alerts stored, the digests written and (``send``) sent."""
    config = current_app.config
    calendar = Calendar.from_config(config)
    now = now.astimezone(UTC)        # SQLite compares times as text: always in UTC
    today = now.astimezone(LOCAL_TZ).date()
    since = monday(today) - timedelta(weeks=int(config["ALERT_WEEKS"]))
    found = silent_tablets(session, calendar, now, float(config["SILENT_WORKING_HOURS"]),
                           float(config["SILENT_P_VALUE"]))
    code = config.get("CITIZEN_QUESTIONNAIRE", "sipas")
    from analysis.sipas import Structure

    frame, answers, definition = recent_responses(session, code, since)
    structure = Structure.from_definition(definition)
    found += drops(session, frame, answers, structure, today)
    review_from = datetime(today.year, today.month, today.day, tzinfo=LOCAL_TZ) - timedelta(
        days=int(config["ALERT_REVIEW_DAYS"]))
    found += fraud_signals(session, frame, answers, structure, calendar, review_from)
    added = record(session, found)
    session.commit()
    written = digest.prepare(session, today, now)
    session.commit()
    sent = digest.send_pending(session, now) if send else {"sent": 0, "failed": 0,
                                                           "waiting": len(written)}
    return {"found": len(found), "new": len(added), "digests": len(written), **sent}
