"""Questionnaire definitions: the shipped files and the validator's messages."""
import copy
import csv
import json
from pathlib import Path

import pytest

from survey import questionnaires as q

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _csv(name):
    with open(FIXTURES / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("code,csv_name", [("sipas", "criteria.csv"),
                                           ("sipas-2023", "criteria-2023.csv")])
def test_shipped_questionnaire_has_exactly_the_national_criteria(code, csv_name):
    definition = q.load_file(q.FOLDER / f"{code}.json")
    rows = _csv(csv_name)
    assert [c["code"] for c in q.criteria(definition)] == [r["code"] for r in rows]
    assert [c["element"] for c in q.criteria(definition)] == [r["element"] for r in rows]
    assert q.required_codes(definition) == []


def test_standard_questionnaire_shape():
    definition = q.load_file(q.FOLDER / "sipas.json")
    assert len(definition["elements"]) == 5
    assert len(q.criterion_codes(definition)) == 22
    assert definition["scale"]["labels"]["4"]["vi"] == "Hài lòng"
    assert definition["scale"]["not_applicable"]["vi"] == "Không ý kiến"
    assert "HL" in q.item_codes(definition)
    assert {f["code"] for f in definition["profile"]} == {
        "gender", "age_band", "occupation", "education", "ethnicity"}


def test_2023_form_has_an_overall_question_per_element():
    definition = q.load_file(q.FOLDER / "sipas-2023.json")
    assert all("overall" in e for e in definition["elements"])


@pytest.fixture
def definition():
    return json.loads((q.FOLDER / "sipas.json").read_text(encoding="utf-8"))


def test_every_problem_is_reported_with_its_place(definition):
    broken = copy.deepcopy(definition)
    broken["elements"][1]["criteria"][0]["code"] = "TC1"
    broken["elements"][2]["criteria"][3]["label"]["vi"] = ""
    broken["elements"][0]["weight"] = -1
    broken["elemnts"] = []
    problems = q.validate(broken)
    assert "elements[1].criteria[0].code: duplicate code 'TC1'" in problems
    assert "elements[2].criteria[3].label.vi: missing Vietnamese text" in problems
    assert "elements[0].weight: must be a positive number" in problems
    assert "definition: unknown field 'elemnts'" in problems


def test_invalid_json_names_the_line():
    with pytest.raises(q.QuestionnaireError, match="line 1: invalid JSON"):
        q.parse("{not json", "broken.json")


def test_scale_labels_are_required(definition):
    del definition["scale"]["labels"]["3"]
    assert "scale.labels.3: must be an object with 'vi' and 'en' texts" in q.validate(definition)


def test_checksum_ignores_key_order(definition):
    reordered = dict(reversed(list(definition.items())))
    assert q.checksum(reordered) == q.checksum(definition)
