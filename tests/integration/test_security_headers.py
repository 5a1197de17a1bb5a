"""Security hardening: headers on every response, the CSP in a real browser, safe ``?next=``
redirects and the production secret key check."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from config import DEFAULT_SECRET_KEY, load_config, secret_key_problem
from survey import create_app, demo
from survey.extensions import db
from survey.main.security import safe_next
from survey.reports.compute import clear_cache

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"
STRONG_KEY = "kP3_vQ9zLw-7RtYb2NcXe5HjMa8UsDf1GoQiZ4Vx6BnT0yWu"
HARDENING = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
             "Referrer-Policy": "same-origin"}


def _get(client, path: str, **kwargs):
    """GET ``path`` and close the response (static files hold an open file until then)."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def _assert_hardened(response) -> None:
    """The response carries the CSP (no framing, no inline scripts) and the fixed headers."""
    for name, value in HARDENING.items():
        assert response.headers.get(name) == value, (name, response.headers)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-eval'" not in policy
    assert "http:" not in policy and "https:" not in policy and "*" not in policy


@pytest.mark.parametrize("path", ["/", "/auth/login", "/healthz", "/static/css/app.css",
                                  "/static/kiosk/kiosk.js", "/kiosk/sw.js",
                                  "/no-such-page", "/api/v1/questionnaires/no-such",
                                  "/kiosk/not-a-token", "/reports/"])
def test_every_kind_of_response_is_hardened(client, path):
    response = _get(client, path)
    _assert_hardened(response)
    assert "Strict-Transport-Security" not in response.headers


def test_pages_and_api_of_a_counter_are_hardened(client, province):
    token = province.tokens["H-AN-Q1"]
    for path in (f"/kiosk/{token}", f"/q/{token}", "/api/v1/questionnaires/sipas",
                 f"/kiosk/poster/{token}", f"/kiosk/poster/{token}.svg"):
        response = _get(client, path)
        assert response.status_code == 200, path
        _assert_hardened(response)
    post = client.post("/api/v1/responses", json={"nonsense": True})
    assert post.status_code >= 400
    _assert_hardened(post)


