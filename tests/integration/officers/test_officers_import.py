"""The CSV that attaches officers to responses by dossier code: a good file, every kind of bad
line with its number and nothing changed, an idempotent re-import, replaced officers, the
command line."""
from __future__ import annotations

import io

import pytest

from survey.models import AuditEvent, Response

GOOD = ("\ufeffdossier_code,officer_code\r\n"
        "H-2026-0001,CB01\r\n"
        " h-2026-0002 ,CB02\r\n"
        "X-2026-0001,CB01\r\n"
        "H-2026-0004,CB01\r\n"
        "\r\n"
        "H-2026-0001,CB01\r\n")


@pytest.fixture
def dossiers(make_officer, make_response):
    """Responses with dossier codes at the district, its commune and the province; officers
    CB01, CB02 (district), CB03 (province), CB-OLD (district, inactive). H-2026-0004 already
    carries CB02."""
    officers = {code: make_officer(code, agency, active=code != "CB-OLD") for code, agency in (
        ("CB01", "H-AN"), ("CB02", "H-AN"), ("CB03", "SNV"), ("CB-OLD", "H-AN"))}
    responses = {code: make_response(counter, dossier=code,
                                     officer_id=officers["CB02"] if code.endswith("4") else None)
                 for code, counter in (("H-2026-0001", "H-AN-Q1"), ("H-2026-0002", "H-AN-Q1"),
                                       ("H-2026-0003", "H-AN-Q1"), ("H-2026-0004", "H-AN-Q1"),
                                       ("X-2026-0001", "X-AN1-Q1"), ("S-2026-0001", "SNV-Q1"))}
    make_response("H-AN-Q1")
    return officers, responses


def _officer_ids(in_db) -> dict[int, int | None]:
    return in_db(lambda s: dict(s.query(Response.id, Response.officer_id).all()))


def _upload(submit, text: str | bytes, name: str = "can-bo.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return submit("/officers/import", {"assignments": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")


