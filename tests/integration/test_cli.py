"""``flask sipas …`` commands: demo, counters, export, totals, users."""
import io
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from survey import demo
from survey.extensions import db
from survey.models import Agency, PopulationTotal, Response, User
from survey.reports.compute import export_frame


@pytest.fixture
def demo_app(app):
    """``app`` with a small demo province loaded (fixed date, so periods are stable)."""
    with app.app_context():
        demo.load(db.session, responses=900, today=date(2026, 11, 23))
        db.session.commit()
    return app


def test_demo_builds_a_realistic_province(demo_app):
    with demo_app.app_context():
        levels = set(db.session.scalars(sa.select(Agency.level)))
        counters = db.session.scalar(sa.text("SELECT count(*) FROM counters"))
        areas = db.session.scalar(sa.text("SELECT count(*) FROM service_areas"))
        quarters = {f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in
                    db.session.scalars(sa.select(Response.survey_date))}
        assert levels == {1, 2, 3}
        assert counters >= 20 and 8 <= areas <= 12
        assert len(quarters) >= 4
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PopulationTotal)) > 0


def test_second_demo_run_changes_nothing(demo_app):
    runner = demo_app.test_cli_runner()
    with demo_app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
    result = runner.invoke(args=["sipas", "demo"])
    assert result.exit_code == 0
    assert "nothing changed" in result.output
    with demo_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == before


def test_counters_json_lists_tokens_and_urls(runner, province):
    result = runner.invoke(args=["sipas", "counters", "--format", "json"])
    rows = json.loads(result.output)
    assert {r["code"] for r in rows} == set(province.tokens)
    row = next(r for r in rows if r["code"] == "H-AN-Q1")
    assert row["token"] == province.tokens["H-AN-Q1"]
    assert row["service_areas"] == ["DATDAI", "XAYDUNG"]
    assert row["kiosk_url"].endswith(f"/kiosk/{row['token']}")
    assert row["qr_url"].endswith(f"/q/{row['token']}")
    assert {"agency", "counter"} <= set(row)


def test_export_weights_are_cell_totals_over_counted_responses(demo_app):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["sipas", "export", "--period", "2026-Q2"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.output))
    assert list(frame.columns[:9]) == ["response_id", "period", "agency", "counter",
                                       "service_area", "channel", "weight", "stratum", "fpc"]
    assert len(frame.columns) == 9 + 22
    assert (frame["period"] == "2026-Q2").all()
    with demo_app.app_context():
        totals = {(t.agency.code, t.service_area.code): t.dossiers for t in
                  db.session.scalars(sa.select(PopulationTotal).where(
                      PopulationTotal.period == "2026-Q2"))}
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
            Response.survey_date >= date(2026, 4, 1), Response.survey_date < date(2026, 7, 1),
            Response.status != "excluded", Response.questionnaire_code == "sipas"))
    assert len(frame) == counted
    whole = 0
    for (agency, area), cell in frame.groupby(["agency", "service_area"]):
        if (cell["stratum"] != f"2026-Q2|{agency}|{area}").any():
            continue  # a small cell merged with others of its agency
        whole += 1
        assert cell["weight"].to_numpy() == pytest.approx(totals[(agency, area)] / len(cell),
                                                          rel=1e-12)
        assert (cell["fpc"] == totals[(agency, area)]).all()
    assert whole >= 10
    for stratum, cell in frame.groupby("stratum"):
        members = {(a, s) for a, s in zip(cell["agency"], cell["service_area"])}
        population = sum(totals[m] for m in members)
        assert cell["weight"].sum() == pytest.approx(population, rel=1e-12), stratum


def test_export_without_totals_gives_weight_one(demo_app):
    frame = demo_app.test_cli_runner().invoke(args=["sipas", "export", "--period", "2026-Q4"])
    export = pd.read_csv(io.StringIO(frame.output))
    assert len(export) > 0 and (export["weight"] == 1).all()
    assert np.isinf(export["fpc"]).all()   # no finite-population correction without totals


def test_export_year_adds_up_quarter_totals(demo_app):
    with demo_app.app_context():
        year = export_frame(db.session, period="2026")
        quarters = db.session.scalar(sa.select(sa.func.sum(PopulationTotal.dossiers)).where(
            PopulationTotal.period.like("2026-Q%")))
        in_totals = year["weight"] != 1
        assert year.loc[in_totals, "weight"].sum() == pytest.approx(quarters, rel=1e-9)


