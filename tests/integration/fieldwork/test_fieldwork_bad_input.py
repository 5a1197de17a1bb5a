"""Every kind of bad file or row is refused with its row (as the spreadsheet numbers it) and
column named, and nothing of the file is stored, whatever the other rows."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import pytest

ITEMS = ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1", "CC2", "CC3",
         "CC4", "CC5", "CC6", "KQ1", "KQ2", "KQ3", "GY1", "GY2", "GY3", "GY4", "HL"]
HEADER = ["id", "survey_date", "counter", "service_area", "mode", "questionnaire", "version",
          "dossier", *ITEMS, "gender"]


def good_row(**changes) -> dict:
    """A row that would be stored; ``changes`` replace cells."""
    row = {name: "" for name in HEADER}
    row.update({"id": str(uuid.uuid4()), "survey_date": "2026-09-01", "counter": "SNV-Q1",
                "mode": "paper", "questionnaire": "sipas", "version": "2", "TC1": "4",
                "TT2": "5", "HL": "4"})
    row.update(changes)
    return row


def csv_text(rows: list[dict], header: list[str] = HEADER) -> str:
    """A CSV of ``rows`` under ``header``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue()


def _bad(changes: dict) -> str:
    """Two good rows, the bad one (row 4 of the sheet), one more good row."""
    return csv_text([good_row(), good_row(), good_row(**changes), good_row()])


TOMORROW = (date.today() + timedelta(days=2)).isoformat()
ROW_CASES = {
    "unknown counter": ({"counter": "Q-KHONG"},
                        "Dòng 4, cột counter: không có quầy nào mang mã “Q-KHONG”"),
    "unknown area": ({"service_area": "THUE"},
                     "Dòng 4, cột service_area: không có lĩnh vực nào mang mã “THUE”"),
    "area not served": ({"service_area": "HOTICH"},
                        ("Dòng 4, cột service_area: quầy “SNV-Q1” không phục vụ lĩnh vực "
                        "“HOTICH”")),
    "area needed": ({"counter": "H-AN-Q1"},
                    "Dòng 4, cột service_area: bắt buộc: quầy “H-AN-Q1” phục vụ nhiều lĩnh vực"),
    "unknown version": ({"version": "9"},
                        ("Dòng 4, cột questionnaire: không có phiếu khảo sát “sipas v9” đã ban "
                        "hành")),
    "value above 5": ({"TC2": "6"}, "Dòng 4, cột TC2: “6” không phải số nguyên từ 1 đến 5"),
    "value zero": ({"HL": "0"}, "Dòng 4, cột HL: “0” không phải số nguyên từ 1 đến 5"),
    "not whole": ({"TC3": "4.5"}, "Dòng 4, cột TC3: “4.5” không phải số nguyên từ 1 đến 5"),
    "formula is text": ({"CC1": "=2+2"},
                        "Dòng 4, cột CC1: “=2+2” không phải số nguyên từ 1 đến 5"),
    "no criterion": ({"TC1": "", "TT2": "", "HL": "5"},
                     "Dòng 4: không có tiêu chí nào được trả lời"),
    "future date": ({"survey_date": TOMORROW},
                    f"Dòng 4, cột survey_date: {TOMORROW} là ngày trong tương lai"),
    "before 2020": ({"survey_date": "2019-12-31"},
                    "Dòng 4, cột survey_date: 2019-12-31 là ngày trước năm 2020"),
    "malformed date": ({"survey_date": "14/08/2026"},
                       "Dòng 4, cột survey_date: “14/08/2026” không phải ngày dạng YYYY-MM-DD"),
    "impossible date": ({"survey_date": "2026-02-30"},
                        "Dòng 4, cột survey_date: “2026-02-30” không phải ngày dạng YYYY-MM-DD"),
    "empty date": ({"survey_date": ""}, "Dòng 4, cột survey_date: bị để trống"),
    "bad uuid": ({"id": "phieu-so-3"}, "Dòng 4, cột id: “phieu-so-3” không phải một UUID"),
    "unknown option": ({"gender": "nam"},
                       "Dòng 4, cột gender: “nam” không phải một lựa chọn của câu hỏi này"),
    "control character": ({"counter": "SNV\x07Q1"},
                          "Dòng 4, cột counter: chứa ký tự điều khiển"),
    "bad mode": ({"mode": "fax"}, "Dòng 4, cột mode: “fax” không phải paper"),
    "long dossier": ({"dossier": "H" * 65}, "Dòng 4, cột dossier: mã hồ sơ dài hơn 64 ký tự"),
}


