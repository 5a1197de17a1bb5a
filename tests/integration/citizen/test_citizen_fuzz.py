"""Property-based fuzzing of the citizen intake: mutations of a valid submission to the API, raw
bodies, and arbitrary QR form data never cause a 5xx, and a refused input stores nothing."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from survey.models import Response

API = "/api/v1/responses"
FIELDS = ["id", "counter", "questionnaire", "version", "service_area", "channel", "answers",
          "started_at", "submitted_at", "dossier_ref", "client_id", "locale", "profile"]
ITEMS = ["TC1", "TC2", "TT1", "CC1", "HL", "GY1", "XX9", "TC1\x00", "\ud800", ""]
PROFILE = ["gender", "age_band", "occupation", "shoe_size", "\x00"]
SPECIAL_TEXT = ["", "\x00", "a\x00b", "\ud800", "x\udfffy", "x" * 5000, " ", "sipas", "kiosk",
                "qr", "DATDAI", "male", "vi", "0001-01-01T00:00:00+14:00",
                "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00", "2026-01-01T00:00:00\x00",
                "00000000-0000-0000-0000-000000000000"]
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=200,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

texts = st.one_of(st.sampled_from(SPECIAL_TEXT), st.text(max_size=40),
                  st.builds(lambda a, b: f"{a}\ud800{b}", st.text(max_size=5), st.text(max_size=5)))
scalars = st.one_of(st.none(), st.booleans(), texts, st.floats(),
                    st.integers(min_value=-(2**80), max_value=2**80),
                    st.sampled_from([0, 1, 3, 5, 6, 2**31, 2**63, 2**64]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(texts, inner, max_size=3), max_leaves=8)


def nest(depth: int) -> list:
    """A list nested ``depth`` levels deep: ``[[[...]]]``."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


nested = st.integers(min_value=1, max_value=400).map(nest)
mutations = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(FIELDS), st.one_of(values, nested)),
    st.tuples(st.just("drop"), st.sampled_from(FIELDS), st.none()),
    st.tuples(st.just("answer"), st.sampled_from(ITEMS), values),
    st.tuples(st.just("profile"), st.sampled_from(PROFILE), values),
)


def mutate(payload: dict, changes: list[tuple[str, str, object]]) -> dict:
    """Apply (kind, key, value) changes to a copy of a valid submission (never to the drawn
    values themselves: Hypothesis may reuse them)."""
    payload = dict(payload)
    for kind, key, value in changes:
        if kind == "set":
            payload[key] = value
        elif kind == "drop":
            payload.pop(key, None)
        else:
            group = "answers" if kind == "answer" else "profile"
            inner = payload.get(group)
            payload[group] = {**inner, key: value} if isinstance(inner, dict) else {key: value}
    return payload


def assert_outcome(status: int, added: int, stored: set[int]) -> None:
    """Never a 5xx; a status not in ``stored`` adds no row, one in it at most one."""
    assert status < 500
    assert added in ((0, 1) if status in stored else (0,))


@FUZZ
@given(changes=st.lists(mutations, min_size=1, max_size=4))
def test_api_mutations_never_fail_and_refusals_store_nothing(post, submission, count_rows,
                                                             changes):
    payload = mutate(submission(), changes)
    before = count_rows(Response)
    reply = post(payload)
    assert reply.is_json
    event(f"status {reply.status_code}")
    assert reply.status_code in (200, 201, 400, 404, 409, 422)
    assert_outcome(reply.status_code, count_rows(Response) - before, {201})
    assert reply.status_code != 201 or count_rows(Response) == before + 1


@settings(FUZZ, max_examples=100)
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
       content_type=st.sampled_from(["application/json", "text/plain", "multipart/form-data",
                                     "application/problem+json", ""]))
def test_api_raw_bodies_never_fail(client, province, count_rows, body, content_type):
    reply = client.post(API, data=body, content_type=content_type)
    event(f"status {reply.status_code}")
    assert reply.status_code in (400, 404, 422) and reply.is_json
    assert count_rows(Response) == 0


@pytest.fixture
def qr_form(client, province) -> tuple[str, dict[str, str]]:
    """The URL of a counter's QR form and the hidden fields of ``client``'s session for it."""
    url = f"/q/{province.tokens['SNV-Q1']}"
    html = client.get(url).get_data(as_text=True)
    fields = {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1)
              for name in ("csrf_token", "started_at")}
    return url, fields


form_text = st.one_of(st.sampled_from(SPECIAL_TEXT[:3] + SPECIAL_TEXT[6:]), st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), max_size=40))
form_keys = st.sampled_from(["submission_id", "started_at", "dossier_ref", "TC1", "TC2", "HL",
                             "GY1", "profile_gender", "service_area", "XX9", "\x00"])


@settings(FUZZ, max_examples=150)
@given(data=st.dictionaries(form_keys, st.one_of(form_text, st.sampled_from(["4", "na", "9"])),
                            max_size=6), submission_id=st.uuids())
def test_qr_form_data_never_fails_and_refusals_store_nothing(client, qr_form, count_rows,
                                                            data, submission_id):
    url, fields = qr_form
    valid = {**fields, "submission_id": str(submission_id), "TC1": "4", "HL": "5"}
    before = count_rows(Response)
    reply = client.post(url, data={**valid, **data, "csrf_token": fields["csrf_token"]})
    event(f"status {reply.status_code}")
    assert reply.status_code in (302, 400, 409, 422)
    assert_outcome(reply.status_code, count_rows(Response) - before, {302})


@pytest.mark.parametrize("depth", [10, 900])
def test_nested_lists_in_a_field_are_refused(post, submission, count_rows, depth):
    reply = post(submission(answers=nest(depth)))
    assert reply.status_code == 422 and "answers" in reply.get_json()["errors"]
    assert count_rows(Response) == 0
