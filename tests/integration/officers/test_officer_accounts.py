"""Officer accounts and e-mail addresses: the user form, the e-mail page, ``create-user``."""
from __future__ import annotations

import pytest

from survey.models import User

PASSWORD = "long-enough-pass"


def _user(in_db, username):
    return in_db(lambda s: s.query(User).filter_by(username=username).one_or_none())


def _form(**values) -> dict:
    data = {"username": "lan", "role": "officer", "agency_id": 0, "officer_id": 0, "email": "",
            "password": PASSWORD, "confirm": PASSWORD}
    data.update(values)
    return data


def test_an_officer_account_gets_the_officers_agency_and_is_audited(
        client, province, as_role, submit, in_db, make_officer, audit_events, sign_in):
    officer_id = make_officer("CB01", "X-AN1")
    as_role("admin")
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert "Cán bộ (chỉ xem kết quả của mình)" in page and "CB01 · Cán bộ CB01 (X-AN1)" in page
    response = submit("/admin/users/new", _form(
        officer_id=officer_id, agency_id=province.agency_ids["SNV"],
        email="lan@anphu.gov.vn"))
    assert response.status_code == 302
    user = _user(in_db, "lan")
    assert (user.role, user.officer_id, user.agency_id, user.email) == (
        "officer", officer_id, province.agency_ids["X-AN1"], "lan@anphu.gov.vn")
    event = audit_events("create", "user")[-1]
    assert event["after"]["officer_id"] == officer_id
    assert event["after"]["email"] == "lan@anphu.gov.vn" and PASSWORD not in str(event)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "lan@anphu.gov.vn" in listing and "<code>CB01</code>" in listing
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    response = sign_in("lan", PASSWORD)
    assert response.headers["Location"] == "/officers/me"


def _token(client):
    import re
    html = client.get("/admin/users").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_an_officer_account_needs_an_active_officer_of_its_own(
        client, province, as_role, submit, in_db, make_officer, make_user):
    officer_id = make_officer("CB01")
    retired = make_officer("CB02", active=False)
    as_role("admin")
    response = submit("/admin/users/new", _form())
    assert "Tài khoản cán bộ phải gắn với một cán bộ đang hoạt động." in \
        response.get_data(as_text=True)
    response = submit("/admin/users/new", _form(officer_id=retired))
    assert "Lựa chọn không hợp lệ" in response.get_data(as_text=True)
    assert submit("/admin/users/new", _form(officer_id=officer_id)).status_code == 302
    response = submit("/admin/users/new", _form(username="lan2", officer_id=officer_id))
    assert "Cán bộ này đã có tài khoản lan." in response.get_data(as_text=True)
    assert _user(in_db, "lan2") is None
    assert in_db(lambda s: s.query(User).filter_by(role="officer").count()) == 1


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "lan@anphu.gov.vn\r\nBcc: x@y.vn",
                                   "lan @anphu.gov.vn", "lan@anphu..vn", "x" * 250 + "@a.vn",
                                   "lan\x00@anphu.gov.vn"])
def test_a_bad_email_address_is_refused(client, province, as_role, submit, in_db, email):
    as_role("admin")
    response = submit("/admin/users/new", _form(role="analyst", email=email))
    assert response.status_code == 200
    assert "Hãy nhập một địa chỉ thư điện tử" in response.get_data(as_text=True) or \
        "Độ dài không được quá 254 ký tự" in response.get_data(as_text=True)
    assert _user(in_db, "lan") is None


def test_every_user_may_have_an_email_address_set_changed_and_removed(
        client, province, as_role, submit, in_db, make_user, audit_events):
    as_role("admin")
    analyst = make_user("analyst")
    response = submit(f"/admin/users/{analyst}/email", {"email": "  mai@snv.gov.vn "})
    assert response.status_code == 302
    assert in_db(lambda s: s.get(User, analyst).email) == "mai@snv.gov.vn"
    response = submit(f"/admin/users/{analyst}/email", {"email": "mai at snv"})
    assert "Hãy nhập một địa chỉ thư điện tử" in response.get_data(as_text=True)
    submit(f"/admin/users/{analyst}/email", {"email": ""})
    assert in_db(lambda s: s.get(User, analyst).email) is None
    first, second = audit_events("update", "user")
    assert (first["before"]["email"], first["after"]["email"]) == (None, "mai@snv.gov.vn")
    assert (second["before"]["email"], second["after"]["email"]) == ("mai@snv.gov.vn", None)
    assert client.get("/admin/users/999999/email").status_code == 404


def test_create_user_on_the_command_line_makes_an_officer_account(app, runner, province,
                                                                  make_officer, in_db):
    officer_id = make_officer("CB01", "X-AN1")
    make_officer("CB02", active=False)
    env = {"SIPAS_NEW_USER_PASSWORD": PASSWORD}
    result = runner.invoke(args=["sipas", "create-user", "lan", "--role", "officer",
                                 "--officer", "CB01", "--email", "lan@anphu.gov.vn"], env=env)
    assert result.exit_code == 0, result.output
    user = _user(in_db, "lan")
    assert (user.role, user.officer_id, user.agency_id, user.email) == (
        "officer", officer_id, province.agency_ids["X-AN1"], "lan@anphu.gov.vn")
    for args, message in (
            (["x1", "--role", "officer"], "needs --officer CODE"),
            (["x2", "--role", "officer", "--officer", "NOPE"], "unknown officer 'NOPE'"),
            (["x3", "--role", "officer", "--officer", "CB02"], "officer 'CB02' is inactive"),
            (["x4", "--role", "analyst", "--officer", "CB01"], "only for role officer"),
            (["x5", "--role", "officer", "--officer", "CB01", "--agency", "SNV"],
             "leave out --agency"),
            (["x6", "--role", "analyst", "--email", "nope"], "is not an e-mail address"),
            (["x7", "--role", "officer", "--officer", "CB01"],
             "officer 'CB01' already has the account 'lan'")):
        result = runner.invoke(args=["sipas", "create-user", *args], env=env)
        assert result.exit_code == 1, args
        assert message in result.output + getattr(result, "stderr", ""), args
    assert in_db(lambda s: s.query(User).count()) == 1
