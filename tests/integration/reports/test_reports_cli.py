"""``flask sipas report`` gives the page's numbers, and the design of ``python -m analysis``."""
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from reports_helpers import PERIOD, headline

from survey.extensions import db
from survey.reports.compute import build_report
from survey.reports.filters import ReportFilters

ROOT = Path(__file__).resolve().parents[3]


def _report_json(app, *args) -> list[dict]:
    result = app.test_cli_runner().invoke(args=["sipas", "report", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _sipas(records, section: str | None = "overall") -> dict:
    return next(r for r in records if r.get("section") == section and r["measure"] == "SIPAS"
                and str(r["by"]) == "ALL")


def _analysis_cli(app, tmp_path, period: str | None, design: list[str], by: str | None = None
                  ) -> list[dict]:
    args = ["sipas", "export", "--out", str(tmp_path / "export.csv")]
    if period:
        args += ["--period", period]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "sipas", str(tmp_path / "export.csv"), "--weight",
         "weight", *design, *(["--by", by] if by else []), "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


DEFAULT = ["--strata", "stratum", "--fpc", "fpc"]
COUNTERS = ["--strata", "agency", "--cluster", "counter"]


@pytest.mark.parametrize("period", [PERIOD, "2026", None])
def test_report_equals_python_m_analysis_on_the_export(demo_app, tmp_path, period):
    expected = _sipas(_analysis_cli(demo_app, tmp_path, period, DEFAULT), None)
    ours = _sipas(_report_json(demo_app, *(["--period", period] if period else [])))
    assert ours["estimate"] == pytest.approx(expected["estimate"], rel=1e-9)
    assert ours["se"] == pytest.approx(expected["se"], rel=1e-9)
    assert ours["n"] == expected["n"]


@pytest.mark.parametrize("variance,design", [("design", DEFAULT), ("counters", COUNTERS)])
def test_every_agency_of_the_report_equals_the_cli_on_the_export(demo_app, tmp_path, variance,
                                                                  design):
    expected = {(r["by"], r["level"], r["measure"]): r
                for r in _analysis_cli(demo_app, tmp_path, PERIOD, design, by="agency")}
    records = _report_json(demo_app, "--period", PERIOD, "--variance", variance)
    rows = [r for r in records if r["section"] == "agency" and r["n"]]
    assert len({r["by"] for r in rows}) >= 10
    for row in rows:
        other = expected[(row["by"], row["level"], row["measure"])]
        for key in ("estimate", "se", "ci_low", "ci_high", "deff"):
            if other[key] is None:
                assert row[key] is None, (row, key)
            else:
                assert row[key] == pytest.approx(other[key], rel=1e-9), (row, key)


def test_cli_json_and_csv_equal_the_page(demo_app, analyst, tmp_path):
    records = _report_json(demo_app, "--period", PERIOD)
    out = tmp_path / "report.csv"
    result = demo_app.test_cli_runner().invoke(args=[
        "sipas", "report", "--period", PERIOD, "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    row = frame[(frame["section"] == "overall") & (frame["measure"] == "SIPAS")].iloc[0]
    sipas = _sipas(records)
    assert row["estimate"] == sipas["estimate"] and row["se"] == sipas["se"]
    html = analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    with demo_app.test_request_context("/?lang=vi"):
        from survey.reports.numbers import fmt

        assert headline(html) == fmt(sipas["estimate"])
    with demo_app.app_context():
        report = build_report(db.session, ReportFilters(period=PERIOD))
    assert report.sipas["estimate"] == sipas["estimate"]


def test_cli_agency_report_and_files(demo_app, tmp_path):
    records = _report_json(demo_app, "--period", PERIOD, "--agency", "H-AN")
    agencies = {r["by"] for r in records if r["section"] == "agency"}
    assert agencies <= {"H-AN", "X-AN1", "X-AN2"}
    for fmt in ("xlsx", "pdf"):
        out = tmp_path / f"report.{fmt}"
        result = demo_app.test_cli_runner().invoke(args=[
            "sipas", "report", "--period", PERIOD, "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert len(load_workbook(io.BytesIO((tmp_path / "report.xlsx").read_bytes())).sheetnames) == 11


def test_cli_refuses_unknown_agency_and_period(demo_app):
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["sipas", "report", "--agency", "NOPE"]).exit_code == 1
    assert runner.invoke(args=["sipas", "report", "--period", "2026-13"]).exit_code == 1
    assert runner.invoke(args=["sipas", "report", "--format", "pdf"]).exit_code == 1
