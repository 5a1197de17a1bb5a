"""The questionnaire editor: a new version started from the current one, changed in the form
(wording, criteria and elements added, removed and moved), previewed and published through the
validator; bad and hostile input refused with every problem and nothing published; the JSON
download; who may use it.

Each test drives the page as a browser does: it reads the form's fields from the HTML, changes
some and posts them back with the button pressed (``action``).
"""
from __future__ import annotations

import copy
import io
import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from survey import questionnaires as qdefs
from survey.models import AuditEvent, Questionnaire


class _EditorFields(HTMLParser):
    """The fields the editor's form would send: inputs, checked boxes and text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = (attrs.get("action") or "").endswith("/edit")
        elif self._in_form and tag == "input" and attrs.get("name"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.fields[attrs["name"]] = attrs.get("value") or "y"
            else:
                self.fields[attrs["name"]] = attrs.get("value") or ""
        elif self._in_form and tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea" and self._textarea:
            # A browser drops the line break that follows <textarea>.
            value = self.fields[self._textarea]
            self.fields[self._textarea] = value.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str) -> dict[str, str]:
    """The editor form's fields on a page, as a browser would post them."""
    parser = _EditorFields()
    parser.feed(html)
    assert "csrf_token" in parser.fields, "no editor form on the page"
    return parser.fields


@pytest.fixture
def latest(in_db):
    """The newest published version of a code: (id, version, definition)."""

    def get(code: str = "sipas") -> tuple[int, int, dict]:
        def load(session):
            q = (session.query(Questionnaire).filter_by(code=code)
                 .order_by(Questionnaire.version.desc()).first())
            return q.id, q.version, copy.deepcopy(q.definition)
        return in_db(load)

    return get


@pytest.fixture
def count(in_db):
    """How many questionnaire versions are stored."""
    return lambda: in_db(lambda s: s.query(Questionnaire).count())


@pytest.fixture
def editor(client, latest):
    """Open the editor on the newest ``sipas``; ``press`` posts the fields with a button."""

    class Editor:
        def __init__(self) -> None:
            self.base_id, self.base_version, self.base = latest()
            self.url = f"/admin/questionnaires/{self.base_id}/edit"
            self.fields: dict[str, str] = {}

        def open(self):
            response = client.get(self.url)
            assert response.status_code == 200
            self.fields = form_fields(response.get_data(as_text=True))
            return response

        def press(self, action: str, **changes: str):
            data = {**self.fields, **changes, "action": action}
            response = client.post(self.url, data=data)
            if response.status_code in (200, 422):
                self.fields = form_fields(response.get_data(as_text=True))
            return response

    return Editor()


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_editor_starts_from_the_current_version(client, as_role, editor):
    as_role("admin")
    html = _html(editor.open())
    fields = editor.fields
    assert "Phiên bản mới của sipas" in html
    assert f"Kiểm tra và công bố phiên bản {editor.base_version + 1}" in html
    assert fields["title_vi"] == editor.base["title"]["vi"]
    assert fields["intro_en"] == editor.base["intro"]["en"]
    codes = [fields[f"elements-{i}-criteria-{j}-code"]
             for i, e in enumerate(editor.base["elements"]) for j in range(len(e["criteria"]))]
    assert codes == qdefs.criterion_codes(editor.base)
    assert fields["elements-0-weight"] == "1"
    assert fields["overall_code"] == "HL"