def test_main_policy_forbids_inline_scripts():
    policy = _get(create_app("testing").test_client(), "/static/css/app.css").headers[
        "Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["default-src"] == "'self'"


def test_svg_documents_may_not_run_scripts(client, province):
    policy = client.get(f"/kiosk/poster/{province.tokens['H-AN-Q1']}.svg").headers[
        "Content-Security-Policy"]
    assert policy.startswith("default-src 'none'") and "script-src" not in policy


def test_hsts_only_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("SIPAS_SECRET_KEY", STRONG_KEY)
    app = create_app({"CONFIG_NAME": "production",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}"})
    for path in ("/static/css/app.css", "/no-such-page", "/auth/login"):
        response = _get(app.test_client(), path)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        _assert_hardened(response)


@pytest.mark.parametrize("hostile", [
    "/%09/evil.example", "/\t/evil.example", "//evil.example", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "https://evil.example/", "http:/evil.example",
    "javascript:alert(1)", "evil.example", "/%2F/evil.example", "/%5Cevil.example",
    "/\r\n/evil.example", "/%0d%0a/evil.example", " //evil.example", "%2F%2Fevil.example",
    "/\x00/evil.example", "/%00/evil.example", "/\x7f/evil.example"])
def test_language_switch_never_leaves_the_site(client, hostile):
    response = client.get("/lang/en", query_string={"next": hostile})
    assert response.status_code == 302
    assert response.headers["Location"] == "/?lang=en", hostile


def test_hostile_next_sent_raw_is_refused(client):
    response = client.get("/lang/en?next=/%09/evil.example")
    assert response.headers["Location"] == "/?lang=en"


@pytest.mark.parametrize("target, expected", [
    ("/reports/", "/reports/?lang=vi"),
    ("/reports/?period=2026-Q3", "/reports/?period=2026-Q3&lang=vi"),
    ("/admin/agencies#top", "/admin/agencies?lang=vi#top"),
])
def test_language_switch_returns_to_the_page(client, target, expected):
    response = client.get("/lang/vi", query_string={"next": target})
    assert response.headers["Location"] == expected


def test_unknown_language_is_ignored(client):
    response = client.get("/lang/xx", query_string={"next": "/reports/"})
    assert response.headers["Location"] == "/reports/"


def test_safe_next_falls_back():
    assert safe_next(None) == "/" and safe_next("") == "/"
    assert safe_next("//evil.example", "/home") == "/home"
    assert safe_next("/q/abc?x=1") == "/q/abc?x=1"


@pytest.mark.parametrize("key", [
    None, "", DEFAULT_SECRET_KEY, "short-but-random-3kQ", "a" * 32, "a" * 64, "ab" * 20,
    "0123456789" * 4, "abcdefghijklmnopqrstuvwxyz012345", "x9Y" * 12,
    "my-production-secret-key-2026-for-the-province", "changeme-changeme-changeme-123",
])
def test_production_refuses_a_weak_secret_key(monkeypatch, key):
    if key is None:
        monkeypatch.delenv("SIPAS_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SIPAS_SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SIPAS_SECRET_KEY") as refused:
        load_config("production")
    assert "secrets.token_urlsafe(48)" in str(refused.value)


def test_generated_keys_are_accepted(monkeypatch):
    import secrets

    for key in [STRONG_KEY] + [secrets.token_urlsafe(48) for _ in range(200)] + [
            secrets.token_hex(32) for _ in range(200)]:
        assert secret_key_problem(key) is None, key
    monkeypatch.setenv("SIPAS_SECRET_KEY", secrets.token_urlsafe(48))
    assert load_config("production")["SESSION_COOKIE_SECURE"] is True


# --- The policy in a real browser -------------------------------------------------------------
# Playwright's sync API cannot run twice in one process (the browser tests of tests/e2e keep
# theirs open for the whole session), so the browser runs in a child process and reports every
# console message, page error and CSP violation event as JSON.

BROWSER_SCRIPT = r"""
import json, sys
from playwright.sync_api import sync_playwright

base, token, username, password = sys.argv[1:5]
seen = []
args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
WATCH = ("document.addEventListener('securitypolicyviolation', e => console.error("
         "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
         "window.print = () => { window.__printed = true; };")

def watch(page, name):
    page.on("console", lambda m: seen.append([name, m.type, m.text, m.location.get("url", "")]))
    page.on("pageerror", lambda e: seen.append([name, "pageerror", str(e), page.url]))

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    page = context.new_page()
    watch(page, "pages")
    page.goto(f"{base}/kiosk/{token}")
    page.locator("[data-action=start]").click()
    page.locator("[data-action=answer], [data-action=area]").first.wait_for()
    worker = page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
    page.goto(f"{base}/q/{token}")
    page.wait_for_load_state("load")
    page.goto(f"{base}/kiosk/poster/{token}")
    page.locator(".actions button").click()
    printed = page.evaluate("window.__printed === true")
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form [type=submit]").click()
    page.wait_for_url("**/reports/**")
    page.wait_for_function("Array.from(document.querySelectorAll('img.chart'))"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=60000)
    for path in ("/admin/agencies", "/admin/counters", "/admin/quality", "/admin/users", "/"):
        page.goto(base + path)
        page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    browser.close()
print(json.dumps({"messages": seen, "printed": printed, "worker": worker}))
"""


@pytest.fixture(params=["sqlite"])
def backend(request) -> str:
    """The browser check runs against SQLite only (the server lives in this process)."""
    return request.param


@pytest.mark.e2e
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")
def test_no_page_breaks_the_content_security_policy(app, make_user):
    """Kiosk (with its service worker), QR form, poster, report page with charts and the
    workspace pages load in Chromium without one CSP violation or script error."""
    import threading

    from werkzeug.serving import make_server

    clear_cache()
    with app.app_context():
        demo.load(db.session, responses=400, today=date(2026, 11, 23))
        db.session.commit()
        from survey.models import Counter
        token = db.session.scalars(db.select(Counter.token).order_by(Counter.code)).first()
    make_user("admin", username="csp-admin", password=PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = base
        child = subprocess.run([sys.executable, "-c", BROWSER_SCRIPT, base, token, "csp-admin",
                                PASSWORD], capture_output=True, text=True, timeout=240, check=False)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        clear_cache()
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    problems = [m for m in report["messages"] if (m[1] in ("error", "pageerror")
                or "Content Security Policy" in m[2]) and not m[3].endswith("/favicon.ico")]
    assert problems == [], problems
    assert report["printed"], "the poster's Print button was blocked"
    assert report["worker"], "the kiosk's service worker did not start"
