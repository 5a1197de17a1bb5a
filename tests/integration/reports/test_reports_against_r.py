"""Report = ``python -m analysis`` on the export = R survey, on SQLite and PostgreSQL.

The responses and dossier totals of ``tests/fixtures/reference/cell-design-*.csv`` are stored in
the database as answers and totals; R built the cells, merges, weights and fpc itself
(``r/cell_design_reference.R``) and computed every record of ``cell-design-reference.csv``.
"""
import json
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from survey import queries
from survey import questionnaires as qdefs
from survey.catalog import new_token
from survey.extensions import db
from survey.models import (
    Agency,
    Answer,
    Counter,
    PopulationTotal,
    Response,
    ResponseFlag,
    ServiceArea,
)
from survey.reports.compute import build_report, clear_cache
from survey.reports.filters import ReportFilters

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "tests" / "fixtures" / "reference"
TOLERANCE = 1e-6
QUARTERS = {"2026-Q3": ["2026-Q3"], "2026-H": ["2026-Q2", "2026-Q3"]}


def _store(session) -> None:
    data = pd.read_csv(REFERENCE / "cell-design-responses.csv")
    questionnaire = queries.latest_questionnaire(session, "sipas")
    criteria = qdefs.criterion_codes(questionnaire.definition)
    areas = {c: ServiceArea(code=c, name_vi=c, name_en=c) for c in data["service_area"].unique()}
    agencies = {c: Agency(code=c, name=f"Cơ quan {c}", level=1) for c in data["agency"].unique()}
    counters = {}
    for code, rows in data.groupby("counter"):
        counters[code] = Counter(code=code, name=code, agency=agencies[rows["agency"].iloc[0]],
                                 token=new_token(),
                                 service_areas=[areas[a] for a in sorted(set(rows["service_area"]))])
    session.add_all([*areas.values(), *agencies.values(), *counters.values()])
    session.flush()
    for row in data.to_dict("records"):
        answers = {c: int(row[c]) for c in criteria if pd.notna(row[c])}
        day = date.fromisoformat(row["survey_date"])
        response = Response(
            uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
            counter_id=counters[row["counter"]].id, agency_id=agencies[row["agency"]].id,
            service_area_id=areas[row["service_area"]].id, channel=row["channel"],
            received_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC),
            survey_date=day, status=row["status"], client_id=row["response_id"],
            answers=[Answer(item_code=c, value=v) for c, v in answers.items()])
        if row["status"] == "flagged":
            response.flags.append(ResponseFlag(kind="straightlining", detail="test"))
        session.add(response)
    for row in pd.read_csv(REFERENCE / "cell-design-totals.csv").to_dict("records"):
        session.add(PopulationTotal(period=row["quarter"], agency_id=agencies[row["agency"]].id,
                                    service_area_id=areas[row["service_area"]].id,
                                    dossiers=int(row["dossiers"])))
    session.commit()


@pytest.fixture
def reference_app(app):
    """``app`` holding the reference responses and totals."""
    clear_cache()
    with app.app_context():
        _store(db.session)
    yield app
    clear_cache()


def _reference(design: str) -> pd.DataFrame:
    ref = pd.read_csv(REFERENCE / "cell-design-reference.csv", keep_default_na=False,
                      na_values=["NA"])
    return ref[ref["design"] == design]


def _close(ours: dict, row: dict, keys=("estimate", "se", "ci_low", "ci_high")) -> None:
    for key in keys:
        if pd.isna(row[key]):
            continue
        assert ours[key] == pytest.approx(row[key], rel=TOLERANCE), (row, key)


def _check_tables(tables, design: str) -> int:
    checked = 0
    for row in _reference(design).to_dict("records"):
        if row["level"] not in ("criterion", "element", "index", "mean"):
            continue
        table = tables.overall if row["by_column"] == "ALL" else \
            tables.breakdowns[row["by_column"]]
        hit = table[(table["by"].astype(str) == str(row["by"])) & (table["level"] == row["level"])
                    & (table["measure"] == row["measure"])]
        assert len(hit) == 1, row
        _close(hit.iloc[0].to_dict(), row)
        checked += 1
    return checked


@pytest.mark.parametrize("period,design", [("2026-Q3", "2026-Q3"),
                                           ("2026-04-01..2026-09-30", "2026-H")])
def test_every_record_of_the_report_equals_r(reference_app, period, design):
    with reference_app.app_context():
        report = build_report(db.session, ReportFilters(period=period), trend=False)
    assert _check_tables(report.current, design) == len(
        _reference(design).query("level in ['criterion', 'element', 'index', 'mean']"))
    sensitivity = _reference(design).query("level == 'sensitivity'").iloc[0].to_dict()
    _close(report.current.sensitivity, sensitivity)
    data = pd.read_csv(REFERENCE / "cell-design-responses.csv")
    data = data[data["quarter"].isin(QUARTERS[design])]
    assert report.current.weighting["flagged"] == (data["status"] == "flagged").sum() > 0
    assert report.current.weighting["counted"] == len(data)


def test_change_from_the_previous_quarter_equals_r_one_design(reference_app):
    with reference_app.app_context():
        report = build_report(db.session, ReportFilters(period="2026-Q3"), trend=False)
    expected = _reference("2026-H").query("level == 'difference'").set_index("measure")
    change = report.change.set_index("measure")
    assert set(change.index) == set(expected.index)
    for measure, row in expected.iterrows():
        assert change.loc[measure, "difference"] == pytest.approx(row["estimate"], rel=TOLERANCE)
        assert change.loc[measure, "se"] == pytest.approx(row["se"], rel=TOLERANCE)


def test_python_m_analysis_on_the_export_equals_r(reference_app, tmp_path):
    out = tmp_path / "export.csv"
    result = reference_app.test_cli_runner().invoke(
        args=["sipas", "export", "--period", "2026-Q3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    run = subprocess.run([sys.executable, "-m", "analysis", "sipas", str(out), "--weight",
                          "weight", "--strata", "stratum", "--fpc", "fpc", "--by", "agency",
                          "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    records = {(str(r["by"]), r["level"], r["measure"]): r for r in json.loads(run.stdout)}
    reference = _reference("2026-Q3").query("by_column in ['ALL', 'agency']")
    assert len(reference) > 100
    for row in reference.to_dict("records"):
        if row["level"] in ("criterion", "element", "index", "mean"):
            _close(records[(str(row["by"]), row["level"], row["measure"])], row)
