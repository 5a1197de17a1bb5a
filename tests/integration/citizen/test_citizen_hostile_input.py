"""Hostile input to the citizen intake: always a 4xx with a per-field message, never a 5xx,
and nothing stored (issue "Intake that never fails a citizen", item 1)."""
from __future__ import annotations

import io
import json

import pytest
from citizen_helpers import form_fields

from survey.models import Response

API = "/api/v1/responses"


@pytest.fixture
def assert_nothing_stored(count_rows):
    """Call after a request: no Response row exists (every test starts from empty tables)."""

    def check() -> None:
        assert count_rows(Response) == 0

    return check


@pytest.mark.parametrize(("overrides", "field"), [
    ({"started_at": "0001-01-01T00:00:00+14:00"}, "started_at"),
    ({"started_at": "9999-12-31T23:59:59-14:00"}, "started_at"),
    ({"submitted_at": "0001-01-01T00:00:00+14:00"}, "submitted_at"),
    ({"started_at": "1900-01-01T00:00:00+07:00"}, "started_at"),
    ({"started_at": "2019-12-31T23:59:59+00:00"}, "started_at"),
    ({"started_at": "2026-01-01T00:00:00\x00"}, "started_at"),
    ({"version": 18446744073709551616}, "version"),
    ({"version": 2**31}, "version"),
    ({"version": 0}, "version"),
    ({"questionnaire": "sipas\x00"}, "questionnaire"),
    ({"questionnaire": "\ud800"}, "questionnaire"),
    ({"client_id": "kiosk\x001"}, "client_id"),
    ({"client_id": "\ud800"}, "client_id"),
    ({"dossier_ref": "HS\x00001"}, "dossier_ref"),
    ({"dossier_ref": "HS-\ud800"}, "dossier_ref"),
    ({"service_area": "DATDAI\x00"}, "service_area"),
    ({"service_area": "\udfff"}, "service_area"),
    ({"profile": {"gender": "\ud800"}}, "profile.gender"),
    ({"answers": {"TC1": 4, "\ud800": 4}}, "answers.\ud800"),
    ({"answers": {"TC1": 10**30}}, "answers.TC1"),
])
def test_hostile_field_gets_a_422_for_that_field(post, submission, assert_nothing_stored,
                                                 overrides, field):
    reply = post(submission(**overrides))
    assert reply.status_code == 422
    body = reply.get_json()
    assert body["error"] == "invalid" and field in body["errors"]
    assert_nothing_stored()


def test_times_far_from_now_are_explained(post, submission):
    errors = post(submission(started_at="1900-01-01T00:00:00+07:00")).get_json()["errors"]
    assert errors == {"started_at": "is before 2020: not a plausible time"}
    errors = post(submission(started_at="9999-12-31T23:59:59-14:00")).get_json()["errors"]
    assert errors == {"started_at": "is not a plausible time"}


@pytest.mark.parametrize("token", ["\x00", "abc\x00def", "\ud800", "x" * 65])
def test_hostile_counter_token_is_unknown(post, submission, assert_nothing_stored, token):
    reply = post({**submission(), "counter": token})
    assert reply.status_code == 404 and reply.get_json()["error"] == "unknown_counter"
    assert_nothing_stored()


def _raw(client, body: bytes | str, content_type: str = "application/json"):
    return client.post(API, data=body, content_type=content_type)


def test_json_sent_as_text_plain_is_refused(client, submission, assert_nothing_stored):
    reply = _raw(client, json.dumps(submission()), "text/plain")
    assert reply.status_code == 400
    body = reply.get_json()
    assert body["error"] == "malformed" and "Content-Type: application/json" in body["message"]
    assert_nothing_stored()


@pytest.mark.parametrize(("body", "status"), [
    ("[" * 100_000, 413),                     # over the API's body limit
    ("[" * 50_000, 400),                      # under it: RecursionError while decoding
    (b"{\"id\": \"\xff\xfe\"}", 400),          # not UTF-8
    ("{\"version\": " + "9" * 5000 + "}", 400),  # beyond Python's integer-string limit
    ("null", 400),
    ("", 400),
    ("{\"id\": ", 400),
])
def test_malformed_or_deep_bodies_get_400_or_413(client, assert_nothing_stored, body, status):
    reply = _raw(client, body)
    assert reply.status_code == status and reply.is_json
    assert reply.get_json()["error"] == ("malformed" if status == 400 else "request_entity_too_large")
    assert_nothing_stored()


