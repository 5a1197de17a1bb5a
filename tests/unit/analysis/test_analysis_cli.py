"""python -m analysis: output shapes and one-line errors with exit status 2."""
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main

REPO = Path(__file__).resolve().parents[3]
FIELDS = ["by", "level", "measure", "estimate", "se", "ci_low", "ci_high", "n", "n_eff", "flag"]
DESIGN = ["--weight", "weight", "--strata", "agency", "--cluster", "counter"]


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_sipas_json_is_a_list_of_records(capsys, example_csv):
    status, out, err = run(capsys, "sipas", example_csv(), *DESIGN, "--by", "service_area")
    records = json.loads(out)
    assert status == 0 and err == ""
    assert list(records[0])[:10] == FIELDS
    assert len(records) == 11 * 50
    assert records[0]["by"] == "ALL" and records[0]["measure"] == "TC1"
    sipas_row = next(r for r in records if r["by"] == "ALL" and r["measure"] == "SIPAS")
    assert sipas_row["level"] == "index" and 0 < sipas_row["estimate"] < 100


def test_sipas_csv_has_the_record_columns(capsys, example_csv):
    status, out, _ = run(capsys, "sipas", example_csv(), *DESIGN, "--format", "csv",
                         "--ci", "beta", "--level", "0.9")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and list(rows[0])[:10] == FIELDS
    assert len(rows) == 50 and {r["by"] for r in rows} == {"ALL"}


def test_sipas_cli_agrees_with_the_r_reference(capsys, example_csv):
    _, out, _ = run(capsys, "sipas", example_csv(), *DESIGN, "--by", "service_area",
                    "--format", "csv")
    ours = pd.read_csv(io.StringIO(out))
    ref = pd.read_csv(REPO / "tests/fixtures/reference/sipas-example-reference.csv")
    merged = ref.merge(ours, left_on=["scope", "level", "measure"],
                       right_on=["by", "level", "measure"])
    assert len(merged) == len(ref)
    assert np.allclose(merged["se_x"], merged["se_y"], rtol=1e-9)


def test_questionnaire_option_takes_a_path(capsys, example_csv):
    path = REPO / "survey" / "questionnaires" / "sipas.json"
    status, out, _ = run(capsys, "sipas", example_csv(), "--questionnaire", path)
    assert status == 0 and len(json.loads(out)) == 50


def test_estimate_gives_data_units(capsys):
    path = REPO / "tests/fixtures/reference/apistrat.csv"
    status, out, _ = run(capsys, "estimate", path, "--mean", "api00", "api99",
                         "--proportion", "sch.wide=Yes", "--total", "enroll", "--weight", "pw",
                         "--strata", "stype", "--fpc", "fpc", "--by", "stype")
    records = json.loads(out)
    assert status == 0 and list(records[0])[:10] == FIELDS
    assert len(records) == 4 * 4
    share = next(r for r in records if r["level"] == "proportion" and r["by"] == "ALL")
    assert share["estimate"] == pytest.approx(0.827948011415823)
    assert share["ci_low"] == pytest.approx(0.774539654746768, rel=1e-6)
    mean = next(r for r in records if r["measure"] == "api00" and r["by"] == "ALL")
    assert mean["se"] == pytest.approx(9.40894080278458, rel=1e-9)


def _error(capsys, *argv):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_missing_criterion_column(capsys, example_csv, sipas_frame):
    err = _error(capsys, "sipas", example_csv(sipas_frame.drop(columns=["KQ2"])))
    assert "KQ2" in err


def test_missing_design_column(capsys, example_csv):
    assert "'stratum_x'" in _error(capsys, "sipas", example_csv(), "--strata", "stratum_x")


def test_non_numeric_answer_names_column_and_row(capsys, example_csv, sipas_frame):
    frame = sipas_frame.astype({"TT3": object})
    frame.loc[6, "TT3"] = "hai"
    err = _error(capsys, "sipas", example_csv(frame))
    assert "'TT3'" in err and "row 7" in err


