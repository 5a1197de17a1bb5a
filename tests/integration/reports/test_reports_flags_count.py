"""Flags are advice: an all-5 submission is flagged and still counts in reports and exports."""
import io
import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from survey import periods, queries
from survey import questionnaires as qdefs
from survey.extensions import db
from survey.models import Counter, Response
from survey.reports.compute import build_report, clear_cache
from survey.reports.filters import ReportFilters


def _all_fives(app) -> dict:
    with app.app_context():
        counter = db.session.scalars(sa.select(Counter).order_by(Counter.code)).first()
        definition = queries.latest_questionnaire(db.session, "sipas").definition
        now = datetime.now(UTC)
        return {"id": str(uuid.uuid4()), "counter": counter.token, "questionnaire": "sipas",
                "channel": "kiosk", "service_area": counter.service_areas[0].code,
                "answers": {c: 5 for c in qdefs.criterion_codes(definition)},
                "started_at": (now - timedelta(seconds=300)).isoformat(),
                "submitted_at": now.isoformat()}


def test_an_all_five_submission_is_flagged_and_counts(demo_app, client):
    payload = _all_fives(demo_app)
    reply = client.post("/api/v1/responses", json=payload)
    assert reply.status_code == 201, reply.get_json()
    with demo_app.app_context():
        stored = db.session.scalars(sa.select(Response).where(
            Response.uuid == uuid.UUID(payload["id"]))).one()
        assert stored.status == "flagged" and "straightlining" in stored.status_reason
        period = periods.quarter_of(stored.survey_date)
        flagged = db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
            Response.status == "flagged", Response.survey_date >= periods.parse(period).start))
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
            Response.status != "excluded", Response.survey_date >= periods.parse(period).start))
        clear_cache()
        report = build_report(db.session, ReportFilters(period=period), trend=False)
    info = report.current.weighting
    assert (info["flagged"], info["counted"]) == (flagged, counted)
    assert report.sipas["n"] == counted
    export = demo_app.test_cli_runner().invoke(args=["sipas", "export", "--period", period])
    frame = pd.read_csv(io.StringIO(export.output))
    assert payload["id"] in set(frame["response_id"])
    assert (frame.loc[frame["response_id"] == payload["id"], "TC1"] == 5).all()


def test_only_an_analysts_exclusion_removes_a_response(demo_app):
    with demo_app.app_context():
        flagged = db.session.scalars(sa.select(Response).where(
            Response.status == "flagged")).first()
        period = periods.quarter_of(flagged.survey_date)
        before = build_report(db.session, ReportFilters(period=period), trend=False)
        flagged.status, flagged.status_reason = "excluded", "test"
        db.session.commit()
        after = build_report(db.session, ReportFilters(period=period), trend=False)
    assert after.current.weighting["counted"] == before.current.weighting["counted"] - 1
    assert after.current.weighting["flagged"] == before.current.weighting["flagged"] - 1
