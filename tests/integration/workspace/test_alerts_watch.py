"""The daily watch on the demo province finds what the demo planted, stores it once, changes no
response, and the alert pages show each user only their scope.

The planted drop's weekly index in the alert is checked against ``analysis.sipas.indices`` on
that counter's rows of that week (the R-validated estimator, equal weights), and the planted
burst's size against the number of ratings planted.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from analysis import sipas
from analysis.design import SurveyDesign
from survey import demo, questionnaires
from survey.alerts import watch
from survey.alerts.calendar import LOCAL_TZ
from survey.catalog import load_shipped_questionnaires
from survey.extensions import db
from survey.models import Agency, Alert, AuditEvent, Counter, Questionnaire, Response

TODAY = date(2026, 11, 25)                  # a Wednesday
NOW = datetime.combine(TODAY, time(16, 0), LOCAL_TZ)


@pytest.fixture
def watched(app):
    with app.app_context():
        load_shipped_questionnaires(db.session)
        demo.load(db.session, responses=1500, today=TODAY)
        db.session.commit()
        statuses = dict(db.session.execute(sa.select(Response.status, sa.func.count())
                                           .group_by(Response.status)).all())
        first = watch.run(db.session, NOW, send=False)
        second = watch.run(db.session, NOW, send=False)
        after = dict(db.session.execute(sa.select(Response.status, sa.func.count())
                                        .group_by(Response.status)).all())
        alerts = {a.key: (a.kind, a.level, a.unit_id) for a in db.session.scalars(
            sa.select(Alert))}
        counters = {c.code: c.id for c in db.session.scalars(sa.select(Counter))}
    return {"first": first, "second": second, "alerts": alerts, "counters": counters,
            "statuses": (statuses, after)}


def _week_index(app, counter_id: int, monday: date) -> float:
    with app.app_context():
        rows = db.session.execute(sa.select(Response.item_values, Response.questionnaire_id)
                                  .where(Response.counter_id == counter_id,
                                         Response.survey_date >= monday,
                                         Response.survey_date < monday + timedelta(days=7),
                                         Response.status != "excluded")).all()
        definition = db.session.get(Questionnaire, rows[0].questionnaire_id).definition
    items = questionnaires.item_codes(definition)
    codes = questionnaires.criterion_codes(definition)
    frame = pd.DataFrame([{code: (None if v[items.index(code)] == "-" else
                                  int(v[items.index(code)])) for code in codes}
                          for v, _ in rows])
    return sipas.indices(SurveyDesign(frame), definition).get("SIPAS", "index")["estimate"]


def test_the_watch_finds_the_planted_drop_and_burst_once_and_changes_nothing(app, watched):
    drop_counter = watched["counters"][demo.DROP_COUNTER]
    fraud_counter = watched["counters"][demo.FRAUD_COUNTER]
    last_week = TODAY - timedelta(days=TODAY.weekday() + 7)
    key = f"drop:counter:{drop_counter}:{last_week.isoformat()}"
    assert watched["alerts"][key] == ("drop", "counter", drop_counter)
    bursts = [k for k, v in watched["alerts"].items()
              if v == ("top_burst", "counter", fraud_counter)]
    assert len(bursts) == 1
    assert watched["second"]["new"] == 0 and watched["first"]["new"] == len(watched["alerts"])
    before, after = watched["statuses"]
    assert before == after
    with app.app_context():
        drop = db.session.scalar(sa.select(Alert).where(Alert.key == key))
        burst = db.session.scalar(sa.select(Alert).where(Alert.key == bursts[0]))
        assert drop.evidence["responses_this_week"] == db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(
                Response.counter_id == drop_counter, Response.survey_date >= last_week,
                Response.survey_date < last_week + timedelta(days=7)))
        assert drop.size > 5 and drop.p_value < 0.01 and drop.q_value <= 0.05
        assert burst.size == demo.FRAUD_RATINGS and burst.q_value <= 0.05
        assert drop.agency_id == db.session.scalar(sa.select(Agency.id).where(
            Agency.code == "H-AN"))
    assert drop.evidence["index_this_week"] == pytest.approx(
        _week_index(app, drop_counter, last_week), rel=1e-9)


def test_each_user_sees_the_alerts_of_their_scope(app, client, watched, login_as):
    drop_key = next(k for k, v in watched["alerts"].items()
                    if v[:2] == ("drop", "counter"))
    with app.app_context():
        ids = {a.key: a.id for a in db.session.scalars(sa.select(Alert))}
    fraud = next(ids[k] for k, v in watched["alerts"].items() if v[0] == "top_burst")
    login_as("agency_viewer", "H-AN")
    page = client.get("/alerts/?status=all").get_data(as_text=True)
    assert f'data-alert="{ids[drop_key]}"' in page
    assert f'data-alert="{fraud}"' not in page
    assert client.get(f"/alerts/{fraud}").status_code == 404
    detail = client.get(f"/alerts/{ids[drop_key]}")
    assert detail.status_code == 200 and "Sụt giảm chỉ số" in detail.get_data(as_text=True)
    assert client.post(f"/alerts/{ids[drop_key]}", data={"status": "dismissed"}
                       ).status_code in (400, 403)


def test_an_analyst_reviews_an_alert_and_it_is_audited(app, client, watched, login_as):
    from tests.integration.conftest import csrf_token

    with app.app_context():
        alert_id = db.session.scalar(sa.select(Alert.id).where(Alert.kind == "top_burst")
                                     .limit(1))
    login_as("analyst")
    token = csrf_token(client, f"/alerts/{alert_id}")
    done = client.post(f"/alerts/{alert_id}", data={
        "csrf_token": token, "status": "confirmed", "note": "Cán bộ tự bấm, đã nhắc nhở"})
    assert done.status_code == 302
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        assert (alert.status, alert.note) == ("confirmed", "Cán bộ tự bấm, đã nhắc nhở")
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.action == "alert_review"))
        assert event.after["status"] == "confirmed" and event.before["status"] == "open"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
            Response.status == "excluded")) == 0
    bad = client.post(f"/alerts/{alert_id}", data={"csrf_token": token, "status": "deleted"})
    assert bad.status_code == 200
    with app.app_context():
        assert db.session.get(Alert, alert_id).status == "confirmed"


def test_anonymous_users_are_sent_to_sign_in(client, watched):
    answer = client.get("/alerts/")
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]
