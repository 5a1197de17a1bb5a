"""The foundation: health check, migrations, configuration, schema constraints."""
import secrets
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from config import load_config
from survey import create_app
from survey.extensions import db
from survey.models import Answer, Questionnaire, Response


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable():
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI":
                      "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_models_and_migrations_agree(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.delenv("SIPAS_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SIPAS_SECRET_KEY"):
        load_config("production")


def test_production_accepts_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("SIPAS_SECRET_KEY", secrets.token_urlsafe(48))
    settings = load_config("production")
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_settings_come_from_sipas_environment(monkeypatch):
    monkeypatch.setenv("SIPAS_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("SIPAS_KIOSK_IDLE_SECONDS", "42")
    settings = load_config()
    assert settings["SQLALCHEMY_DATABASE_URI"] == "sqlite:///elsewhere.db"
    assert settings["KIOSK_IDLE_SECONDS"] == 42


def _response(app, province, **extra):
    with app.app_context():
        questionnaire = db.session.scalars(sa.select(Questionnaire).where(
            Questionnaire.code == "sipas")).one()
        fields = {"uuid": uuid.uuid4(), "questionnaire_id": questionnaire.id,
                      "questionnaire_code": questionnaire.code,
                      "counter_id": db.session.scalar(sa.text("SELECT min(id) FROM counters")),
                      "agency_id": province.agency_ids["SNV"],
                      "service_area_id": province.area_ids["DATDAI"], "channel": "kiosk",
                      "survey_date": date(2026, 5, 4)}
        fields.update(extra)
        return fields


def test_answer_outside_scale_is_refused_by_the_database(app, province):
    fields = _response(app, province)
    with app.app_context():
        response = Response(**fields)
        db.session.add(response)
        db.session.flush()
        db.session.add(Answer(response_id=response.id, item_code="TC1", value=6))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_response_uuid_is_unique(app, province):
    fields = _response(app, province)
    with app.app_context():
        db.session.add(Response(**fields))
        db.session.commit()
        db.session.add(Response(**fields))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_one_evaluation_per_dossier_per_questionnaire(app, province):
    with app.app_context():
        db.session.add(Response(**_response(app, province, dossier_hash="h" * 64)))
        db.session.commit()
        db.session.add(Response(**_response(app, province, dossier_hash="h" * 64)))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_unknown_channel_and_status_are_refused(app, province):
    with app.app_context():
        for bad in ({"channel": "fax"}, {"status": "deleted"}):
            db.session.add(Response(**_response(app, province, **bad)))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()


@pytest.mark.parametrize("command", [["sipas", "counters"], ["sipas", "demo"],
                                     ["sipas", "export"]])
def test_cli_says_so_in_one_line_when_database_unreachable(command):
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI":
                      "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"})
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert result.output.startswith("Error: database unreachable")
    assert len(result.output.strip().splitlines()) == 1


def test_new_response_gets_item_values_from_its_answers(app, province):
    fields = _response(app, province)
    with app.app_context():
        response = Response(**fields, answers=[Answer(item_code="TC2", value=4),
                                               Answer(item_code="HL", value=5)])
        db.session.add(response)
        db.session.commit()
        assert response.item_values == "-4" + "-" * 20 + "5"


def test_frame_reads_answers_of_responses_stored_without_item_values(app, province):
    from survey import queries

    fields = _response(app, province)
    with app.app_context():
        db.session.execute(sa.insert(Response.__table__), [{**fields, "status": "valid"}])
        rid = db.session.scalar(sa.select(Response.id))
        db.session.execute(sa.insert(Answer.__table__), [
            {"response_id": rid, "item_code": "CC1", "value": 2},
            {"response_id": rid, "item_code": "GY4", "value": 5}])
        db.session.commit()
        frame = queries.responses_frame(db.session)
        row = frame.iloc[0]
        assert row["CC1"] == 2 and row["GY4"] == 5
        others = [c for c in frame.columns[-22:] if c not in ("CC1", "GY4")]
        assert len(others) == 20 and row[others].isna().all()
