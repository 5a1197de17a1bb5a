"""CSV injection: codes and names that start like a formula are neutralised in every CSV.

An agency or counter whose code or name starts with "=", "+", "-", "@", a tab or a carriage
return would run as a formula when a person opens the CSV in a spreadsheet. Every CSV the
app writes (report CSV, raw responses CSV, ``flask sipas export``) prefixes such a text with
a single quote; numeric columns stay numbers, negative ones included.
"""
from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from survey import demo
from survey.extensions import db
from survey.main.security import FORMULA_START, csv_safe_frame, csv_text
from survey.models import Agency, Counter
from survey.reports.compute import clear_cache

PERIOD = "2026-Q3"
HOSTILE_AGENCY_CODE = '=HYPERLINK("http://e.vil","x")'   # agency codes are at most 32
HOSTILE_AGENCY_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_COUNTER_CODE = "+1+cmd|' /C calc'!A0"
HOSTILE_COUNTER_NAME = "-2+3"
NUMERIC_EXPORT_COLUMNS = ["weight", "fpc", "TC1", "GY4"]
NUMERIC_REPORT_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "n"]


@pytest.fixture
def hostile_app(app):
    """The demo province with a small agency and one of its counters renamed like formulas."""
    clear_cache()
    with app.app_context():
        demo.load(db.session, responses=600, today=date(2026, 11, 23))
        counter = db.session.scalars(sa.select(Counter).order_by(Counter.id)).first()
        agency = db.session.get(Agency, counter.agency_id)
        agency.code, agency.name = HOSTILE_AGENCY_CODE, HOSTILE_AGENCY_NAME
        counter.code, counter.name = HOSTILE_COUNTER_CODE, HOSTILE_COUNTER_NAME
        db.session.commit()
    yield app
    clear_cache()


def _fields(text: str) -> list[str]:
    """Every field of a CSV text (BOM removed)."""
    return [field for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for field in row]


def _assert_neutralised(text: str) -> None:
    """No field starts like a formula, except plain numbers (a negative estimate is fine)."""
    fields = _fields(text)
    for field in fields:
        if field.startswith(FORMULA_START):
            float(field)  # only numbers may start with "-" or "+"
    assert any(field.startswith("'=HYPERLINK") for field in fields)


def test_csv_text_prefixes_formulas_only():
    assert csv_text("=1+1") == "'=1+1"
    assert csv_text("+SUM(A1)") == "'+SUM(A1)"
    assert csv_text("@cmd") == "'@cmd"
    assert csv_text("\tx") == "'\tx"
    assert csv_text("\rx") == "'\rx"
    assert csv_text("-2+3") == "'-2+3"
    assert csv_text("-1.5") == "-1.5"
    assert csv_text("SNV") == "SNV"
    assert csv_text(-1.5) == -1.5
    assert csv_text(None) is None


def test_csv_safe_frame_keeps_numeric_columns():
    frame = pd.DataFrame({"code": ["=A", "B", None], "value": [-1.5, 2.0, float("nan")],
                          "n": [-3, 0, 4]})
    safe = csv_safe_frame(frame)
    assert list(safe["code"][:2]) == ["'=A", "B"]
    assert safe["value"].equals(frame["value"]) and safe["n"].equals(frame["n"])
    assert frame["code"][0] == "=A"  # the input is not changed


def test_cli_export_neutralises_codes_and_keeps_numbers(hostile_app):
    result = hostile_app.test_cli_runner().invoke(args=["sipas", "export"])
    assert result.exit_code == 0, result.output
    _assert_neutralised(result.output)
    frame = pd.read_csv(io.StringIO(result.output))
    assert f"'{HOSTILE_AGENCY_CODE}" in set(frame["agency"])
    assert f"'{HOSTILE_COUNTER_CODE}" in set(frame["counter"])
    for column in NUMERIC_EXPORT_COLUMNS:
        assert pd.api.types.is_numeric_dtype(frame[column]), column


def test_report_csv_neutralises_names_and_keeps_numbers(hostile_app, client, login_as):
    login_as("analyst")
    response = client.get(f"/reports/export.csv?period={PERIOD}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    _assert_neutralised(text)
    frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")))
    for column in NUMERIC_REPORT_COLUMNS:
        assert pd.api.types.is_numeric_dtype(frame[column]), column
    change = frame[frame["section"] == "change"]
    assert change.empty or pd.api.types.is_numeric_dtype(change["estimate"])


def test_raw_csv_neutralises_codes_and_keeps_numbers(hostile_app, client, login_as):
    login_as("analyst")
    response = client.get(f"/reports/raw.csv?period={PERIOD}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    _assert_neutralised(text)
    frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")))
    assert f"'{HOSTILE_COUNTER_CODE}" in set(frame["counter"])
    for column in ("weight", "fpc", "TC1"):
        assert pd.api.types.is_numeric_dtype(frame[column]), column


# --- ``flask sipas demo --responses 0`` (same issue): the province without any response ------

def test_demo_without_responses_loads_an_empty_province(runner, app):
    result = runner.invoke(args=["sipas", "demo", "--responses", "0"])
    assert result.exit_code == 0, result.output
    assert "0 responses" in result.output
    with app.app_context():
        from survey.models import Response

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Counter)) > 0
    export = runner.invoke(args=["sipas", "export"])
    assert export.exit_code == 0, export.output


def test_demo_refuses_a_negative_number_of_responses(runner):
    result = runner.invoke(args=["sipas", "demo", "--responses", "-5"])
    assert result.exit_code == 2
    assert "--responses" in result.output
