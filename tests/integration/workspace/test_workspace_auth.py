"""Signing in and out of the workspace: passwords, lock-out, safe redirects, CSRF."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from survey.models import User

LOCK_TEXT = "Đăng nhập sai quá nhiều lần"


def _user(in_db, username: str) -> dict:
    def load(session):
        user = session.query(User).filter_by(username=username).one()
        return {"failed": user.failed_logins, "locked_until": user.locked_until,
                "last_login_at": user.last_login_at}
    return in_db(load)


def test_login_page_is_vietnamese_and_has_a_csrf_token(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert "Đăng nhập" in html and 'name="csrf_token"' in html


def test_successful_login_redirects_to_reports_and_records_the_time(client, make_user, sign_in,
                                                                     in_db, audit_events):
    make_user("analyst")
    response = sign_in("analyst-all")
    assert response.status_code == 302
    assert response.headers["Location"] == "/reports/"
    assert _user(in_db, "analyst-all")["last_login_at"] is not None
    assert client.get("/admin/counters").status_code == 200
    assert audit_events("login")[0]["after"] == {"username": "analyst-all"}


def test_login_follows_a_local_next_but_never_another_site(client, make_user, sign_in,
                                                           token_of):
    make_user("analyst")
    assert sign_in("analyst-all", next_url="/admin/totals").headers["Location"] == "/admin/totals"
    client.post("/auth/logout", data={"csrf_token": token_of("/admin/totals")})
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert sign_in("analyst-all", next_url=evil).headers["Location"] == "/reports/"
        client.post("/auth/logout", data={"csrf_token": token_of("/admin/totals")})


def test_wrong_password_is_refused_with_a_neutral_message(client, make_user, sign_in, in_db):
    make_user("analyst")
    wrong = sign_in("analyst-all", "not-the-password")
    unknown = sign_in("nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    text = "Sai tên đăng nhập hoặc mật khẩu"
    assert text in wrong.get_data(as_text=True) and text in unknown.get_data(as_text=True)
    assert _user(in_db, "analyst-all")["failed"] == 1
    assert client.get("/admin/counters").status_code == 302


def test_account_locks_after_max_failures_even_for_the_right_password(app, client, make_user,
                                                                    sign_in, in_db):
    app.config["LOGIN_MAX_FAILURES"] = 3
    make_user("analyst")
    for _ in range(2):
        assert LOCK_TEXT not in sign_in("analyst-all", "bad-password").get_data(as_text=True)
    third = sign_in("analyst-all", "bad-password")
    assert LOCK_TEXT in third.get_data(as_text=True)
    state = _user(in_db, "analyst-all")
    assert state["failed"] == 3 and state["locked_until"] is not None
    right = sign_in("analyst-all")
    assert right.status_code == 401 and LOCK_TEXT in right.get_data(as_text=True)


def test_lock_message_does_not_reveal_whether_the_name_exists(app, make_user, sign_in):
    app.config["LOGIN_MAX_FAILURES"] = 2
    make_user("analyst")
    real = [sign_in("analyst-all", "bad-password").get_data(as_text=True) for _ in range(3)]
    fake = [sign_in("ghost-user", "bad-password").get_data(as_text=True) for _ in range(3)]
    assert [LOCK_TEXT in page for page in real] == [LOCK_TEXT in page for page in fake] == [
        False, True, True]


def test_lock_expires_and_success_resets_the_counter(app, client, make_user, sign_in, in_db):
    app.config["LOGIN_MAX_FAILURES"] = 2
    make_user("analyst")
    sign_in("analyst-all", "bad-password")
    sign_in("analyst-all", "bad-password")

    def expire(session):
        user = session.query(User).filter_by(username="analyst-all").one()
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    in_db(expire)
    assert sign_in("analyst-all").status_code == 302
    state = _user(in_db, "analyst-all")
    assert state["failed"] == 0 and state["locked_until"] is None


def test_deactivated_user_cannot_sign_in(make_user, sign_in, in_db):
    make_user("analyst")

    def deactivate(session):
        session.query(User).filter_by(username="analyst-all").one().active = False
    in_db(deactivate)
    assert sign_in("analyst-all").status_code == 401


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("analyst")
    response = client.post("/auth/login", data={"username": "analyst-all",
                                                "password": "correct-horse-battery"})
    assert response.status_code == 400
    assert client.get("/admin/counters").status_code == 302


def test_logout_needs_post_and_csrf(client, make_user, sign_in, token_of):
    make_user("analyst")
    sign_in("analyst-all")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/admin/counters").status_code == 200
    response = client.post("/auth/logout", data={"csrf_token": token_of("/admin/counters")})
    assert response.status_code == 302
    assert client.get("/admin/counters").status_code == 302


def test_session_cookie_is_http_only(client, make_user, sign_in):
    make_user("analyst")
    cookie = sign_in("analyst-all").headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_after_the_lock_expires_counting_starts_again(app, make_user, sign_in, in_db):
    app.config["LOGIN_MAX_FAILURES"] = 2
    make_user("analyst")
    sign_in("analyst-all", "bad-password")
    sign_in("analyst-all", "bad-password")

    def expire(session):
        user = session.query(User).filter_by(username="analyst-all").one()
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    in_db(expire)
    page = sign_in("analyst-all", "bad-password").get_data(as_text=True)
    assert LOCK_TEXT not in page
    state = _user(in_db, "analyst-all")
    assert state["failed"] == 1 and state["locked_until"] is None
