"""Managing officers: create, edit, PIN, deactivate (ending shifts), unlock; each change audited
without the PIN; hostile input refused with a message and never a 5xx."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from survey.models import Counter, Officer, OfficerShift, User


def _officer(in_db, code):
    return in_db(lambda s: s.query(Officer).filter_by(code=code).one_or_none())


def _shift(in_db, officer_id, counter_code, ended=False):
    def add(session):
        counter = session.query(Counter).filter_by(code=counter_code).one()
        start = datetime.now(UTC) - timedelta(hours=2)
        shift = OfficerShift(counter_id=counter.id, officer_id=officer_id, started_at=start,
                             ended_at=start + timedelta(hours=1) if ended else None,
                             ended_reason="signed_off" if ended else None)
        session.add(shift)
        session.flush()
        return shift.id
    return in_db(add)


def test_admin_creates_an_officer_with_a_pin_and_the_audit_keeps_no_pin(
        client, province, as_role, submit, in_db, audit_events):
    user_id = as_role("admin")
    response = submit("/officers/new", {"code": "CB01", "name": "Nguyễn Thị Lan",
                                        "agency_id": province.agency_ids["H-AN"],
                                        "pin": "4821", "confirm": "4821"})
    assert response.status_code == 302
    officer = _officer(in_db, "CB01")
    assert (officer.name, officer.agency_id, officer.active) == (
        "Nguyễn Thị Lan", province.agency_ids["H-AN"], True)
    assert officer.pin_hash and officer.pin_hash != "4821" and officer.check_pin("4821")
    (event,) = audit_events(entity="officer")
    assert (event["action"], event["user_id"], event["before"]) == ("create", user_id, None)
    assert event["after"]["code"] == "CB01" and event["after"]["pin_set"] is True
    assert "4821" not in str(event) and officer.pin_hash not in str(event)
    html = client.get("/officers/").get_data(as_text=True)
    assert 'data-officer="CB01"' in html and "UBND huyện An Phú" in html
    assert "4821" not in html and officer.pin_hash not in html


def test_the_list_is_grouped_by_agency_in_tree_order(client, province, as_role, make_officer):
    make_officer("CB-X", "X-AN1")
    make_officer("CB-S", "SNV")
    make_officer("CB-H", "H-AN")
    as_role("analyst")
    html = client.get("/officers/").get_data(as_text=True)
    assert html.index('data-agency="SNV"') < html.index('data-officer="CB-S"') \
        < html.index('data-agency="H-AN"') < html.index('data-officer="CB-H"') \
        < html.index('data-agency="X-AN1"') < html.index('data-officer="CB-X"')


def test_duplicate_code_and_unknown_agency_are_refused(client, province, as_role, submit,
                                                       in_db, make_officer):
    make_officer("CB01")
    as_role("admin")
    response = submit("/officers/new", {"code": "CB01", "name": "Khác",
                                        "agency_id": province.agency_ids["SNV"]})
    assert response.status_code == 200
    assert "Đã có cán bộ khác dùng mã này." in response.get_data(as_text=True)
    for agency in ("999999", "abc", ""):
        response = submit("/officers/new", {"code": "CB02", "name": "Trần Văn B",
                                            "agency_id": agency})
        assert response.status_code == 200, agency
        assert "Lựa chọn không hợp lệ" in response.get_data(as_text=True), agency
    assert in_db(lambda s: s.query(Officer).count()) == 1


@pytest.mark.parametrize("field, value", [
    ("code", "CB\x0002"), ("code", "CB\n02"), ("name", "Trần\x00Văn"), ("name", "Trần\x1bVăn"),
    ("name", "Trần\x7fVăn")])
def test_control_characters_are_refused_with_a_clear_message(client, province, as_role,
                                                             submit, in_db, field, value):
    as_role("admin")
    data = {"code": "CB02", "name": "Trần Văn B", "agency_id": province.agency_ids["SNV"]}
    data[field] = value
    response = submit("/officers/new", data)
    assert response.status_code == 200
    assert "Không được chứa ký tự điều khiển" in response.get_data(as_text=True)
    assert in_db(lambda s: s.query(Officer).count()) == 0


def test_bytes_that_are_not_utf8_never_give_a_server_error(client, province, as_role, in_db,
                                                          token_of):
    as_role("admin")
    token = token_of("/officers/new")
    body = (f"csrf_token={token}&code=CB%ED%A0%80&name=Tr%ED%A0%80n%00"
            f"&agency_id={province.agency_ids['SNV']}")
    response = client.post("/officers/new", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert in_db(lambda s: s.query(Officer).count()) == 0


def test_too_long_and_odd_codes_are_refused_without_error(client, province, as_role, submit,
                                                          in_db):
    as_role("admin")
    for code, name in (("C" * 33, "Tên"), ("CB 01", "Tên"), ("CB01", "T" * 201),
                       ("'; DROP TABLE officers; --", "Tên")):
        response = submit("/officers/new", {"code": code, "name": name,
                                            "agency_id": province.agency_ids["SNV"]})
        assert response.status_code == 200, code
        if len(code) > 32:
            assert "Độ dài không được quá 32 ký tự." in response.get_data(as_text=True)
    assert in_db(lambda s: s.query(Officer).count()) == 0


def test_edit_changes_code_name_and_agency_and_moves_the_officers_account(
        client, app, province, as_role, submit, in_db, audit_events, make_officer):
    officer_id = make_officer("CB01", "H-AN")
    shift_id = _shift(in_db, officer_id, "H-AN-Q1")
    from survey.catalog import create_user
    from survey.extensions import db
    with app.app_context():
        account = create_user(db.session, "lan", "correct-horse-battery", "officer",
                              officer_code="CB01").id
        db.session.commit()
    as_role("admin")
    response = submit(f"/officers/{officer_id}/edit", {
        "code": "CB01A", "name": "Nguyễn Thị Lan", "agency_id": province.agency_ids["X-AN1"]})
    assert response.status_code == 302
    officer = in_db(lambda s: s.get(Officer, officer_id))
    assert (officer.code, officer.name, officer.agency_id) == (
        "CB01A", "Nguyễn Thị Lan", province.agency_ids["X-AN1"])
    assert in_db(lambda s: s.get(User, account).agency_id) == province.agency_ids["X-AN1"]
    shift = in_db(lambda s: s.get(OfficerShift, shift_id))
    assert shift.ended_at is not None and shift.ended_reason == "agency_changed"
    (event,) = audit_events("update", "officer")
    assert event["before"]["code"] == "CB01" and event["after"]["code"] == "CB01A"
    assert event["before"]["agency_id"] == province.agency_ids["H-AN"]
    assert event["after"]["users_moved"] == [account] and event["after"]["shifts_ended"] == 1


def test_a_code_taken_meanwhile_is_refused_by_the_database_without_error(
        client, province, as_role, submit, in_db, make_officer, audit_events, monkeypatch):
    from survey.officers import service

    make_officer("CB01")
    other = make_officer("CB02")
    as_role("admin")
    monkeypatch.setattr(service, "code_taken", lambda *args: False)
    for url in ("/officers/new", f"/officers/{other}/edit"):
        response = submit(url, {"code": "CB01", "name": "X",
                                "agency_id": province.agency_ids["H-AN"]})
        assert response.status_code == 200, url
        assert "Đã có cán bộ khác dùng mã này." in response.get_data(as_text=True), url
    assert in_db(lambda s: s.query(Officer).count()) == 2
    assert in_db(lambda s: s.get(Officer, other).code) == "CB02"
    assert audit_events(entity="officer") == []


def test_edit_refuses_the_code_of_another_officer(client, province, as_role, submit, in_db,
                                                  make_officer, audit_events):
    make_officer("CB01")
    other = make_officer("CB02")
    as_role("admin")
    response = submit(f"/officers/{other}/edit", {"code": "CB01", "name": "X",
                                                  "agency_id": province.agency_ids["H-AN"]})
    assert "Đã có cán bộ khác dùng mã này." in response.get_data(as_text=True)
    assert in_db(lambda s: s.get(Officer, other).code) == "CB02"
    assert audit_events(entity="officer") == []
    assert client.get("/officers/999999/edit").status_code == 404


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "１２３４", "1234\n", " 1234", ""])
def test_a_pin_must_be_4_to_8_digits(client, province, as_role, submit, in_db, make_officer,
                                     pin):
    officer_id = make_officer("CB01", pin="9999")
    as_role("admin")
    response = submit(f"/officers/{officer_id}/pin", {"pin": pin, "confirm": pin})
    assert response.status_code == 200
    assert in_db(lambda s: s.get(Officer, officer_id).check_pin("9999"))


def test_setting_a_pin_hashes_it_lifts_the_lock_and_is_audited_without_it(
        client, province, as_role, submit, in_db, make_officer, audit_events):
    officer_id = make_officer("CB01", pin="9999")

    def lock(session):
        officer = session.get(Officer, officer_id)
        officer.failed_pins, officer.locked_until = 3, datetime.now(UTC) + timedelta(minutes=9)
    in_db(lock)
    as_role("admin")
    response = submit(f"/officers/{officer_id}/pin", {"pin": "20261", "confirm": "20262"})
    assert "Hai mã PIN không khớp nhau." in response.get_data(as_text=True)
    response = submit(f"/officers/{officer_id}/pin", {"pin": "20261", "confirm": "20261"})
    assert response.status_code == 302
    officer = in_db(lambda s: s.get(Officer, officer_id))
    assert officer.check_pin("20261") and not officer.check_pin("9999")
    assert (officer.failed_pins, officer.locked_until) == (0, None)
    (event,) = audit_events("set_pin")
    assert event["before"]["failed_pins"] == 3 and event["after"]["failed_pins"] == 0
    assert "20261" not in str(event) and officer.pin_hash not in str(event)
    assert "pin_hash" not in str(event)
    page = client.get(f"/officers/{officer_id}/pin").get_data(as_text=True)
    assert "20261" not in page


def test_deactivation_ends_the_officers_open_shifts_in_the_same_change(
        client, province, as_role, submit, in_db, make_officer, audit_events):
    officer_id = make_officer("CB01")
    other_id = make_officer("CB02")
    open_shift = _shift(in_db, officer_id, "H-AN-Q1")
    old_shift = _shift(in_db, officer_id, "H-AN-Q1", ended=True)
    others = _shift(in_db, other_id, "SNV-Q1")
    as_role("admin")
    response = submit(f"/officers/{officer_id}/active", page="/officers/",
                      follow_redirects=True)
    assert "Đã ngừng hoạt động cán bộ CB01; số ca trực đã kết thúc: 1." in \
        response.get_data(as_text=True)
    assert in_db(lambda s: s.get(Officer, officer_id).active) is False
    ended = in_db(lambda s: s.get(OfficerShift, open_shift))
    assert ended.ended_at is not None and ended.ended_reason == "deactivated"
    assert in_db(lambda s: s.get(OfficerShift, old_shift).ended_reason) == "signed_off"
    assert in_db(lambda s: s.get(OfficerShift, others).ended_at) is None
    submit(f"/officers/{officer_id}/active", page="/officers/")
    assert in_db(lambda s: s.get(Officer, officer_id).active) is True
    first, second = audit_events(entity="officer")
    assert (first["action"], first["before"]["active"], first["after"]["active"],
            first["after"]["shifts_ended"]) == ("deactivate", True, False, 1)
    assert (second["action"], second["after"]["active"]) == ("activate", True)


def test_unlock_clears_the_failed_pins_and_the_lock(client, province, as_role, submit, in_db,
                                                    make_officer, audit_events):
    officer_id = make_officer("CB01", pin="1234")
    until = datetime.now(UTC) + timedelta(minutes=15)

    def lock(session):
        officer = session.get(Officer, officer_id)
        officer.failed_pins, officer.locked_until = 0, until
    in_db(lock)
    as_role("admin")
    listing = client.get("/officers/").get_data(as_text=True)
    assert "bị khóa do nhập sai mã PIN" in listing and f"/officers/{officer_id}/unlock" in listing
    submit(f"/officers/{officer_id}/unlock", page="/officers/")
    officer = in_db(lambda s: s.get(Officer, officer_id))
    assert (officer.failed_pins, officer.locked_until) == (0, None)
    assert officer.check_pin("1234")
    (event,) = audit_events("unlock")
    assert event["before"]["locked_until"] is not None and event["after"]["locked_until"] is None


def test_forms_refuse_a_post_without_csrf_token(client, province, as_role, in_db,
                                                make_officer):
    officer_id = make_officer("CB01")
    as_role("admin")
    for url, data in (("/officers/new", {"code": "CB09", "name": "X", "agency_id": 1}),
                      (f"/officers/{officer_id}/active", {}),
                      (f"/officers/{officer_id}/unlock", {}),
                      (f"/officers/{officer_id}/pin", {"pin": "1234", "confirm": "1234"})):
        response = client.post(url, data=data)
        assert response.status_code == 400, url
    officer = in_db(lambda s: s.get(Officer, officer_id))
    assert officer.active and officer.pin_hash is None
    assert in_db(lambda s: s.query(Officer).count()) == 1


def test_analysts_read_the_list_but_manage_nothing(client, province, as_role, make_officer,
                                                   in_db, submit):
    officer_id = make_officer("CB01")
    as_role("analyst")
    html = client.get("/officers/").get_data(as_text=True)
    assert 'data-officer="CB01"' in html
    assert "/officers/new" not in html and f"/officers/{officer_id}/edit" not in html
    for url in ("/officers/new", f"/officers/{officer_id}/edit", f"/officers/{officer_id}/pin",
                "/officers/import"):
        assert client.get(url).status_code == 403, url
    response = submit(f"/officers/{officer_id}/active", page="/officers/")
    assert response.status_code == 403
    assert in_db(lambda s: s.get(Officer, officer_id).active) is True


def test_agency_viewers_see_only_their_subtrees_officers(client, province, as_role,
                                                         make_officer):
    make_officer("CB-S", "SNV")
    make_officer("CB-H", "H-AN")
    make_officer("CB-X", "X-AN1")
    as_role("agency_viewer", "H-AN")
    html = client.get("/officers/").get_data(as_text=True)
    assert 'data-officer="CB-H"' in html and 'data-officer="CB-X"' in html
    assert 'data-officer="CB-S"' not in html and "/officers/new" not in html


def test_anonymous_people_are_sent_to_sign_in(client, province, make_officer):
    officer_id = make_officer("CB01")
    for url in ("/officers/", "/officers/results", f"/officers/{officer_id}", "/officers/me",
                "/officers/import", "/officers/new"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/login"), url
