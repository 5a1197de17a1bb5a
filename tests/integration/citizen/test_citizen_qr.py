"""The QR form: plain HTML post, CSRF-protected, same validation as the API."""
from __future__ import annotations

import time

import pytest
from citizen_helpers import form_fields

from survey.extensions import db
from survey.models import Answer, Response


@pytest.fixture
def open_form(client, province):
    """GET the QR form of a counter; return its hidden fields."""

    def open_(counter: str = "SNV-Q1", query: str = "") -> dict[str, str]:
        reply = client.get(f"/q/{province.tokens[counter]}{query}")
        assert reply.status_code == 200
        return form_fields(reply.get_data(as_text=True))

    return open_


def test_form_lists_every_question_in_vietnamese(client, province):
    html = client.get(f"/q/{province.tokens['SNV-Q1']}").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert html.count('type="radio"') == 23 * 6 + 3 + 4 + 7 + 5 + 2
    assert "Rất hài lòng" in html and "Không ý kiến" in html
    assert 'name="service_area"' not in html


def test_form_in_english(client, province):
    html = client.get(f"/q/{province.tokens['H-AN-Q1']}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Very satisfied" in html
    assert 'name="service_area"' in html and "Construction" in html


def test_filled_form_is_stored_as_a_qr_response(app, client, province, open_form):
    fields = open_form()
    reply = client.post(f"/q/{province.tokens['SNV-Q1']}", data={
        **fields, "TC1": "4", "CC2": "5", "HL": "3", "GY1": "na",
        "profile_gender": "male", "dossier_ref": "hs-001"})
    assert reply.status_code == 302 and reply.location.endswith("/thanks")
    assert "Xin cảm ơn!" in client.get(reply.location).get_data(as_text=True)
    with app.app_context():
        stored = db.session.query(Response).one()
        assert stored.channel == "qr" and stored.gender == "male"
        assert {a.item_code: a.value for a in stored.answers} == {"TC1": 4, "CC2": 5, "HL": 3}
        assert stored.started_at is not None and stored.dossier_hash


def test_posting_the_same_form_twice_stores_it_once(client, province, open_form, count_rows):
    data = {**open_form(), "TC1": "4"}
    first = client.post(f"/q/{province.tokens['SNV-Q1']}", data=data)
    second = client.post(f"/q/{province.tokens['SNV-Q1']}", data=data)
    assert first.status_code == second.status_code == 302
    assert count_rows(Response) == 1


def test_empty_form_asks_for_one_answer_and_stores_nothing(client, province, open_form,
                                                           count_rows):
    reply = client.post(f"/q/{province.tokens['SNV-Q1']}", data={**open_form(), "TC1": "na"})
    assert reply.status_code == 422
    assert "Xin vui lòng trả lời ít nhất một câu hỏi." in reply.get_data(as_text=True)
    assert count_rows(Response) == 0


def test_value_outside_the_scale_is_refused(client, province, open_form, count_rows):
    reply = client.post(f"/q/{province.tokens['SNV-Q1']}", data={**open_form(), "TC1": "9"})
    assert reply.status_code == 422
    assert count_rows(Response) == 0


def test_counter_with_several_areas_needs_the_area(client, province, open_form, count_rows):
    data = {**open_form("H-AN-Q1"), "TC1": "4"}
    reply = client.post(f"/q/{province.tokens['H-AN-Q1']}", data=data)
    assert reply.status_code == 422
    assert "Xin vui lòng chọn lĩnh vực" in reply.get_data(as_text=True)
    data["service_area"] = "XAYDUNG"
    assert client.post(f"/q/{province.tokens['H-AN-Q1']}", data=data).status_code == 302
    assert count_rows(Response) == 1


def test_dossier_evaluated_twice_is_explained(client, province, open_form, count_rows):
    client.post(f"/q/{province.tokens['SNV-Q1']}",
                data={**open_form(), "TC1": "4", "dossier_ref": "HS-9"})
    reply = client.post(f"/q/{province.tokens['SNV-Q1']}",
                        data={**open_form(), "TC1": "2", "dossier_ref": " hs-9 "})
    assert reply.status_code == 409
    assert "Hồ sơ này đã được đánh giá" in reply.get_data(as_text=True)
    banner = reply.get_data(as_text=True).split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    assert '<a href="#dossier_ref">Hồ sơ này đã được đánh giá' in banner
    assert count_rows(Response) == 1


def test_missing_csrf_token_gives_the_start_again_page(client, province, open_form, count_rows):
    fields = open_form()
    del fields["csrf_token"]
    reply = client.post(f"/q/{province.tokens['SNV-Q1']}", data={**fields, "TC1": "4"})
    assert reply.status_code == 400
    assert "Traceback" not in reply.get_data(as_text=True)
    assert count_rows(Response) == 0 and count_rows(Answer) == 0


def test_expired_csrf_token_gives_the_start_again_page(app, client, province, open_form,
                                                       count_rows):
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    fields = open_form()
    time.sleep(2.1)
    reply = client.post(f"/q/{province.tokens['SNV-Q1']}", data={**fields, "TC1": "4"})
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert "<html" in html and "Traceback" not in html
    assert count_rows(Response) == 0


def test_database_down_on_the_form_is_a_friendly_503(client, province, open_form, count_rows,
                                                     monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("connection lost"))

    data = {**open_form(), "TC1": "4"}
    monkeypatch.setattr("survey.quality.flags_for", broken)
    reply = client.post(f"/q/{province.tokens['SNV-Q1']}", data=data)
    assert reply.status_code == 503
    assert count_rows(Response) == 0


@pytest.mark.parametrize("code", ["sipas", "sipas-2023"])
def test_form_is_grouped_one_fieldset_per_element(client, province, code):
    """As on the kiosk: one fieldset per element (and one for the overall question), each
    criterion a fieldset of its own with its five answers and "no opinion", numbered."""
    import re

    from survey import questionnaires as qdefs

    definition = qdefs.load_file(qdefs.FOLDER / f"{code}.json")
    html = client.get(f"/q/{province.tokens['SNV-Q1']}?q={code}").get_data(as_text=True)
    headings = re.findall(r'<legend class="element-name">([^<]*)</legend>', html)
    assert headings == [e["label"]["vi"] for e in definition["elements"]] + ["Đánh giá chung"]
    rows = re.findall(r'<fieldset class="crit" id="q-([^"]+)"', html)
    assert rows == qdefs.item_codes(definition)
    assert html.count('class="face-opt') == 6 * len(rows)
    assert '<span class="crit-n">1.</span> Ông/Bà hài lòng thế nào với' in html
    assert 'name="csrf_token"' in html
