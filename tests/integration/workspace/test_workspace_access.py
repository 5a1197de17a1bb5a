"""Who may open which /admin page: managers everywhere, admins alone on users and audit."""
from __future__ import annotations

ADMIN_ONLY = ("/admin/users", "/admin/audit")


def _send(client, method: str, url: str, token: str | None = None):
    data = {"csrf_token": token} if token else None
    return client.open(url, method=method, data=data)


def test_every_admin_page_is_forbidden_to_agency_viewers(client, admin_urls, as_role,
                                                         session_token):
    as_role("agency_viewer", "H-AN")
    assert len(admin_urls) > 25
    token = session_token()
    for method, url in admin_urls:
        response = _send(client, method, url, token)
        assert response.status_code == 403, (method, url, response.status_code)


def test_admin_pages_send_anonymous_people_to_sign_in(client, admin_urls):
    for method, url in admin_urls:
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/auth/login"), url


def test_analysts_cannot_manage_users_or_read_the_audit_log(client, admin_urls, as_role,
                                                            session_token):
    as_role("analyst")
    token = session_token()
    for method, url in admin_urls:
        response = _send(client, method, url, token)
        if url.startswith(ADMIN_ONLY):
            assert response.status_code == 403, (method, url)
        elif method == "GET":
            assert response.status_code == 200, (method, url)


def test_admins_can_open_every_page(client, admin_urls, as_role):
    as_role("admin")
    for method, url in admin_urls:
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_workspace_nav_shows_management_links_by_role(client, as_role):
    as_role("analyst")
    html = client.get("/admin/counters").get_data(as_text=True)
    assert "/admin/agencies" in html and "/admin/users" not in html


def test_management_forms_refuse_a_post_without_csrf_token(client, province, as_role, in_db):
    from survey.models import Agency, Counter, RetiredToken

    as_role("admin")
    counter_id = in_db(lambda s: s.query(Counter).filter_by(code="SNV-Q1").one().id)
    attempts = [("/admin/agencies/new", {"code": "NEW", "name": "Mới", "level": 1,
                                         "parent_id": 0}),
                (f"/admin/counters/{counter_id}/rotate", {}),
                (f"/admin/counters/{counter_id}/active", {}),
                ("/admin/users/new", {"username": "x", "role": "analyst", "agency_id": 0,
                                      "password": "long-enough-pass",
                                      "confirm": "long-enough-pass"})]
    for url, data in attempts:
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "Phiếu này đã hết hạn" in response.get_data(as_text=True)
    assert in_db(lambda s: s.query(Agency).filter_by(code="NEW").count()) == 0
    assert in_db(lambda s: s.query(RetiredToken).count()) == 0
    assert in_db(lambda s: s.get(Counter, counter_id).active) is True


def test_anonymous_visitor_is_asked_to_sign_in_in_vietnamese(client):
    response = client.get("/admin/quality", follow_redirects=True)
    assert "Xin đăng nhập để mở trang này." in response.get_data(as_text=True)


def test_agency_viewer_lands_on_reports_after_sign_in(client, province, make_user, sign_in):
    make_user("agency_viewer", "H-AN")
    assert sign_in("agency_viewer-H-AN").headers["Location"] == "/reports/"