def test_excluded_responses_are_left_out_of_the_export(demo_app):
    with demo_app.app_context():
        before = len(export_frame(db.session))
        response = db.session.scalars(sa.select(Response).limit(1)).first()
        response.status, response.status_reason = "excluded", "test"
        db.session.commit()
        assert len(export_frame(db.session)) == before - 1


def test_export_refuses_a_bad_period(runner):
    result = runner.invoke(args=["sipas", "export", "--period", "2026-Q9"])
    assert result.exit_code == 1
    assert "unknown period '2026-Q9'" in result.output


def _write(tmp_path, text):
    path = tmp_path / "totals.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_totals(runner, province, tmp_path, app):
    path = _write(tmp_path, "period,agency,service_area,dossiers\n2026-Q1,SNV,DATDAI,120\n"
                            "2026-Q1,H-AN,XAYDUNG,40\n")
    result = runner.invoke(args=["sipas", "import-totals", path])
    assert result.exit_code == 0, result.output
    assert "Imported 2 new" in result.output
    again = runner.invoke(args=["sipas", "import-totals", path])
    assert "Imported 0 new and 0 changed" in again.output


@pytest.mark.parametrize("text,message", [
    ("period,agency,dossiers\n2026,SNV,1\n", "header: expected columns"),
    ("period,agency,service_area,dossiers\n2026-Q1,SNV,DATDAI,-5\n", "row 2: dossiers -5 is negative"),
    ("period,agency,service_area,dossiers\n2026-Q1,SNV,DATDAI,12\n2026-Q1,NOPE,DATDAI,3\n",
     "row 3: unknown agency 'NOPE'"),
    ("period,agency,service_area,dossiers\n2026-Q5,SNV,DATDAI,1\n", "row 2: period '2026-Q5'"),
    ("period,agency,service_area,dossiers\n2026,SNV,DATDAI,abc\n", "row 2: dossiers 'abc'"),
])
def test_bad_totals_file_imports_nothing(runner, province, tmp_path, app, text, message):
    result = runner.invoke(args=["sipas", "import-totals", _write(tmp_path, text)])
    assert result.exit_code == 1
    assert message in result.output
    assert "nothing imported" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PopulationTotal)) == 0


def test_create_user_hashes_the_password(runner, province, app):
    result = runner.invoke(args=["sipas", "create-user", "lan", "--role", "agency_viewer",
                                 "--agency", "H-AN"], env={"SIPAS_NEW_USER_PASSWORD": "a-long-password"})
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.username == "lan")).one()
        assert user.password_hash != "a-long-password" and user.check_password("a-long-password")


@pytest.mark.parametrize("args,message", [
    (["--role", "agency_viewer"], "needs --agency"),
    (["--role", "analyst", "--agency", "NOPE"], "unknown agency 'NOPE'"),
])
def test_create_user_refuses_bad_input(runner, province, args, message):
    result = runner.invoke(args=["sipas", "create-user", "x", *args],
                           env={"SIPAS_NEW_USER_PASSWORD": "a-long-password"})
    assert result.exit_code == 1
    assert message in result.output


def test_init_is_idempotent(runner):
    first = runner.invoke(args=["sipas", "init"])
    assert first.exit_code == 0, first.output
    assert "nothing new" in first.output


def _definition(tmp_path, change):
    from survey import questionnaires as q

    definition = json.loads((q.FOLDER / "sipas.json").read_text(encoding="utf-8"))
    change(definition)
    path = tmp_path / "q.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_publish_a_new_version(runner, tmp_path):
    chosen = {}

    def bump(d):
        d["version"] += 1
        chosen["version"] = d["version"]
    path = _definition(tmp_path, bump)
    result = runner.invoke(args=["sipas", "publish", path])
    assert result.exit_code == 0, result.output
    assert f"version {chosen['version']}: published" in result.output


def test_publish_refuses_changing_a_published_version(runner, tmp_path):
    path = _definition(tmp_path, lambda d: d["title"].update(vi="Tiêu đề khác"))
    result = runner.invoke(args=["sipas", "publish", path])
    assert result.exit_code == 1
    assert "already published with other content" in result.output


def test_publish_lists_every_problem_of_an_invalid_file(runner, tmp_path):
    def breaks(d):
        d["version"] = 3
        d["elements"][0]["criteria"][1]["code"] = "TC1"
        d["elements"][4]["label"].pop("vi")
    result = runner.invoke(args=["sipas", "publish", _definition(tmp_path, breaks)])
    assert result.exit_code == 1
    assert "elements[0].criteria[1].code: duplicate code 'TC1'" in result.output
    assert "elements[4].label.vi: missing Vietnamese text" in result.output
    assert "2 problem(s); nothing published" in result.output
