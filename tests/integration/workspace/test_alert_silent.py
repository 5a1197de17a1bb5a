"""Silent tablets: a busy counter's kiosk silent for a working day is alerted, a quiet one's is
not, and a burst does not make a quiet counter look busy. The chance in the alert is checked
against (1 − q)^H counted by hand from the hours planted."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from survey.alerts.calendar import LOCAL_TZ, Calendar
from survey.alerts.silent import silent_tablets
from survey.extensions import db
from survey.models import Counter, Questionnaire, Response

CALENDAR = Calendar.parse("07:30-11:30,13:30-17:00", "1-5")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ)          # Tuesday 10:00
LAST = datetime(2026, 11, 20, 16, 30, tzinfo=LOCAL_TZ)        # the Friday before, 16:30
SILENT = 0.5 + 4 + 3.5 + 2.5                                  # Fri 16:30–17:00, Mon, Tue


def _opening_hours(start: datetime, end: datetime) -> list[datetime]:
    """The start of every whole opening hour (07:30, 08:30, … 16:00) from ``start`` to ``end``."""
    out, day = [], start.date()
    while day <= end.date():
        if day.weekday() < 5:
            for h, m in [(7, 30), (8, 30), (9, 30), (10, 30), (13, 30), (14, 30), (15, 30)]:
                moment = datetime(day.year, day.month, day.day, h, m, tzinfo=LOCAL_TZ)
                if start <= moment <= end:
                    out.append(moment)
        day += timedelta(days=1)
    return out


def _store(app, code: str, moments: list[datetime]) -> None:
    with app.app_context():
        counter = db.session.scalar(sa.select(Counter).where(Counter.code == code))
        questionnaire = db.session.scalar(sa.select(Questionnaire).limit(1))
        db.session.execute(sa.insert(Response.__table__), [{
            "uuid": uuid.uuid4(), "questionnaire_id": questionnaire.id,
            "questionnaire_code": questionnaire.code, "counter_id": counter.id,
            "agency_id": counter.agency_id, "service_area_id": counter.service_areas[0].id,
            "channel": "kiosk", "received_at": m.astimezone(UTC), "survey_date": m.date(),
            "status": "valid"}
            for m in moments])
        db.session.commit()


@pytest.fixture
def tablets(app, province):
    since = NOW - timedelta(days=28)
    hours = _opening_hours(since, LAST)
    busy = [h + timedelta(minutes=10) for h in hours] + [LAST]
    quiet = [h + timedelta(minutes=5) for h in hours[::15]] + [LAST]
    burst = [hours[3] + timedelta(minutes=1 + k // 2) for k in range(40)]   # 40 in 20 minutes
    _store(app, "SNV-Q1", busy)
    _store(app, "H-AN-Q1", quiet + burst)
    return {"busy": busy, "quiet": quiet, "burst": burst}


def test_a_busy_tablet_silent_for_a_day_is_alerted_a_quiet_one_is_not(app, tablets):
    with app.app_context():
        found = silent_tablets(db.session, CALENDAR, NOW, 8, 0.001)
        codes = {f.evidence["counter"]: f for f in found}
    assert set(codes) == {"SNV-Q1"}
    alert = codes["SNV-Q1"]
    exposure = CALENDAR.working_hours_between(NOW - timedelta(days=28), LAST)
    answered = len({(m.date(), m.hour) for m in tablets["busy"]})
    assert alert.size == SILENT
    assert alert.p_value == pytest.approx((1 - answered / exposure) ** SILENT, rel=1e-12)
    assert alert.key == f"silent:{alert.unit_id}:{LAST.astimezone(alert.starts.tzinfo).isoformat()}"


def test_the_quiet_tablet_with_a_burst_keeps_its_quiet_rate(app, tablets):
    with app.app_context():
        loose = silent_tablets(db.session, CALENDAR, NOW, 8, 0.9)
    quiet = next(f for f in loose if f.evidence["counter"] == "H-AN-Q1")
    exposure = CALENDAR.working_hours_between(NOW - timedelta(days=28), LAST)
    answered = len({(m.date(), m.hour) for m in tablets["quiet"]}) + 1   # 40 answers, 1 hour
    assert len({(m.date(), m.hour) for m in tablets["burst"]}) == 1
    assert quiet.evidence["share_of_opening_hours_with_an_answer"] == round(
        answered / exposure, 3)
    assert quiet.p_value == pytest.approx((1 - answered / exposure) ** SILENT, rel=1e-12)
    assert quiet.p_value > 0.001


def test_a_silence_shorter_than_the_threshold_is_not_alerted(app, tablets):
    with app.app_context():
        assert silent_tablets(db.session, CALENDAR, NOW, SILENT + 0.5, 1.0) == []
