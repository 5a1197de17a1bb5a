"""``flask sipas import-field``: the stored count, or every problem and exit status 1."""
from __future__ import annotations

from tests.integration.fieldwork.conftest import SAMPLES


def test_a_good_file_prints_the_stored_count(runner, province, stored):
    result = runner.invoke(args=["sipas", "import-field", str(SAMPLES / "good.xlsx")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("4 responses stored (import ")
    assert stored() == {"responses": 4, "answers": 53, "imports": 1, "audit": 1}


def test_a_refused_file_prints_every_problem_and_exits_1(runner, province, stored, tmp_path):
    assert runner.invoke(args=["sipas", "import-field",
                               str(SAMPLES / "good.csv")]).exit_code == 0
    again = runner.invoke(args=["sipas", "import-field", str(SAMPLES / "good.csv")])
    assert again.exit_code == 1
    assert ("row 2, column id: id 7d8f1c2e-4b1a-4c8e-9a51-0c6a1b2f3e01 is already stored"
            in again.output)
    assert "Error: 6 problems; nothing was stored." in again.output
    assert stored()["responses"] == 4


def test_the_mode_and_questionnaire_options_apply_to_the_whole_file(runner, province,
                                                                    stored, tmp_path, app):
    from survey.extensions import db
    from survey.models import Response

    text = (SAMPLES / "good.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    keep = [i for i, name in enumerate(header) if name not in ("mode", "questionnaire",
                                                               "version")]
    path = tmp_path / "no-mode.csv"
    path.write_text("\n".join(",".join(line.split(",")[i] for i in keep) for line in text),
                    encoding="utf-8")
    missing = runner.invoke(args=["sipas", "import-field", str(path)])
    assert missing.exit_code == 1
    assert "missing columns: mode, questionnaire" in missing.output
    unknown = runner.invoke(args=["sipas", "import-field", str(path), "--mode", "phone",
                                  "--questionnaire", "sipas", "--version", "7"])
    assert unknown.exit_code == 1
    assert "no published questionnaire “sipas v7”" in unknown.output
    good = runner.invoke(args=["sipas", "import-field", str(path), "--mode", "phone",
                               "--questionnaire", "sipas", "--version", "2"])
    assert good.exit_code == 0, good.output
    with app.app_context():
        assert {r.import_mode for r in db.session.query(Response)} == {"phone"}
    assert stored()["responses"] == 4


def test_a_bad_mode_option_is_a_usage_error(runner, province, stored):
    result = runner.invoke(args=["sipas", "import-field", str(SAMPLES / "good.csv"),
                                 "--mode", "fax"])
    assert result.exit_code == 2
    assert stored()["responses"] == 0