def test_change_wording_add_remove_reorder_and_publish_gives_exactly_that_definition(
        client, as_role, editor, count, in_db, audit_events):
    user_id = as_role("admin")
    editor.open()
    before = count()
    base = editor.base
    new_title = {"vi": "Khảo sát hài lòng (bản sửa)", "en": "Satisfaction survey (edited)"}
    # Wording, a weight with a decimal comma, the overall question.
    editor.fields.update({"title_vi": new_title["vi"], "title_en": new_title["en"],
                          "elements-0-weight": "2,5",
                          "overall_vi": "Nhìn chung, ông/bà hài lòng thế nào?",
                          "overall_en": "Overall, how satisfied are you?"})
    assert editor.press("remove-criterion-0-1").status_code == 200        # TC2 goes
    assert editor.press("up-criterion-1-2").status_code == 200            # TT3 above TT2
    assert editor.press("add-criterion-4").status_code == 200             # a new GY criterion
    new = f"elements-4-criteria-{len(base['elements'][4]['criteria'])}"
    assert editor.fields[f"{new}-code"] == f"GY{len(base['elements'][4]['criteria']) + 1}"
    editor.fields.update({f"{new}-code": "GY9", f"{new}-label_vi": "Góp ý trực tuyến",
                          f"{new}-label_en": "Online feedback",
                          f"{new}-question_vi": "Ông/Bà hài lòng thế nào với việc góp ý trực tuyến?",
                          f"{new}-question_en": "How satisfied are you with online feedback?",
                          f"{new}-required": "y"})
    assert editor.press("down-element-0").status_code == 200              # TC after TT
    # The draft lives in the form: nothing is stored before publishing.
    assert count() == before
    response = editor.press("publish")
    assert response.status_code == 302, _html(response)
    assert count() == before + 1

    expected = copy.deepcopy(base)
    expected["version"] = editor.base_version + 1
    expected["title"] = new_title
    expected["overall"]["question"] = {"vi": "Nhìn chung, ông/bà hài lòng thế nào?",
                                       "en": "Overall, how satisfied are you?"}
    tc, tt, cc, kq, gy = expected["elements"]
    tc["weight"] = 2.5
    del tc["criteria"][1]
    tt["criteria"][1], tt["criteria"][2] = tt["criteria"][2], tt["criteria"][1]
    gy["criteria"].append({"code": "GY9",
                           "label": {"vi": "Góp ý trực tuyến", "en": "Online feedback"},
                           "question": {"vi": "Ông/Bà hài lòng thế nào với việc góp ý trực tuyến?",
                                        "en": "How satisfied are you with online feedback?"},
                           "required": True})
    expected["elements"] = [tt, tc, cc, kq, gy]

    def stored(session):
        q = session.query(Questionnaire).filter_by(code="sipas",
                                                   version=expected["version"]).one()
        return q.id, q.title, q.checksum, copy.deepcopy(q.definition)
    new_id, title, checksum, definition = in_db(stored)
    assert definition == expected
    assert [e["code"] for e in definition["elements"]] == ["TT", "TC", "CC", "KQ", "GY"]
    assert [c["code"] for c in definition["elements"][1]["criteria"]] == ["TC1", "TC3", "TC4"]
    assert [c["code"] for c in definition["elements"][0]["criteria"]][:3] == ["TT1", "TT3", "TT2"]
    assert title == new_title["vi"] and checksum == qdefs.checksum(expected)
    assert qdefs.required_codes(definition) == ["GY9"]
    # The version it started from is untouched.
    old = in_db(lambda s: copy.deepcopy(s.get(Questionnaire, editor.base_id).definition))
    assert old == base
    event = audit_events("publish", "questionnaire")[-1]
    assert event["user_id"] == user_id and event["entity_id"] == str(new_id)
    assert event["after"]["version"] == expected["version"]
    assert event["after"]["from_version"] == editor.base_version
    assert event["after"]["source"] == "editor"
    listing = _html(client.get("/admin/questionnaires"))
    assert f"Đã công bố sipas phiên bản {expected['version']}." in listing

    download = client.get(f"/admin/questionnaires/{new_id}.json")
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="sipas-v{expected["version"]}.json"')
    assert json.loads(download.get_data(as_text=True)) == definition


def test_every_version_can_be_downloaded_as_its_stored_definition(client, as_role, in_db):
    as_role("analyst")
    rows = in_db(lambda s: [(q.id, q.code, q.version, copy.deepcopy(q.definition))
                            for q in s.query(Questionnaire)])
    assert len(rows) >= 2
    for qid, code, version, definition in rows:
        response = client.get(f"/admin/questionnaires/{qid}.json")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert f'filename="{code}-v{version}.json"' in response.headers["Content-Disposition"]
        assert json.loads(response.get_data(as_text=True)) == definition
    assert client.get("/admin/questionnaires/999999.json").status_code == 404


