"""Reasons for a low rating, the citizen's own words and complaints: checked with the answers,
stored once in the response's own write, and opening a follow-up due in working days."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from citizen_helpers import form_fields

from survey import responses
from survey.extensions import db
from survey.models import (
    Answer,
    Counter,
    FollowUp,
    Response,
    ResponseComment,
    ResponseReason,
)

# Friday 27 November 2026, 10:00 in Hà Nội (03:00 UTC).
FRIDAY = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
# Five working days later (Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 December), at the closing hour
# of the default WORKING_HOURS (17:00 local = 10:00 UTC).
NEXT_FRIDAY_CLOSE = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
WORDS = "Cán bộ hướng dẫn chưa rõ, tôi phải quay lại hai lần."


@pytest.fixture
def at_friday(monkeypatch):
    """Freeze the server's clock at ``FRIDAY``."""
    monkeypatch.setattr(responses, "utcnow", lambda: FRIDAY)


def low(submission, **overrides) -> dict:
    """A kiosk sheet rating TC1 (access) 2, CC2 (staff) 1 and the overall question 2."""
    return submission(**{"answers": {"TC1": 2, "TC2": 4, "CC2": 1, "HL": 2}, **overrides})


def at(submission, moment: datetime, **overrides) -> dict:
    """A sheet started 90 s before ``moment`` and sent at it."""
    return submission(started_at=(moment - timedelta(seconds=90)).isoformat(),
                      submitted_at=moment.isoformat(), **overrides)


def counts(app) -> tuple[int, int, int, int]:
    """Rows of responses, reasons, comments and follow-ups."""
    with app.app_context():
        return tuple(db.session.query(model).count()
                     for model in (Response, ResponseReason, ResponseComment, FollowUp))


def test_reasons_are_stored_with_the_response_and_open_a_follow_up(app, post, submission,
                                                                     province, at_friday):
    payload = at(submission, FRIDAY, answers={"TC1": 2, "TC2": 4, "CC2": 1, "HL": 2},
                 counter="X-AN1-Q1", dossier_ref="HS-77",
                 reasons={"TC1": ["ACC_WAIT", "ACC_SEATS"], "CC2": ["STF_ATTITUDE"], "HL": []})
    reply = post(payload)
    assert reply.status_code == 201, reply.get_json()
    assert counts(app) == (1, 3, 0, 1)
    with app.app_context():
        stored = db.session.query(Response).one()
        assert {(r.item_code, r.reason_code) for r in db.session.query(ResponseReason)} == {
            ("TC1", "ACC_WAIT"), ("TC1", "ACC_SEATS"), ("CC2", "STF_ATTITUDE")}
        follow_up = db.session.query(FollowUp).one()
        assert follow_up.response_id == stored.id
        assert (follow_up.kind, follow_up.status) == ("low_rating", "open")
        assert follow_up.agency_id == province.agency_ids["X-AN1"]
        assert follow_up.counter_id == db.session.query(Counter).filter_by(
            code="X-AN1-Q1").one().id
        assert follow_up.dossier_hash == stored.dossier_hash is not None
        assert follow_up.opened_at.replace(tzinfo=UTC) == FRIDAY
        assert follow_up.due_at.replace(tzinfo=UTC) == NEXT_FRIDAY_CLOSE


def test_a_retry_of_the_same_sheet_stores_nothing_more(app, post, submission):
    payload = low(submission, reasons={"TC1": ["ACC_WAIT"]}, comment=WORDS, complaint=True)
    first, second = post(payload), post(payload)
    assert (first.status_code, second.status_code) == (201, 200)
    assert counts(app) == (1, 1, 1, 1)
    with app.app_context():
        assert db.session.query(Answer).count() == 4


def test_a_complaint_opens_a_complaint_follow_up_with_the_words(app, post, submission):
    reply = post(low(submission, reasons={"HL": ["ALL_TRIPS"]}, comment=f"  {WORDS}\n",
                     complaint=True))
    assert reply.status_code == 201
    assert counts(app) == (1, 1, 1, 1)
    with app.app_context():
        comment = db.session.query(ResponseComment).one()
        assert (comment.text, comment.complaint) == (WORDS, True)
        assert db.session.query(FollowUp).one().kind == "complaint"


def test_a_complaint_without_a_reason_still_opens_a_follow_up(app, post, submission):
    assert post(low(submission, complaint=True)).status_code == 201
    assert counts(app) == (1, 0, 1, 1)
    with app.app_context():
        assert db.session.query(ResponseComment).one().text is None
        assert db.session.query(FollowUp).one().kind == "complaint"


def test_no_reason_and_no_complaint_opens_no_follow_up(app, post, submission):
    assert post(low(submission, comment=WORDS, complaint=False)).status_code == 201
    assert post(low(submission, reasons={"TC1": []})).status_code == 201
    assert post(low(submission)).status_code == 201
    assert counts(app) == (3, 0, 1, 0)


