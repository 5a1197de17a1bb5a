"""A good CSV or XLSX of field interviews is stored exactly (responses, answers, channel
import, mode, survey date, slice sums, audit); the same file again is refused by id."""
from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from survey.extensions import db
from survey.models import Answer, AuditEvent, FieldImport, Response
from tests.integration.fieldwork.conftest import sample

CSV_IDS = [f"7d8f1c2e-4b1a-4c8e-9a51-0c6a1b2f3e0{i}" for i in range(1, 5)]
ANSWERS = 23 + 5 + 3 + 22  # answered cells of the four sample rows


def _responses(app) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(sa.select(Response).order_by(Response.survey_date)).scalars()
        return [{"uuid": str(r.uuid), "channel": r.channel, "mode": r.import_mode,
                 "date": r.survey_date, "status": r.status, "counter": r.counter.code,
                 "area": r.service_area.code, "import": r.field_import_id,
                 "gender": r.gender, "age_band": r.age_band, "dossier": r.dossier_hash,
                 "items": r.item_values} for r in rows]


def test_a_good_csv_stores_exactly_its_rows(app, province, as_role, upload, stored):
    user_id = as_role("analyst")
    response = upload(sample("good.csv"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Đã lưu 4 phiếu từ “phieu-giay.csv”." in html
    assert stored() == {"responses": 4, "answers": ANSWERS, "imports": 1, "audit": 1}
    rows = _responses(app)
    assert [(r["uuid"], r["date"], r["mode"], r["counter"], r["area"]) for r in rows] == [
        (CSV_IDS[0], date(2026, 8, 14), "paper", "SNV-Q1", "DATDAI"),
        (CSV_IDS[1], date(2026, 9, 2), "phone", "H-AN-Q1", "XAYDUNG"),
        (CSV_IDS[3], date(2026, 10, 10), "phone", "H-AN-Q1", "DATDAI"),
        (CSV_IDS[2], date(2026, 11, 30), "paper", "X-AN1-Q1", "HOTICH")]
    assert {r["channel"] for r in rows} == {"import"}
    assert {r["status"] for r in rows} == {"valid"}
    assert rows[0]["gender"] == "female" and rows[3]["age_band"] == "60plus"
    assert rows[1]["items"] == "23--1----4------------2"
    with app.app_context():
        record = db.session.scalars(sa.select(FieldImport)).one()
        assert (record.filename, record.rows, record.user_id) == ("phieu-giay.csv", 4, user_id)
        assert {r["import"] for r in rows} == {record.id}
        event = db.session.scalars(sa.select(AuditEvent).filter_by(
            entity="field_import")).one()
        assert event.after["rows"] == 4 and event.after["sha256"] == record.sha256
        assert event.after["file"] == "phieu-giay.csv"
        assert event.user_id == user_id


def test_the_dossier_is_stored_as_its_keyed_hash_never_in_clear(app, province, as_role,
                                                                 upload):
    from survey.responses import dossier_hash

    as_role("admin")
    assert upload(sample("good.csv")).status_code == 200
    rows = _responses(app)
    key = app.config["DOSSIER_HASH_KEY"]
    assert rows[0]["dossier"] == dossier_hash("H-2026-0101", key)
    assert rows[2]["dossier"] == dossier_hash("H-2026-0102", key)
    with app.app_context():
        assert db.session.query(Response).filter(
            Response.dossier_hash.like("%2026%")).count() == 0


def test_a_good_xlsx_stores_exactly_its_rows(app, province, as_role, upload, stored):
    as_role("admin")
    response = upload(sample("good.xlsx"), name="dien-thoai.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored() == {"responses": 4, "answers": ANSWERS, "imports": 1, "audit": 1}
    rows = _responses(app)
    assert [r["date"] for r in rows] == [date(2026, 8, 14), date(2026, 9, 2),
                                         date(2026, 10, 10), date(2026, 11, 30)]
    assert [r["mode"] for r in rows] == ["paper", "phone", "phone", "paper"]
    assert rows[1]["items"] == "23--1----4------------2"


def test_a_semicolon_csv_with_a_byte_order_mark_is_read(app, province, as_role, upload,
                                                        stored):
    as_role("admin")
    assert sample("good-semicolon-bom.csv").startswith(b"\xef\xbb\xbf")
    response = upload(sample("good-semicolon-bom.csv"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored()["responses"] == 4
    assert stored()["answers"] == ANSWERS


def test_the_same_file_again_is_refused_naming_the_stored_ids(app, province, as_role, upload,
                                                              stored):
    as_role("admin")
    assert upload(sample("good.csv")).status_code == 200
    before = stored()
    response = upload(sample("good.csv"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Không lưu gì cả. Các lỗi tìm thấy (6):" in html
    for number, uid in ((2, CSV_IDS[0]), (3, CSV_IDS[1]), (4, CSV_IDS[2]), (5, CSV_IDS[3])):
        assert f"Dòng {number}, cột id: mã {uid} đã được lưu" in html
    assert "Dòng 2, cột dossier: hồ sơ này đã được đánh giá" in html
    assert "Dòng 5, cột dossier: hồ sơ này đã được đánh giá" in html
    assert stored() == before


def test_the_stored_sums_agree_with_the_rows_after_an_import(app, province, as_role, upload,
                                                             make_user):
    from survey import slices
    from survey.models import ResponseSum

    as_role("admin")
    assert upload(sample("good.csv")).status_code == 200
    assert upload(sample("good.xlsx")).status_code == 200
    with app.app_context():
        assert slices.check(db.engine) == []
        assert db.session.query(sa.func.sum(ResponseSum.rows)).filter(
            ResponseSum.channel == "import").scalar() == 8


def test_the_report_counts_the_imported_rows(app, province, as_role, upload):
    from survey.reports.compute import build_report, clear_cache
    from survey.reports.filters import ReportFilters

    as_role("admin")
    assert upload(sample("good.csv")).status_code == 200
    clear_cache()
    with app.app_context():
        report = build_report(db.session, ReportFilters(period="2026"), trend=False)
        index = report.current.overall
        assert int(index[index["level"] == "index"]["n"].iloc[0]) == 4


def test_a_file_mode_and_questionnaire_fill_the_rows_that_leave_them_empty(
        app, province, as_role, upload, stored):
    as_role("admin")
    header = "id,survey_date,counter,TC1,TC2," + ",".join(
        c for c in _sipas_items() if c not in ("TC1", "TC2"))
    ids = [str(uuid.uuid4()) for _ in range(2)]
    text = header + "\n" + f"{ids[0]},2026-11-02,SNV-Q1,5,4" + "," * 21 + "\n" + \
        f"{ids[1]},2026-11-03,X-AN1-Q1,3,2" + "," * 21 + "\n"
    response = upload(text, mode="phone", questionnaire="sipas:2")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {r["mode"] for r in _responses(app)} == {"phone"}
    with app.app_context():
        assert db.session.query(Answer).count() == 4


def _sipas_items() -> list[str]:
    return ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1", "CC2", "CC3",
            "CC4", "CC5", "CC6", "KQ1", "KQ2", "KQ3", "GY1", "GY2", "GY3", "GY4", "HL"]