def test_the_list_links_preview_download_and_new_version(client, as_role, latest):
    as_role("admin")
    qid, _version, _definition = latest()
    html = _html(client.get("/admin/questionnaires"))
    assert f"/admin/questionnaires/{qid}.json" in html
    assert f"/admin/questionnaires/{qid}/edit" in html
    assert "Soạn phiên bản mới từ bản này" in html


def test_a_downloaded_definition_is_accepted_back_as_a_new_version(client, as_role, latest,
                                                                  submit, count):
    as_role("admin")
    qid, version, _definition = latest()
    definition = json.loads(client.get(f"/admin/questionnaires/{qid}.json").get_data(as_text=True))
    definition["version"] = version + 1
    before = count()
    response = submit("/admin/questionnaires", {"definition": (
        io.BytesIO(json.dumps(definition, ensure_ascii=False).encode()), "next.json")},
        content_type="multipart/form-data")
    assert response.status_code == 302 and count() == before + 1


def test_preview_shows_the_draft_as_citizens_see_it_without_publishing(client, as_role, editor,
                                                                      count):
    as_role("admin")
    editor.open()
    before = count()
    editor.fields["elements-0-criteria-0-question_vi"] = "Câu hỏi mới về chỗ ngồi?"
    editor.fields["elements-0-criteria-0-question_en"] = "A new question about seats?"
    vi = editor.press("preview-vi")
    html = _html(vi)
    assert vi.status_code == 200
    assert "Xem trước bản nháp (chưa công bố)" in html
    assert "Câu hỏi mới về chỗ ngồi?" in html and 'lang="vi"' in html
    assert "Rất hài lòng" in html and "disabled" in html
    # The draft survives the preview: the form still holds it.
    assert editor.fields["elements-0-criteria-0-question_vi"] == "Câu hỏi mới về chỗ ngồi?"
    en = _html(editor.press("preview-en"))
    assert "A new question about seats?" in en and "Very satisfied" in en
    assert count() == before


def test_preview_of_a_broken_draft_lists_its_problems(client, as_role, editor):
    as_role("admin")
    editor.open()
    response = editor.press("preview-vi", **{"elements-0-label_vi": ""})
    html = _html(response)
    assert response.status_code == 200
    assert "Bản nháp này chưa công bố được" in html
    assert "elements[0].label.vi: thiếu văn bản tiếng Việt" in html
    assert 'href="#elements-0-label_vi"' in html


def test_moving_a_criterion_past_the_end_of_its_element_moves_it_to_the_next(
        client, as_role, editor):
    as_role("admin")
    editor.open()
    last = len(editor.base["elements"][0]["criteria"]) - 1
    code = editor.fields[f"elements-0-criteria-{last}-code"]
    editor.press(f"down-criterion-0-{last}")
    assert editor.fields["elements-1-criteria-0-code"] == code
    editor.press("up-criterion-1-0")
    assert editor.fields[f"elements-0-criteria-{last}-code"] == code