def test_line_breaks_of_the_text_box_become_spaces(app, post, submission):
    assert post(low(submission, comment="Chờ lâu.\r\nKhông có ghế.")).status_code == 201
    with app.app_context():
        assert db.session.query(ResponseComment).one().text == "Chờ lâu. Không có ghế."


@pytest.mark.parametrize("reasons, field, message", [
    ({"TC2": ["ACC_WAIT"]}, "reasons.TC2", "only for an item rated at most 2"),
    ({"TT1": ["PRO_INFO"]}, "reasons.TT1", "only for an item rated at most 2"),
    ({"TC1": ["STF_ATTITUDE"]}, "reasons.TC1", "unknown reason for this item"),
    ({"TC1": ["NOPE"]}, "reasons.TC1", "unknown reason for this item"),
    ({"HL": ["ACC_WAIT"]}, "reasons.HL", "unknown reason for this item"),
    ({"TC1": ["ACC_WAIT", "ACC_WAIT"]}, "reasons.TC1", "each reason at most once, at most 4"),
    ({"TC1": "ACC_WAIT"}, "reasons.TC1", "must be a list of reason codes"),
    ({"TC1": [1]}, "reasons.TC1", "must be a list of reason codes"),
    ({"XX9": ["ACC_WAIT"]}, "reasons.XX9", "unknown item"),
    (["ACC_WAIT"], "reasons", "must be an object of item code to a list of reason codes"),
])
def test_reasons_that_do_not_fit_the_answers_are_refused(app, post, submission, reasons, field,
                                                         message):
    reply = post(low(submission, reasons=reasons))
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {field: message}
    assert counts(app) == (0, 0, 0, 0)


def test_the_threshold_is_the_setting(app, post, submission):
    app.config["LOW_RATING_MAX"] = 3
    reply = post(low(submission, answers={"TT1": 3, "HL": 4}, reasons={"TT1": ["PRO_FEES"]}))
    assert reply.status_code == 201
    assert counts(app) == (1, 1, 0, 1)


@pytest.mark.parametrize("change, field", [
    ({"comment": "a\x00b"}, "comment"),
    ({"comment": "x" * 10_000}, "comment"),
    ({"comment": "x" * 1001}, "comment"),
    ({"comment": "x\ud800y"}, "comment"),
    ({"comment": ["text"]}, "comment"),
    ({"complaint": "yes"}, "complaint"),
    ({"complaint": 1}, "complaint"),
])
def test_hostile_words_are_refused_and_nothing_is_stored(app, post, submission, change, field):
    reply = post(low(submission, **{"reasons": {"TC1": ["ACC_WAIT"]}, "complaint": True,
                                    **change}))
    assert reply.status_code == 422
    assert list(reply.get_json()["errors"]) == [field]
    assert counts(app) == (0, 0, 0, 0)


def test_a_thousand_characters_are_accepted(app, post, submission):
    assert post(low(submission, comment="ư" * 1000)).status_code == 201
    assert counts(app) == (1, 0, 1, 0)


def test_the_words_are_in_no_export(app, post, submission, runner, login_as, client):
    from survey.periods import quarter_of

    assert post(low(submission, reasons={"TC1": ["ACC_WAIT"]}, comment=WORDS,
                    complaint=True)).status_code == 201
    export = runner.invoke(args=["sipas", "export"])
    assert export.exit_code == 0 and "TC1" in export.output
    assert WORDS not in export.output and "ACC_WAIT" not in export.output
    login_as("analyst")
    period = quarter_of(datetime.now(UTC).date())
    raw = client.get(f"/reports/raw.csv?period={period}")
    assert raw.status_code == 200
    text = raw.get_data(as_text=True)
    assert "TC1" in text.splitlines()[0] and len(text.splitlines()) == 2
    assert WORDS not in text and "complaint" not in text and "comment" not in text


def test_the_exports_module_never_reads_the_words():
    from pathlib import Path

    from survey.reports import exports

    source = Path(exports.__file__).read_text(encoding="utf-8")
    assert not re.search(r"ResponseComment|response_comments|FollowUp|ResponseReason", source)


# ---------- the QR form: two steps, no JavaScript needed ----------

def _open(client, token: str) -> dict[str, str]:
    reply = client.get(f"/q/{token}")
    assert reply.status_code == 200
    return form_fields(reply.get_data(as_text=True))


def _hidden(html: str) -> dict[str, str]:
    """Every hidden input of the reasons page, name to value."""
    found = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        found[name] = re.search(r'value="([^"]*)"', tag).group(1)
    return found