@pytest.mark.parametrize("value", [0, 6, 3.5])
def test_answer_outside_the_scale_names_column_and_row(capsys, example_csv, sipas_frame, value):
    frame = sipas_frame.copy()
    frame.loc[41, "CC2"] = value
    err = _error(capsys, "sipas", example_csv(frame))
    assert "'CC2'" in err and "row 42" in err


def test_empty_domain_value_names_the_row(capsys, example_csv, sipas_frame):
    frame = sipas_frame.copy()
    frame.loc[9, "service_area"] = None
    err = _error(capsys, "sipas", example_csv(frame), "--by", "service_area")
    assert "'service_area'" in err and "row 10" in err


def test_domain_without_answers_is_an_empty_domain(capsys, example_csv, sipas_frame):
    frame = sipas_frame.copy()
    criteria = [c for c in frame.columns if c[:2] in ("TC", "TT", "CC", "KQ", "GY")]
    frame.loc[frame["service_area"] == "LV04", criteria] = np.nan
    err = _error(capsys, "sipas", example_csv(frame), "--by", "service_area")
    assert "empty domain 'LV04'" in err


def test_estimate_empty_domain(capsys, example_csv, sipas_frame):
    frame = sipas_frame.copy()
    frame.loc[frame["service_area"] == "LV02", "TC1"] = np.nan
    err = _error(capsys, "estimate", example_csv(frame), "--mean", "TC1", "--by",
                 "service_area")
    assert "empty domain 'LV02'" in err


@pytest.mark.parametrize("value", [0, -2.5, None, "heavy"])
def test_zero_negative_or_missing_weight(capsys, example_csv, sipas_frame, value):
    frame = sipas_frame.astype({"weight": object})
    frame.loc[99, "weight"] = value
    err = _error(capsys, "sipas", example_csv(frame), "--weight", "weight")
    assert "'weight'" in err and "row 100" in err


def test_lonely_psu_under_fail_names_the_stratum(capsys, example_csv, sipas_frame):
    frame = sipas_frame.copy()
    lonely = frame["agency"] == "AG06"
    frame.loc[lonely, "counter"] = frame.loc[lonely, "counter"].iloc[0]
    err = _error(capsys, "sipas", example_csv(frame), *DESIGN, "--lonely-psu", "fail")
    assert "stratum AG06" in err
    status, _, _ = run(capsys, "sipas", example_csv(frame), *DESIGN)
    assert status == 0


def test_unreadable_file(capsys, tmp_path):
    assert "no such file" in _error(capsys, "sipas", tmp_path / "missing.csv")
    binary = tmp_path / "bad.csv"
    binary.write_bytes(b"\xff\xfe\x00\x00garbage\x00\x01")
    _error(capsys, "sipas", binary)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _error(capsys, "sipas", empty)


def test_header_only_file_has_no_rows(capsys, example_csv, sipas_frame):
    assert "no data rows" in _error(capsys, "sipas", example_csv(sipas_frame.iloc[:0]))


@pytest.mark.parametrize("argv", [["sipas"], ["sipas", "x.csv", "--ci", "exact"],
                                  ["estimate", "x.csv"],
                                  ["estimate", "x.csv", "--proportion", "nope"],
                                  ["sipas", "x.csv", "--level", "95"]])
def test_usage_errors_are_one_line(capsys, argv):
    _error(capsys, *argv)


def test_the_module_runs_as_a_process_with_exit_status_2_and_no_traceback(example_csv,
                                                                         sipas_frame):
    frame = sipas_frame.copy()
    frame.loc[2, "GY1"] = 9
    done = subprocess.run([sys.executable, "-m", "analysis", "sipas", example_csv(frame)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "'GY1', row 3" in done.stderr
    ok = subprocess.run([sys.executable, "-m", "analysis", "sipas", example_csv(sipas_frame),
                         "--format", "csv"], capture_output=True, text=True, cwd=REPO, check=False)
    assert ok.returncode == 0 and ok.stdout.startswith(",".join(FIELDS))
