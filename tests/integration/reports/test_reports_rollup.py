"""The national roll-up without microdata: provinces export their sums, a national instance
imports them, and its national and per-province figures equal those of the pooled rows.

Two provinces are made one after the other in the same database (demo provinces with different
seeds and sizes); each exports its sums and keeps its rows as the reference. The database is
then emptied (the national instance has no response), both files are imported, and
``flask sipas national-report`` must give, to a relative 1e-9, what the row path computes on
the two provinces' responses pooled (agencies and counters prefixed by province).
"""
from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis import breakdowns, cells, sipas
from survey import demo, queries
from survey.catalog import load_shipped_questionnaires
from survey.extensions import db
from survey.reports.compute import clear_cache

PERIOD = "2026"
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "n", "n_eff", "deff", "df"]


def _empty() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    load_shipped_questionnaires(db.session)
    db.session.commit()
    clear_cache()


def _province(app, runner, tmp_path, code: str, seed: int, size: int):
    with app.app_context():
        _empty()
        demo.load(db.session, responses=size, seed=seed, today=date(2026, 11, 23))
        db.session.commit()
        frame = queries.responses_frame(db.session, "sipas", PERIOD)
        totals = queries.cell_totals(db.session, PERIOD, frame["quarter"].unique())
    path = tmp_path / f"{code}.json"
    result = runner.invoke(args=["sipas", "export-sums", "--period", PERIOD, "--province-code",
                                 code, "--province-name", f"Tỉnh {code}", "--out", str(path)])
    assert result.exit_code == 0, result.output
    document = json.loads(path.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    assert "item_values" not in text and "uuid" not in text and "-Q1" not in text
    assert document["responses"] == len(frame)
    for column in ("agency", "counter"):
        frame[column] = code + ":" + frame[column].astype(str)
    totals["agency"] = code + ":" + totals["agency"].astype(str)
    return path, frame.assign(province=code), totals


@pytest.fixture
def provinces(app, runner, tmp_path):
    made = [_province(app, runner, tmp_path, "P1", 11, 900),
            _province(app, runner, tmp_path, "P2", 12, 600)]
    with app.app_context():
        _empty()
    return made


def _national(runner, tmp_path) -> list[dict]:
    out = tmp_path / "national.json"
    result = runner.invoke(args=["sipas", "national-report", "--period", PERIOD, "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_national_figures_from_imported_sums_equal_the_pooled_rows(app, runner, tmp_path,
                                                                   provinces):
    result = runner.invoke(args=["sipas", "import-sums", *(str(p) for p, _, _ in provinces)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": imported") == 2
    records = _national(runner, tmp_path)
    frame = pd.concat([f for _, f, _ in provinces], ignore_index=True)
    totals = pd.concat([t for _, _, t in provinces], ignore_index=True)
    with app.app_context():
        structure = sipas.Structure.from_definition(
            queries.latest_questionnaire(db.session, "sipas").definition)
    design = cells.counter_design(frame, totals).design()
    expected = pd.concat([breakdowns.overall_table(design, structure).assign(section="national"),
                          breakdowns.breakdown_table(design, structure, "province")
                          .assign(section="province")])
    got = pd.DataFrame([r for r in records if r["section"] in ("national", "province")])
    assert set(got["by"]) == {"ALL", "P1", "P2"}
    key = ["section", "by", "level", "measure"]
    merged = expected.merge(got, on=key, suffixes=("", "_got"), validate="one_to_one")
    assert len(merged) == len(expected) == len(got)
    for column in NUMBERS:
        a = merged[column].to_numpy(float)
        b = merged[f"{column}_got"].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), column
        ok = ~np.isnan(a)
        np.testing.assert_allclose(b[ok], a[ok], rtol=1e-9, atol=1e-12, err_msg=column)
    national = merged[(merged["section"] == "national") & (merged["level"] == "index")]
    assert int(national["n"].iloc[0]) == len(frame) - int(
        frame[structure.criteria].isna().all(axis=1).sum())
    ranking = [r for r in records if r["section"] == "ranking"]
    assert {r["by"] for r in ranking} == {"P1", "P2"}
    assert all(r["band"] for r in ranking)
    valid = breakdowns.sensitivity(design, structure, "status", "valid")
    line = next(r for r in records if r["section"] == "sensitivity")
    for name in ("estimate", "se", "ci_low", "ci_high", "n"):
        assert line[name] == pytest.approx(valid[name], rel=1e-9)
    coverage = cells.coverage(design.frame, "province").set_index("by")["coverage"]
    for r in records:
        if r["section"] == "province" and r["level"] == "index":
            assert r["coverage"] == pytest.approx(coverage[r["by"]], rel=1e-12)


def test_a_second_import_is_unchanged_a_different_one_refused_unless_replaced(
        app, runner, tmp_path, provinces):
    path = provinces[0][0]
    assert runner.invoke(args=["sipas", "import-sums", str(path)]).exit_code == 0
    again = runner.invoke(args=["sipas", "import-sums", str(path)])
    assert again.exit_code == 0 and "unchanged" in again.output
    document = json.loads(path.read_text(encoding="utf-8"))
    document["moments"]["all"][0] += 1
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(document), encoding="utf-8")
    refused = runner.invoke(args=["sipas", "import-sums", str(changed)])
    assert refused.exit_code == 1 and "already imported" in refused.output
    assert "--replace" in refused.output
    replaced = runner.invoke(args=["sipas", "import-sums", "--replace", str(changed)])
    assert replaced.exit_code == 0 and "replaced" in replaced.output


@pytest.mark.parametrize("change,message", [
    (lambda d: d["questionnaire"].update(checksum="0" * 64), "not the one published here"),
    (lambda d: d["questionnaire"].update(version=99), "not the one published here"),
    (lambda d: d.update(format="other"), "not a SIPAS sums file"),
    (lambda d: d["moments"].update(all=[1.0, 2.0]), "moments.all"),
    (lambda d: d["moments"].update(valid="x"), "moments.valid"),
    (lambda d: d["moments"].pop("valid"), "moments: an object"),
    (lambda d: d.update(responses=1), "responses"),
    (lambda d: d.update(flagged=10 ** 9), "flagged"),
    (lambda d: d.update(dossiers=-1), "dossiers"),
    (lambda d: d.update(period="2026-Q9"), "period"),
    (lambda d: d["province"].update(code=""), "province.code"),
], ids=["checksum", "version", "format", "moments-size", "moments-type", "moments-missing",
        "responses", "flagged", "dossiers", "period", "province"])
def test_a_bad_file_is_refused_with_its_place_and_nothing_is_imported(
        app, runner, tmp_path, provinces, change, message):
    good, bad = provinces[1][0], tmp_path / "bad.json"
    document = json.loads(provinces[0][0].read_text(encoding="utf-8"))
    change(document)
    bad.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["sipas", "import-sums", str(good), str(bad)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
    empty = runner.invoke(args=["sipas", "national-report", "--period", PERIOD])
    assert empty.exit_code == 1 and "no province" in empty.output


def test_a_file_that_is_not_json_is_refused(runner, tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b"\xff\xfe not json")
    result = runner.invoke(args=["sipas", "import-sums", str(path)])
    assert result.exit_code == 1 and "not a JSON file" in result.output
