"""Publishing questionnaires and importing population totals from the workspace."""
from __future__ import annotations

import io
import json

from survey import questionnaires as qdefs
from survey.models import PopulationTotal, Questionnaire


def _shipped(code: str = "sipas") -> dict:
    path = next(p for p in qdefs.shipped_files() if p.stem == code)
    return qdefs.load_file(path)


def _upload(submit, url: str, field: str, text: str, name: str):
    data = {field: (io.BytesIO(text.encode("utf-8")), name)}
    return submit(url, data, content_type="multipart/form-data")


def test_questionnaire_list_shows_versions_per_code(client, as_role):
    as_role("analyst")
    html = client.get("/admin/questionnaires").get_data(as_text=True)
    assert "<code>sipas</code>" in html and "<code>sipas-2023</code>" in html


def test_publish_a_new_version(client, as_role, submit, in_db, audit_events):
    as_role("analyst")
    definition = _shipped()
    shipped = definition["version"]
    definition["version"] = shipped + 1
    response = _upload(submit, "/admin/questionnaires", "definition",
                       json.dumps(definition, ensure_ascii=False), "sipas-next.json")
    assert response.status_code == 302
    versions = in_db(lambda s: [q.version for q in s.query(Questionnaire).filter_by(code="sipas")])
    assert sorted(versions) == [shipped, shipped + 1]
    event = audit_events("publish")[0]
    assert event["after"]["code"] == "sipas" and event["after"]["version"] == shipped + 1


def test_invalid_definition_lists_every_problem_with_its_place(client, as_role, submit, in_db,
                                                               audit_events):
    as_role("analyst")
    definition = _shipped()
    definition["version"] = 3
    definition["elements"][0]["criteria"][0]["question"] = {"vi": "", "en": "Seats?"}
    definition["scale"]["satisfied_min"] = 9
    response = _upload(submit, "/admin/questionnaires", "definition",
                       json.dumps(definition), "broken.json")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "elements[0].criteria[0].question.vi: thiếu văn bản tiếng Việt" in html
    assert "scale.satisfied_min" in html and "Chưa công bố gì" in html
    assert in_db(lambda s: s.query(Questionnaire).filter_by(version=3).count()) == 0
    assert audit_events("publish") == []


def test_malformed_json_is_reported_with_its_line(client, as_role, submit):
    as_role("analyst")
    response = _upload(submit, "/admin/questionnaires", "definition", '{\n "code": ', "bad.json")
    assert response.status_code == 422
    assert "dòng 2: JSON không hợp lệ" in response.get_data(as_text=True)


def test_changing_a_published_version_is_refused(client, as_role, submit, in_db):
    as_role("analyst")
    definition = _shipped()
    definition["title"]["vi"] = "Tiêu đề đã sửa"
    response = _upload(submit, "/admin/questionnaires", "definition",
                       json.dumps(definition, ensure_ascii=False), "sipas.json")
    assert response.status_code == 422
    assert "Bị từ chối" in response.get_data(as_text=True)
    title = in_db(lambda s: s.query(Questionnaire).filter_by(
        code="sipas", version=definition["version"]).one().title)
    assert title != "Tiêu đề đã sửa"


def test_republishing_the_same_content_changes_nothing(client, as_role, submit, audit_events):
    as_role("analyst")
    response = _upload(submit, "/admin/questionnaires", "definition",
                       json.dumps(_shipped(), ensure_ascii=False), "sipas.json")
    assert response.status_code == 302
    assert audit_events("publish") == []


def test_preview_in_vietnamese_with_an_english_toggle(client, as_role, in_db):
    as_role("analyst")
    qid = in_db(lambda s: s.query(Questionnaire).filter_by(code="sipas").one().id)
    vi = client.get(f"/admin/questionnaires/{qid}").get_data(as_text=True)
    assert "Rất hài lòng" in vi and "Ông/Bà hài lòng thế nào với chỗ ngồi chờ?" in vi
    assert "?text=en" in vi and "disabled" in vi
    en = client.get(f"/admin/questionnaires/{qid}?text=en").get_data(as_text=True)
    assert "Very satisfied" in en
    assert "How satisfied are you with the seats in the waiting area?" in en


def test_totals_import_with_good_rows(client, province, as_role, submit, in_db, audit_events):
    as_role("analyst")
    text = ("period,agency,service_area,dossiers\n2026-Q1,SNV,DATDAI,120\n"
            "2026-Q1,H-AN,XAYDUNG,80\n")
    assert _upload(submit, "/admin/totals", "totals", text, "totals.csv").status_code == 302
    assert in_db(lambda s: s.query(PopulationTotal).count()) == 2
    event = audit_events("import")[0]
    assert event["after"]["totals"] == {"2026-Q1/H-AN/XAYDUNG": 80, "2026-Q1/SNV/DATDAI": 120}
    text = "period,agency,service_area,dossiers\n2026-Q1,SNV,DATDAI,150\n"
    _upload(submit, "/admin/totals", "totals", text, "fix.csv")
    change = audit_events("import")[1]
    assert change["before"] == {"2026-Q1/SNV/DATDAI": 120}
    assert change["after"]["totals"] == {"2026-Q1/SNV/DATDAI": 150}
    html = client.get("/admin/totals?period=2026-Q1").get_data(as_text=True)
    assert "150" in html and "UBND huyện An Phú" in html


def test_totals_import_with_bad_rows_imports_nothing_and_names_each_row(
        client, province, as_role, submit, in_db, audit_events):
    as_role("analyst")
    text = ("period,agency,service_area,dossiers\n2026-Q1,SNV,DATDAI,120\n"
            "2026-Q5,SNV,DATDAI,10\n2026-Q1,NOPE,DATDAI,10\n2026-Q1,SNV,HOTICH,-4\n")
    response = _upload(submit, "/admin/totals", "totals", text, "totals.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Chưa nhập gì" in html
    assert "Dòng 3: kỳ “2026-Q5” không có dạng" in html
    assert "Dòng 4: không có cơ quan nào mang mã “NOPE”" in html
    assert "Dòng 5: số hồ sơ -4 là số âm" in html
    assert "Dòng 2" not in html
    assert in_db(lambda s: s.query(PopulationTotal).count()) == 0
    assert audit_events("import") == []


def test_totals_template_downloads_as_csv(client, province, as_role):
    as_role("analyst")
    response = client.get("/admin/totals/template.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "period,agency,service_area,dossiers" and len(lines) == 2


def test_totals_problems_read_in_english_on_request(client, province, as_role, submit):
    as_role("analyst")
    client.get("/?lang=en")
    text = ("period,agency,service_area,dossiers\n2026-Q1,SNV,NOWHERE,1\n2026-Q1,SNV,DATDAI,x\n"
            "2026-Q1,SNV,DATDAI,1\n2026-Q1,SNV,DATDAI,2\n")
    html = _upload(submit, "/admin/totals", "totals", text, "t.csv").get_data(as_text=True)
    assert "Row 2: no service area has the code “NOWHERE”" in html
    assert "Row 3: dossiers “x” is not a whole number" in html
    assert "Row 5: repeats an earlier row" in html
    wrong = _upload(submit, "/admin/totals", "totals", "a,b\n1,2\n", "t.csv")
    assert "header: expected columns period, agency, service_area, dossiers" in wrong.get_data(
        as_text=True)