@pytest.mark.parametrize("case", sorted(ROW_CASES))
def test_a_bad_row_is_named_and_nothing_is_stored(case, province, as_role, upload, stored):
    changes, message = ROW_CASES[case]
    as_role("admin")
    response = upload(_bad(changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Không lưu gì cả. Các lỗi tìm thấy (1):" in html
    assert message in html
    assert stored() == {"responses": 0, "answers": 0, "imports": 0, "audit": 0}


def test_an_id_twice_in_the_file_is_named_with_its_first_row(province, as_role, upload,
                                                             stored):
    as_role("admin")
    twice = str(uuid.uuid4())
    response = upload(csv_text([good_row(), good_row(id=twice), good_row(id=twice)]))
    assert response.status_code == 422
    assert "Dòng 4, cột id: mã này đã có ở dòng 3" in response.get_data(as_text=True)
    assert stored()["responses"] == 0


def test_a_dossier_twice_in_the_file_or_already_evaluated_is_refused(
        app, province, as_role, upload, stored):
    as_role("admin")
    first = upload(csv_text([good_row(dossier="H-2026-7"), good_row()]))
    assert first.status_code == 200
    response = upload(csv_text([good_row(), good_row(dossier="h-2026-7 "),
                                good_row(dossier="X-1"), good_row(dossier="x-1")]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dòng 3, cột dossier: hồ sơ này đã được đánh giá" in html
    assert "Dòng 5, cột dossier: trùng hồ sơ với dòng 4" in html
    assert stored()["responses"] == 2


def test_a_mode_is_needed_from_the_row_or_the_form(province, as_role, upload, stored):
    as_role("admin")
    response = upload(_bad({"mode": ""}))
    assert "Dòng 4, cột mode: bị để trống" in response.get_data(as_text=True)
    assert upload(_bad({"mode": ""}), mode="phone").status_code == 200
    assert stored()["responses"] == 4


HEADER_CASES = {
    "missing": ([n for n in HEADER if n not in ("survey_date", "counter")],
                "Thiếu các cột: survey_date, counter."),
    "missing items": ([n for n in HEADER if n not in ("TC3", "HL")],
                      "Thiếu các cột của sipas v2: TC3, HL."),
    "unknown": (HEADER + ["ghi_chu", "TC99"], "Các cột không được nhận biết: ghi_chu, TC99."),
    "twice": (HEADER + ["TC1"], "Các cột bị lặp lại: TC1."),
}


@pytest.mark.parametrize("case", sorted(HEADER_CASES))
def test_wrong_columns_are_one_problem_before_any_row(case, province, as_role, upload,
                                                      stored):
    header, message = HEADER_CASES[case]
    as_role("admin")
    rows = [good_row(), good_row(counter="Q-KHONG")]
    response = upload(csv_text(rows, header))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Không lưu gì cả. Các lỗi tìm thấy (1):" in html
    assert message in html
    assert "Dòng" not in html.split("import-problems", 1)[1].split("</div>", 1)[0]
    assert stored()["responses"] == 0


FILE_CASES = {
    "not utf-8": ("id,survey_date\n\xe9".encode("latin-1"), "Tệp không phải văn bản UTF-8."),
    "empty": (b"", "Tệp không có dòng dữ liệu nào."),
    "header only": (csv_text([]).encode(), "Tệp không có dòng dữ liệu nào."),
    "broken workbook": (b"PK\x03\x04 not really a workbook",
                        "Tệp không phải tệp CSV hay sổ tính XLSX đọc được."),
    "extra cells": ((csv_text([good_row()]).rstrip("\r\n") + ",surplus\r\n").encode(),
                    "Dòng 2: dòng có nhiều ô hơn số cột của dòng tiêu đề"),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_an_unreadable_file_is_refused_with_a_clear_message(case, province, as_role, upload,
                                                            stored):
    data, message = FILE_CASES[case]
    as_role("admin")
    response = upload(data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored()["responses"] == 0


def test_more_rows_than_the_limit_are_refused(province, as_role, upload, stored,
                                              monkeypatch):
    from survey.fieldwork import reading

    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    as_role("admin")
    response = upload(csv_text([good_row() for _ in range(4)]))
    assert response.status_code == 422
    assert "Tệp có hơn 3 dòng: hãy chia thành nhiều tệp." in response.get_data(as_text=True)
    assert stored()["responses"] == 0


def test_a_file_over_the_size_limit_gets_a_clear_page(app, province, as_role, upload, stored):
    as_role("admin")
    app.config["MAX_CONTENT_LENGTH"] = 200 * 1024  # the test client spools 500 kB and more
    rows = [good_row() for _ in range(3000)]
    response = upload(csv_text(rows))
    assert response.status_code == 413
    assert "Tệp lớn hơn 0,2 MB: hãy chia thành nhiều tệp." in response.get_data(as_text=True)
    assert stored()["responses"] == 0


def test_many_problems_show_the_first_two_hundred_and_count_the_rest(
        province, as_role, upload, stored):
    as_role("admin")
    response = upload(csv_text([good_row(counter="Q-KHONG") for _ in range(230)]))
    html = response.get_data(as_text=True)
    assert "Không lưu gì cả. Các lỗi tìm thấy (230):" in html
    assert html.count("không có quầy nào mang mã") == 200
    assert "… và 30 lỗi khác." in html
    assert stored()["responses"] == 0


def test_a_workbook_formula_is_read_as_its_text_never_computed(province, as_role, upload,
                                                               stored):
    from openpyxl import Workbook

    as_role("admin")
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for changes in ({}, {"TC2": "=1+3"}, {"counter": "=HYPERLINK(\"http://x\",\"SNV-Q1\")"}):
        row = good_row(**changes)
        sheet.append([row[name] or None for name in HEADER])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(buffer.getvalue(), name="cong-thuc.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dòng 3, cột TC2: “=1+3” không phải số nguyên từ 1 đến 5" in html
    assert "Dòng 4, cột counter: không có quầy nào mang mã “=HYPERLINK(" in html
    assert stored()["responses"] == 0