def test_add_and_remove_an_element(client, as_role, editor, count, in_db):
    as_role("admin")
    editor.open()
    before = count()
    n = len(editor.base["elements"])
    editor.press("add-element")
    assert editor.fields[f"elements-{n}-weight"] == "1"
    assert f"elements-{n}-criteria-0-code" in editor.fields
    editor.fields.update({f"elements-{n}-code": "SO", f"elements-{n}-weight": "0.5",
                          f"elements-{n}-label_vi": "Dịch vụ số",
                          f"elements-{n}-label_en": "Digital services",
                          f"elements-{n}-criteria-0-code": "SO1",
                          f"elements-{n}-criteria-0-label_vi": "Nộp hồ sơ trực tuyến",
                          f"elements-{n}-criteria-0-label_en": "Applying online",
                          f"elements-{n}-criteria-0-question_vi": "Ông/Bà hài lòng thế nào với việc nộp hồ sơ trực tuyến?",
                          f"elements-{n}-criteria-0-question_en": "How satisfied are you with applying online?"})
    editor.press("remove-element-0")
    assert editor.press("publish").status_code == 302
    assert count() == before + 1
    definition = in_db(lambda s: copy.deepcopy(s.query(Questionnaire).filter_by(
        code="sipas", version=editor.base_version + 1).one().definition))
    assert [e["code"] for e in definition["elements"]] == [
        *[e["code"] for e in editor.base["elements"][1:]], "SO"]
    assert definition["elements"][-1] == {
        "code": "SO", "weight": 0.5, "label": {"vi": "Dịch vụ số", "en": "Digital services"},
        "criteria": [{"code": "SO1",
                      "label": {"vi": "Nộp hồ sơ trực tuyến", "en": "Applying online"},
                      "question": {"vi": "Ông/Bà hài lòng thế nào với việc nộp hồ sơ trực tuyến?",
                                   "en": "How satisfied are you with applying online?"},
                      "required": False}]}


def test_the_2023_form_keeps_its_element_overall_questions(client, as_role, latest, in_db):
    as_role("admin")
    qid, version, base = latest("sipas-2023")
    url = f"/admin/questionnaires/{qid}/edit"
    fields = form_fields(_html(client.get(url)))
    assert fields["elements-0-overall_code"] == base["elements"][0]["overall"]["code"]
    fields["elements-0-overall_en"] = "Overall, how satisfied are you with access?"
    response = client.post(url, data={**fields, "action": "publish"})
    assert response.status_code == 302, _html(response)
    stored = in_db(lambda s: copy.deepcopy(s.query(Questionnaire).filter_by(
        code="sipas-2023", version=version + 1).one().definition))
    expected = copy.deepcopy(base)
    expected["version"] = version + 1
    expected["elements"][0]["overall"]["question"]["en"] = (
        "Overall, how satisfied are you with access?")
    assert stored == expected


def test_a_published_version_stays_as_it_is_editing_always_makes_a_new_one(
        client, as_role, editor, latest, in_db, count):
    as_role("admin")
    editor.open()
    first = editor.base_version
    editor.fields["title_en"] = "First edit"
    assert editor.press("publish").status_code == 302
    # Starting again from the same (older) version gives the next number, never a rewrite.
    assert f"Kiểm tra và công bố phiên bản {first + 2}" in _html(editor.open())
    editor.fields["title_en"] = "Second edit"
    assert editor.press("publish").status_code == 302
    versions = in_db(lambda s: {q.version: q.definition["title"]["en"]
                                for q in s.query(Questionnaire).filter_by(code="sipas")})
    assert versions[first] == editor.base["title"]["en"]
    assert versions[first + 1] == "First edit" and versions[first + 2] == "Second edit"


def test_publishing_an_unchanged_draft_is_refused(client, as_role, editor, count, audit_events):
    as_role("admin")
    editor.open()
    before = count()
    response = editor.press("publish")
    assert response.status_code == 422
    assert f"Không có gì thay đổi so với phiên bản {editor.base_version}" in _html(response)
    assert count() == before and audit_events("publish") == []


# --- bad input: refused with every problem listed, nothing published ---------------------------

