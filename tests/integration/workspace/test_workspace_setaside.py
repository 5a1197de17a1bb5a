"""Loading a kiosk's set-aside sheets from the workspace: roles, CSRF, counts, bad files."""
from __future__ import annotations

import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from survey.admin import setaside
from survey.models import Response

URL = "/admin/set-aside"


@pytest.fixture
def sheet(province):
    """A valid kiosk answer sheet, as the kiosk queues and exports it."""

    def make(counter: str = "SNV-Q1", **overrides) -> dict:
        now = datetime.now(UTC)
        payload = {"id": str(uuid.uuid4()), "counter": province.tokens[counter],
                   "questionnaire": "sipas", "channel": "kiosk", "service_area": None,
                   "answers": {"TC1": 4, "TT1": 5, "HL": 4}, "profile": {},
                   "started_at": (now - timedelta(seconds=90)).isoformat(),
                   "submitted_at": now.isoformat(), "locale": "vi", "client_id": "tablet-1"}
        payload.update(overrides)
        return payload

    return make


def _upload(submit, content: bytes | str, name: str = "sipas-set-aside.json"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return submit(URL, {"sheets": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _count(html: str, name: str) -> int:
    match = re.search(rf'data-testid="{name}">(\d+)<', html)
    assert match, f"no {name} count in the page"
    return int(match.group(1))


def _counts(html: str) -> tuple[int, int, int]:
    return _count(html, "created"), _count(html, "existing"), _count(html, "refused")


def test_created_duplicate_and_refused_sheets_are_counted(client, as_role, submit, sheet,
                                                          in_db, audit_events):
    as_role("analyst")
    good, other = sheet(), sheet("X-AN1-Q1")
    stored_before = client.post("/api/v1/responses", json=other)
    assert stored_before.status_code == 201
    bad_answer = sheet(answers={"TC1": 9})
    sheets = [good, other, bad_answer, {**sheet(), "counter": "no-such-counter"}, "not a sheet",
              good]
    response = _upload(submit, json.dumps(sheets))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _counts(html) == (1, 2, 3)
    assert "câu trả lời không hợp lệ" in html and "TC1" in html
    assert "không có quầy nào mang mã này" in html
    assert "không phải một phiếu trả lời" in html
    assert bad_answer["id"] in html
    ids = in_db(lambda s: sorted(str(r.uuid) for r in s.query(Response)))
    assert ids == sorted([good["id"], other["id"]])
    event = audit_events("import", "response")[0]
    assert event["after"]["created"] == [good["id"]]
    assert event["after"]["already_stored"] == 2
    assert [r["index"] for r in event["after"]["refused"]] == [3, 4, 5]


def test_loading_the_same_file_twice_stores_nothing_new(client, as_role, submit, sheet, in_db):
    as_role("admin")
    text = json.dumps([sheet(), sheet(), sheet("H-AN-Q1", service_area="XAYDUNG")])
    first = _upload(submit, text).get_data(as_text=True)
    assert _counts(first) == (3, 0, 0)
    second = _upload(submit, text).get_data(as_text=True)
    assert _counts(second) == (0, 3, 0)
    assert in_db(lambda s: s.query(Response).count()) == 3


def test_a_sheet_with_a_known_id_is_never_stored_twice_even_if_changed(client, as_role, submit,
                                                                         sheet, in_db):
    as_role("analyst")
    original = sheet()
    assert client.post("/api/v1/responses", json=original).status_code == 201
    changed = {**original, "answers": {"TC1": 1}}
    html = _upload(submit, json.dumps([changed])).get_data(as_text=True)
    assert _counts(html) == (0, 1, 0)
    assert in_db(lambda s: s.query(Response).count()) == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "Tệp không phải JSON"),
    (b"\xff\xfe\x00bad", "Tệp không phải văn bản UTF-8."),
    (b'{"id": "x"}', "Tệp phải chứa một danh sách phiếu trả lời"),
    (b"[]", "Tệp không có phiếu trả lời nào"),
    (b"[" + b"[" * 100000 + b"]" * 100000 + b"]", None),
])
def test_bad_files_get_a_clear_message_and_store_nothing(client, as_role, submit, in_db,
                                                          content, message):
    as_role("analyst")
    response = _upload(submit, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Chưa lưu gì." in html
    if message:
        assert message in html
    assert in_db(lambda s: s.query(Response).count()) == 0


def test_too_big_and_too_many(client, as_role, submit, sheet, monkeypatch, in_db):
    as_role("analyst")
    assert "Tệp quá lớn: tối đa 2 MB." in setaside_message(client, setaside.MAX_FILE_BYTES + 1)
    # A smaller limit keeps the upload in memory (the test client spools big bodies to disk).
    monkeypatch.setattr(setaside, "MAX_FILE_BYTES", 256 * 1024)
    big = json.dumps([sheet()] + ["x" * 1024] * 300)
    response = _upload(submit, big)
    assert response.status_code == 422
    assert "Tệp quá lớn: tối đa 0,25 MB." in response.get_data(as_text=True)
    assert in_db(lambda s: s.query(Response).count()) == 0
    monkeypatch.setattr(setaside, "MAX_SHEETS", 2)
    response = _upload(submit, json.dumps([sheet(), sheet(), sheet()]))
    assert response.status_code == 422
    assert "Tệp có 3 phiếu: mỗi lần chỉ nạp được tối đa 2 phiếu." in response.get_data(
        as_text=True)


def setaside_message(client, size: int) -> str:
    """The message ``read_sheets`` gives for a file of ``size`` bytes, in Vietnamese."""
    with client.application.test_request_context("/admin/set-aside"):
        return setaside.read_sheets(io.BytesIO(b" " * size))[1]


def test_no_file_chosen(client, as_role, submit):
    as_role("analyst")
    response = submit(URL, {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Xin chọn tệp do máy tính bảng xuất ra." in response.get_data(as_text=True)


def test_the_page_shows_in_vietnamese_with_the_upload_form(client, as_role):
    as_role("analyst")
    html = client.get(URL).get_data(as_text=True)
    assert "Phiếu để riêng từ máy tính bảng" in html
    assert 'name="csrf_token"' in html and 'type="file"' in html
    assert 'href="/admin/set-aside"' in html


def test_agency_viewers_and_anonymous_people_cannot_load_sheets(client, as_role, sheet,
                                                                session_token, in_db):
    response = client.get(URL)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    as_role("agency_viewer", "H-AN")
    assert client.get(URL).status_code == 403
    data = {"csrf_token": session_token(),
            "sheets": (io.BytesIO(json.dumps([sheet()]).encode()), "s.json")}
    response = client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 403
    assert in_db(lambda s: s.query(Response).count()) == 0


def test_a_post_without_csrf_token_is_refused(client, as_role, sheet, in_db):
    as_role("admin")
    data = {"sheets": (io.BytesIO(json.dumps([sheet()]).encode()), "s.json")}
    response = client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Phiếu này đã hết hạn" in response.get_data(as_text=True)
    assert in_db(lambda s: s.query(Response).count()) == 0