def test_oversized_body_gets_413(client, submission, assert_nothing_stored):
    reply = _raw(client, json.dumps(submission(client_id="x" * 100_000)))
    assert reply.status_code == 413 and reply.is_json
    assert_nothing_stored()


def test_oversized_body_without_content_length_gets_413(client, submission,
                                                        assert_nothing_stored):
    body = json.dumps(submission(client_id="x" * 100_000)).encode()
    reply = client.post(API, input_stream=io.BytesIO(body), content_type="application/json",
                        headers={"Transfer-Encoding": "chunked"},
                        environ_overrides={"wsgi.input_terminated": True})
    assert reply.status_code == 413
    assert_nothing_stored()


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/api/v1/questionnaires/sipas?version=99999999999999999999", 422, "version"),
    ("/api/v1/questionnaires/sipas?version=-1", 422, "version"),
    ("/api/v1/questionnaires/sipas?version=%00", 400, None),
    ("/api/v1/questionnaires/sip%00as", 404, None),
    ("/api/v1/questionnaires/" + "x" * 300, 404, None),
])
def test_questionnaire_endpoint_refuses_hostile_input(client, url, status, field):
    reply = client.get(url)
    assert reply.status_code == status and reply.is_json
    if field:
        assert field in reply.get_json()["errors"]


@pytest.mark.parametrize("path", [
    "/q/%00", "/q/%00/thanks", "/q/abc%00def", "/kiosk/%00", "/kiosk/poster/%00.svg",
    "/kiosk/poster/%00", "/api/v1/questionnaires/%00", "/q/%ff%fe",
])
def test_paths_with_nul_bytes_are_not_found(client, province, path):
    assert client.get(path).status_code == 404


def test_nul_in_citizen_query_values_is_a_bad_request(client, province):
    token = province.tokens["SNV-Q1"]
    assert client.get(f"/q/{token}?q=%00").status_code == 400
    assert client.get(f"/kiosk/{token}?q=sipas%00").status_code == 400


@pytest.fixture
def post_form(client, province):
    """POST the QR form of counter SNV-Q1 with its hidden fields, some overridden."""
    url = f"/q/{province.tokens['SNV-Q1']}"

    def send(**overrides: str):
        fields = form_fields(client.get(url).get_data(as_text=True))
        return client.post(url, data={**fields, "TC1": "4", "HL": "5", **overrides})

    return send


@pytest.mark.parametrize("overrides", [
    {"started_at": "0001-01-01T00:00:00+14:00"},
    {"started_at": "9999-12-31T23:59:59-14:00"},
    {"started_at": "1900-01-01T00:00:00+07:00"},
    {"started_at": "2026\x00"},
    {"submission_id": "not\x00a-uuid"},
])
def test_qr_form_with_altered_hidden_fields_asks_to_send_again(post_form, assert_nothing_stored,
                                                                overrides):
    reply = post_form(**overrides)
    assert reply.status_code == 422
    assert "Phiếu đã bị thay đổi hoặc đã quá cũ" in reply.get_data(as_text=True)
    assert_nothing_stored()


def test_qr_form_resent_after_an_altered_start_time_is_stored(client, province, count_rows):
    url = f"/q/{province.tokens['SNV-Q1']}"
    fields = form_fields(client.get(url).get_data(as_text=True))
    refused = client.post(url, data={**fields, "TC1": "4", "started_at": "0001-01-01T00:00:00"})
    renewed = form_fields(refused.get_data(as_text=True))
    assert renewed["started_at"] != "0001-01-01T00:00:00"
    assert client.post(url, data={**renewed, "TC1": "4"}).status_code == 302
    assert count_rows(Response) == 1


def test_qr_form_refuses_nul_in_dossier_code(post_form, assert_nothing_stored):
    reply = post_form(dossier_ref="HS\x00001")
    assert reply.status_code == 422
    assert "chỉ dùng chữ, số và dấu câu thông thường" in reply.get_data(as_text=True)
    assert_nothing_stored()