BAD_INPUT = {
    "duplicate criterion code": (
        {"elements-1-criteria-0-code": "TC1"},
        ["elements[1].criteria[0].code: mã 'TC1' bị trùng"]),
    "duplicate element code": (
        {"elements-1-code": "TC"},
        ["elements[1].code: mã 'TC' bị trùng"]),
    "criterion without Vietnamese question": (
        {"elements-0-criteria-0-question_vi": "   "},
        ["elements[0].criteria[0].question.vi: thiếu văn bản tiếng Việt"]),
    "criterion without Vietnamese label": (
        {"elements-2-criteria-1-label_vi": ""},
        ["elements[2].criteria[1].label.vi: thiếu văn bản tiếng Việt"]),
    "zero weight": ({"elements-0-weight": "0"},
                    ["elements[0].weight: trọng số phải là số dương"]),
    "negative weight": ({"elements-1-weight": "-1"},
                        ["elements[1].weight: trọng số phải là số dương"]),
    "weight not a number": ({"elements-0-weight": "một"},
                            ["elements[0].weight: trọng số phải là số dương"]),
    "empty weight": ({"elements-0-weight": ""}, ["elements[0].weight: trọng số phải là số dương"]),
    "NaN weight": ({"elements-0-weight": "nan"}, ["elements[0].weight: trọng số phải là số dương"]),
    "infinite weight": ({"elements-0-weight": "inf"},
                        ["elements[0].weight: trọng số phải là số dương"]),
    "missing code": ({"elements-0-criteria-0-code": ""},
                     ["elements[0].criteria[0].code: thiếu mã"]),
    "overall question without Vietnamese": ({"overall_vi": ""},
                                            ["overall.question.vi: thiếu văn bản tiếng Việt"]),
    "several problems at once": (
        {"elements-1-criteria-0-code": "TC1", "elements-0-weight": "-2",
         "elements-0-criteria-0-question_vi": "", "title_en": ""},
        ["elements[1].criteria[0].code: mã 'TC1' bị trùng",
         "elements[0].weight: trọng số phải là số dương",
         "elements[0].criteria[0].question.vi: thiếu văn bản tiếng Việt",
         "title.en: thiếu văn bản tiếng Anh"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_with_every_problem_and_nothing_is_published(
        case, client, as_role, editor, count, audit_events):
    changes, messages = BAD_INPUT[case]
    as_role("admin")
    editor.open()
    before = count()
    response = editor.press("publish", **changes)
    html = unescape(_html(response))
    assert response.status_code == 422
    assert "Chưa công bố gì. Các lỗi tìm thấy" in html
    for message in messages:
        assert message in html, message
    assert f"Các lỗi tìm thấy ({len(messages)})" in html
    assert count() == before
    assert audit_events("publish") == []
    # The draft is kept: the fields still hold what was typed.
    for name, value in changes.items():
        assert editor.fields[name] == value.strip()


def test_an_element_with_no_criterion_is_refused(client, as_role, editor, count, audit_events):
    as_role("admin")
    editor.open()
    before = count()
    for _criterion in editor.base["elements"][3]["criteria"]:
        assert editor.press("remove-criterion-3-0").status_code == 200
    assert "Yếu tố này chưa có tiêu chí nào" in _html(editor.press("preview-vi"))
    response = editor.press("publish")
    html = _html(response)
    assert response.status_code == 422
    assert "elements[3].criteria: cần ít nhất một tiêu chí" in html
    assert 'href="#elements-3"' in html
    assert count() == before and audit_events("publish") == []


def test_removing_every_element_is_refused(client, as_role, editor, count):
    as_role("admin")
    editor.open()
    before = count()
    for _element in editor.base["elements"]:
        editor.press("remove-element-0")
    assert "Phiếu khảo sát chưa có yếu tố nào" in _html(editor.press("preview-vi"))
    response = editor.press("publish")
    assert response.status_code == 422
    assert "elements: cần ít nhất một yếu tố" in _html(response)
    assert count() == before


HOSTILE = {
    "NUL byte in the title": (
        {"title_vi": "Khảo sát\x00"}, "title.vi: có ký tự điều khiển"),
    "NUL byte in a code": (
        {"elements-0-criteria-0-code": "TC\x001"}, "elements[0].criteria[0].code: mã"),
    "10 kB question": (
        {"elements-0-criteria-0-question_vi": "Ô" * 10_000},
        "elements[0].criteria[0].question.vi: dài quá 500 ký tự"),
    "10 kB title": ({"title_en": "x" * 10_000}, "title.en: dài quá 300 ký tự"),
    "10 kB code": ({"elements-0-code": "A" * 10_000}, "elements[0].code: mã 'AAAAAAAAAAAA"),
    "10 kB weight": ({"elements-0-weight": "9" * 10_000},
                     "elements[0].weight: trọng số phải là số dương"),
    "formula in a label": (
        {"elements-0-criteria-0-label_en": '=HYPERLINK("http://evil.example","x")'},
        "elements[0].criteria[0].label.en: không được bắt đầu bằng ="),
    "formula in the overall question": (
        {"overall_vi": "@SUM(1+1)*cmd|' /C calc'!A0"},
        "overall.question.vi: không được bắt đầu bằng ="),
    "markup in a label": (
        {"elements-0-label_vi": "<script>alert(1)</script>"}, None),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_strings_get_a_validation_message_never_a_server_error(
        case, client, as_role, editor, count):
    changes, message = HOSTILE[case]
    as_role("admin")
    editor.open()
    before = count()
    pages = {}
    for action in ("preview-vi", "up-element-1", "publish"):
        response = editor.press(action, **changes)
        assert response.status_code < 500, (action, response.status_code)
        pages[action] = _html(response)
    if message is None:                       # harmless text: shown escaped, then published
        assert "<script>alert(1)</script>" not in pages["preview-vi"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["preview-vi"]
        assert response.status_code == 302
        assert count() == before + 1
        return
    assert response.status_code == 422
    assert message in unescape(_html(response))
    assert count() == before


@pytest.mark.parametrize("action", ["delete-everything", "publish\x00", "up-criterion-1",
                                    "p" * 10_000, ""])
def test_an_unknown_button_is_refused(action, client, as_role, editor, count):
    as_role("admin")
    editor.open()
    before = count()
    response = client.post(editor.url, data={**editor.fields, "action": action})
    assert response.status_code == 400
    assert "Thao tác không hợp lệ." in _html(response)
    assert count() == before


def test_buttons_naming_parts_that_do_not_exist_change_nothing(client, as_role, editor):
    as_role("admin")
    editor.open()
    fields = dict(editor.fields)
    for action in ("remove-criterion-99-0", "up-criterion-0-99", "remove-element-99",
                   "down-element-999", "add-criterion-42"):
        response = editor.press(action)
        assert response.status_code == 200, action
    assert {k: v for k, v in editor.fields.items() if k != "csrf_token"} == {
        k: v for k, v in fields.items() if k != "csrf_token"}


def test_entries_beyond_the_limits_are_not_added(client, as_role, editor):
    from survey.admin.forms import MAX_CRITERIA, MAX_ELEMENTS

    as_role("admin")
    editor.open()
    for _n in range(MAX_ELEMENTS - len(editor.base["elements"])):
        editor.press("add-element")
    response = editor.press("add-element")
    assert f"Một phiếu khảo sát có tối đa {MAX_ELEMENTS} yếu tố." in _html(response)
    assert f"elements-{MAX_ELEMENTS}-code" not in editor.fields
    for _n in range(MAX_CRITERIA - len(editor.base["elements"][0]["criteria"])):
        editor.press("add-criterion-0")
    response = editor.press("add-criterion-0")
    assert f"Một yếu tố có tối đa {MAX_CRITERIA} tiêu chí." in _html(response)


def test_a_hostile_uploaded_file_is_refused_too(client, as_role, submit, count, latest):
    as_role("admin")
    _qid, version, definition = latest()
    definition["version"] = version + 1
    definition["title"]["vi"] = "Khảo sát\x00"
    definition["elements"][0]["criteria"][0]["label"]["en"] = "\ud800"
    text = json.dumps(definition).replace('"weight": 1.0', '"weight": NaN', 1)
    before = count()
    response = submit("/admin/questionnaires", {"definition": (
        io.BytesIO(text.encode()), "hostile.json")}, content_type="multipart/form-data")
    html = _html(response)
    assert response.status_code == 422
    assert "title.vi: có ký tự điều khiển" in html
    assert "elements[0].criteria[0].label.en: có ký tự điều khiển" in html
    assert "elements[0].weight: trọng số phải là số dương" in html
    assert count() == before


# --- who may use it; CSRF ---------------------------------------------------------------------

def test_agency_viewers_get_403_everywhere_in_the_editor(client, province, as_role, latest,
                                                        count, session_token):
    as_role("agency_viewer", "H-AN")
    qid, _version, _definition = latest()
    before = count()
    assert client.get(f"/admin/questionnaires/{qid}/edit").status_code == 403
    assert client.get(f"/admin/questionnaires/{qid}.json").status_code == 403
    response = client.post(f"/admin/questionnaires/{qid}/edit",
                           data={"csrf_token": session_token(), "action": "publish",
                                 "title_vi": "x", "title_en": "x"})
    assert response.status_code == 403
    assert count() == before


def test_anonymous_people_are_sent_to_sign_in(client, latest):
    qid, _version, _definition = latest()
    for url in (f"/admin/questionnaires/{qid}/edit", f"/admin/questionnaires/{qid}.json"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_analysts_may_use_the_editor_like_the_upload(client, as_role, editor):
    as_role("analyst")
    assert editor.open().status_code == 200


def test_publishing_needs_the_csrf_token(client, as_role, editor, count, in_db):
    as_role("admin")
    editor.open()
    before = count()
    fields = {**editor.fields, "title_en": "Changed", "action": "publish"}
    del fields["csrf_token"]
    response = client.post(editor.url, data=fields)
    assert response.status_code == 400
    assert "Phiếu này đã hết hạn" in _html(response)
    response = client.post(editor.url, data={**fields, "csrf_token": "forged"})
    assert response.status_code == 400
    assert count() == before
    assert in_db(lambda s: s.query(AuditEvent).filter_by(action="publish").count()) == 0


def test_the_editor_in_english(client, as_role, editor):
    as_role("admin")
    html = _html(client.get(editor.url + "?lang=en"))
    assert "New version of sipas" in html and "Move criterion down" in html
    editor.open()
    response = editor.press("publish", **{"elements-0-weight": "-1"})
    html = _html(response)
    assert "Nothing was published. Problems found (1):" in html
    assert "elements[0].weight: must be a positive number" in html


def test_the_documented_example_is_a_valid_definition():
    doc = Path(__file__).resolve().parents[3] / "docs" / "questionnaire-format.md"
    block = re.search(r"```json\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL).group(1)
    definition = json.loads(block)
    assert qdefs.validate(definition) == []
    assert [e["code"] for e in definition["elements"]] == ["TC", "CC"]


def test_the_validator_refuses_hostile_values_in_a_file():
    definition = qdefs.load_file(qdefs.FOLDER / "sipas.json")
    definition["elements"][0]["weight"] = float("inf")
    definition["elements"][1]["criteria"][0]["required"] = "yes"
    definition["elements"][2]["overall"] = "HL"
    definition["profile"][0] = ["gender"]
    definition["scale"]["labels"] = ["Rất không hài lòng"]
    definition["code"] = "sipas 2026/../x"
    definition["elements"][3]["code"] = "TC1"
    problems = qdefs.validate(definition)
    assert "elements[0].weight: must be a positive number" in problems
    assert "elements[1].criteria[0].required: must be true or false" in problems
    assert "elements[2].overall: must be an object" in problems
    assert "profile[0]: must be an object" in problems
    assert "scale.labels.1: must be an object with 'vi' and 'en' texts" in problems
    assert "code: use letters, digits, '-' or '_' only" in problems
    assert "elements[3].code: duplicate code 'TC1'" in problems


def test_a_version_published_by_someone_else_meanwhile_is_not_overwritten(
        client, as_role, editor, count, in_db, monkeypatch):
    from survey.admin import questionnaires as views

    as_role("admin")
    editor.open()
    before = count()
    # As if another admin had just taken the number: the editor computes the taken one.
    monkeypatch.setattr(views, "_next_version", lambda code: editor.base_version)
    response = editor.press("publish", title_en="Concurrent edit")
    assert response.status_code == 422
    assert f"người khác đã công bố phiên bản {editor.base_version}" in _html(response)
    assert count() == before
    stored = in_db(lambda s: copy.deepcopy(s.get(Questionnaire, editor.base_id).definition))
    assert stored == editor.base