def test_a_good_file_attaches_the_officers_and_says_what_it_replaced(
        client, dossiers, as_role, submit, in_db, audit_events):
    officers, responses = dossiers
    user_id = as_role("admin")
    response = _upload(submit, GOOD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Đã nhập 5 dòng: 4 phiếu được gắn cán bộ, 0 phiếu đã có sẵn cán bộ này." in html
    assert "Dòng 5: hồ sơ “H-2026-0004”: cán bộ CB02 được thay bằng CB01" in html
    ids = _officer_ids(in_db)
    assert ids[responses["H-2026-0001"]] == officers["CB01"]
    assert ids[responses["H-2026-0002"]] == officers["CB02"]
    assert ids[responses["X-2026-0001"]] == officers["CB01"]
    assert ids[responses["H-2026-0004"]] == officers["CB01"]
    assert ids[responses["H-2026-0003"]] is None and ids[responses["S-2026-0001"]] is None
    assert sum(v is not None for v in ids.values()) == 4
    (event,) = audit_events("import", "officer_assignment")
    assert event["user_id"] == user_id and event["after"]["file"] == "can-bo.csv"
    assert (event["after"]["changed"], event["after"]["unchanged"],
            event["after"]["replaced"]) == (4, 0, 1)
    assert "H-2026-0001" not in str(event)


def test_importing_the_same_file_again_changes_nothing(client, dossiers, as_role, submit,
                                                       in_db, audit_events):
    as_role("admin")
    _upload(submit, GOOD)
    before = _officer_ids(in_db)
    html = _upload(submit, GOOD).get_data(as_text=True)
    assert "Đã nhập 5 dòng: 0 phiếu được gắn cán bộ, 4 phiếu đã có sẵn cán bộ này." in html
    assert "được thay bằng" not in html
    assert _officer_ids(in_db) == before
    assert [e["after"]["changed"] for e in audit_events("import")] == [4, 0]


BAD = ("dossier_code,officer_code\n"
       "H-2026-0001,CB01,extra\n"            # 2 malformed
       ",CB01\n"                             # 3 empty dossier
       "H-2026-0001,\n"                      # 4 empty officer
       "H-\x01-0001,CB01\n"                  # 5 control character
       "NOPE-1,CB01\n"                       # 6 unknown dossier
       "H-2026-0001,NOBODY\n"                # 7 unknown officer
       "H-2026-0002,CB-OLD\n"                # 8 inactive officer
       "S-2026-0001,CB01\n"                  # 9 response of another agency
       "H-2026-0003,CB01\n"                  # 10 fine alone
       "h-2026-0003,CB02\n"                  # 11 same dossier, another officer
       f"{'H' * 65},CB01\n"                  # 12 too long
       "H-2026-0002,CB\x00X\n"               # 13 NUL in the officer code
       "X-2026-0001,CB01\n")                 # 14 fine


def test_every_bad_line_is_reported_by_number_and_nothing_is_written(
        client, dossiers, as_role, submit, in_db, audit_events):
    as_role("admin")
    before = _officer_ids(in_db)
    response = _upload(submit, BAD)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Chưa nhập gì. Các lỗi tìm thấy (11):" in html
    expected = [
        "Dòng 2: dòng sai định dạng: cần đúng hai giá trị",
        "Dòng 3: mã hồ sơ bị để trống",
        "Dòng 4: mã cán bộ bị để trống",
        "Dòng 5: mã hồ sơ chứa ký tự điều khiển hoặc quá dài",
        "Dòng 6: không có phiếu nào của hồ sơ mã “NOPE-1”",
        "Dòng 7: không có cán bộ nào có mã “NOBODY”",
        "Dòng 8: cán bộ “CB-OLD” đã ngừng hoạt động",
        ("Dòng 9: cán bộ “CB01” không thuộc cơ quan, đơn vị của phiếu đánh giá hồ sơ "
         "“S-2026-0001”"),
        "Dòng 11: hồ sơ “h-2026-0003” đã có ở dòng 10 với một cán bộ khác",
        "Dòng 12: mã hồ sơ chứa ký tự điều khiển hoặc quá dài",
        "Dòng 13: mã cán bộ chứa ký tự điều khiển hoặc quá dài"]
    positions = [html.index(text) for text in expected]
    assert positions == sorted(positions)
    assert "Dòng 10:" not in html and "Dòng 14:" not in html and "Dòng 1:" not in html
    assert _officer_ids(in_db) == before
    assert audit_events("import") == []


@pytest.mark.parametrize("content, message", [
    ("dossier,officer\nH-2026-0001,CB01\n", "Dòng 1: dòng tiêu đề phải là"),
    ("dossier_code,officer_code\n", "Tệp không có dòng dữ liệu nào."),
    ("", "Tệp không có dòng dữ liệu nào."),
    (b"dossier_code,officer_code\nH-2026-0001,C\xe1\n", "Tệp không phải văn bản UTF-8."),
    ('dossier_code,officer_code\n"H-2026-0001,CB01\n', "Dòng 2: dòng sai định dạng"),
])
def test_a_file_that_cannot_be_read_is_refused(client, dossiers, as_role, submit, in_db,
                                               content, message):
    as_role("admin")
    before = _officer_ids(in_db)
    response = _upload(submit, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _officer_ids(in_db) == before


def test_the_upload_needs_a_csv_file_and_the_template_downloads(client, dossiers, as_role,
                                                                submit):
    as_role("admin")
    response = _upload(submit, GOOD, name="can-bo.exe")
    assert response.status_code == 422
    template = client.get("/officers/import/template.csv")
    assert template.status_code == 200
    assert template.get_data(as_text=True).lstrip("\ufeff").startswith(
        "dossier_code,officer_code\r\n")


def test_the_command_line_imports_and_refuses_like_the_page(app, runner, dossiers, in_db,
                                                            tmp_path):
    officers, responses = dossiers
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    result = runner.invoke(args=["sipas", "import-officers", str(bad)])
    assert result.exit_code == 1
    output = result.output + getattr(result, "stderr", "")
    assert "line 6: no response has the dossier code 'NOPE-1'" in output
    assert "line 11: dossier 'h-2026-0003' is already on line 10" in output
    assert sum(v is not None for v in _officer_ids(in_db).values()) == 1
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["sipas", "import-officers", str(good)])
    assert result.exit_code == 0, result.output
    assert "4 responses changed" in result.output
    assert "line 5: officer CB02 replaced by CB01" in result.output
    assert _officer_ids(in_db)[responses["H-2026-0002"]] == officers["CB02"]
    again = runner.invoke(args=["sipas", "import-officers", str(good)])
    assert "0 responses changed, 4 already had their officer" in again.output
    events = in_db(lambda s: s.query(AuditEvent).filter_by(action="import").count())
    assert events == 2