def test_qr_low_rating_asks_why_then_stores_one_response_with_its_reasons(app, client,
                                                                          province):
    url = f"/q/{province.tokens['SNV-Q1']}"
    fields = _open(client, province.tokens["SNV-Q1"])
    first = client.post(url, data={**fields, "TC1": "2", "CC2": "5", "HL": "1", "GY1": "na",
                                   "profile_gender": "female", "dossier_ref": "hs-5"})
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Vì sao Ông/Bà chưa hài lòng?" in html and "Phải chờ lâu" in html
    assert "Mất nhiều thời gian" in html and "Thái độ chưa lịch sự" not in html
    assert "Bỏ qua, gửi luôn" in html
    assert counts(app) == (0, 0, 0, 0)
    hidden = _hidden(html)
    assert {k: hidden[k] for k in ("TC1", "CC2", "HL", "profile_gender", "dossier_ref")} == {
        "TC1": "2", "CC2": "5", "HL": "1", "profile_gender": "female", "dossier_ref": "hs-5"}
    assert hidden["submission_id"] == fields["submission_id"]
    assert hidden["started_at"] == fields["started_at"] and hidden["GY1"] == "na"
    second = client.post(url, data={**hidden, "reasons_TC1": ["ACC_WAIT", "ACC_SIGNS"],
                                    "reasons_HL": "ALL_TIME", "comment": WORDS,
                                    "complaint": "y"})
    assert second.status_code == 302 and second.location.endswith("/thanks")
    assert client.post(url, data={**hidden, "reasons_TC1": "ACC_WAIT"}).status_code == 302
    assert counts(app) == (1, 3, 1, 1)
    with app.app_context():
        stored = db.session.query(Response).one()
        assert (stored.channel, stored.gender) == ("qr", "female")
        assert {a.item_code: a.value for a in stored.answers} == {"TC1": 2, "CC2": 5, "HL": 1}
        assert str(stored.uuid) == fields["submission_id"]
        assert db.session.query(FollowUp).one().kind == "complaint"
        assert db.session.query(ResponseComment).one().text == WORDS


def test_qr_skip_stores_without_reasons_and_opens_no_follow_up(app, client, province):
    url = f"/q/{province.tokens['SNV-Q1']}"
    fields = _open(client, province.tokens["SNV-Q1"])
    hidden = _hidden(client.post(url, data={**fields, "TC1": "1"}).get_data(as_text=True))
    reply = client.post(url, data={**hidden, "reasons_TC1": "ACC_WAIT", "complaint": "y",
                                   "comment": WORDS, "skip_reasons": "1"})
    assert reply.status_code == 302
    assert counts(app) == (1, 0, 0, 0)


def test_qr_without_low_ratings_is_stored_at_once(app, client, province):
    fields = _open(client, province.tokens["SNV-Q1"])
    reply = client.post(f"/q/{province.tokens['SNV-Q1']}", data={**fields, "TC1": "3"})
    assert reply.status_code == 302
    assert counts(app) == (1, 0, 0, 0)


def test_qr_words_with_a_control_character_show_the_reasons_page_again(app, client, province):
    url = f"/q/{province.tokens['SNV-Q1']}"
    fields = _open(client, province.tokens["SNV-Q1"])
    hidden = _hidden(client.post(url, data={**fields, "TC1": "2"}).get_data(as_text=True))
    reply = client.post(url, data={**hidden, "reasons_TC1": "ACC_WAIT",
                                   "comment": "x" * 1001})
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert "Vì sao Ông/Bà chưa hài lòng?" in html and 'id="comment-error"' in html
    assert counts(app) == (0, 0, 0, 0)


def test_qr_a_dossier_already_evaluated_is_said_before_asking_why(client, province, app):
    url = f"/q/{province.tokens['SNV-Q1']}"
    client.post(url, data={**_open(client, province.tokens["SNV-Q1"]), "TC1": "4",
                           "dossier_ref": "HS-9"})
    reply = client.post(url, data={**_open(client, province.tokens["SNV-Q1"]), "TC1": "2",
                                   "dossier_ref": "hs-9"})
    assert reply.status_code == 409
    assert counts(app) == (1, 0, 0, 0)


def test_qr_reasons_page_in_english(client, province):
    url = f"/q/{province.tokens['SNV-Q1']}?lang=en"
    html = client.get(url).get_data(as_text=True)
    fields = form_fields(html)
    reply = client.post(url, data={**fields, "CC1": "2"})
    text = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "Not polite" in text and "Long wait" not in text


def test_kiosk_page_carries_the_reasons_and_the_threshold(app, client, province):
    import json

    html = client.get(f"/kiosk/{province.tokens['SNV-Q1']}").get_data(as_text=True)
    settings = json.loads(re.search(
        r'<script id="kiosk-settings" type="application/json">(.*?)</script>', html,
        re.DOTALL).group(1))
    assert settings["low_rating_max"] == 2
    assert settings["reason_topics"]["TC1"] == "access"
    assert settings["reason_topics"]["HL"] == "overall"
    first = settings["reason_lists"]["access"][0]
    assert first == {"code": "ACC_WAIT", "label": {"vi": "Phải chờ lâu", "en": "Long wait"}}
