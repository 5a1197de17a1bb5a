"""Accessibility in CI: axe-core on every citizen page and every staff page type.

axe-core is vendored under ``tests/e2e/vendor/`` (version and licence in its README), so no
network is needed. The app's strict Content-Security-Policy would refuse the injected script,
so the test browser contexts (only they) are opened with ``bypass_csp=True``; the app's own
policy is checked to be still in place. Each audited page prints one line, e.g.
``axe citizen/kiosk-start /kiosk/…: 0 violations``, so the CI log shows what was checked.
"""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from kiosk_pages import screen
from sqlalchemy.exc import OperationalError

import survey.public.routes as public_routes
from survey.extensions import db
from survey.models import (
    Agency,
    Alert,
    Answer,
    Counter,
    FollowUp,
    Officer,
    Procedure,
    Questionnaire,
    Response,
    ResponseFlag,
    ServiceArea,
    User,
)

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_VERSION = "4.14.1"  # tests/e2e/vendor/README.md
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct-horse-battery"
PHONE = {"width": 390, "height": 844}

RUN_AXE = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '')
      .replace(/\\s+/g, ' ').slice(0, 300))})))"""

SETTLED = """() => document.readyState === 'complete' &&
  document.getAnimations().every(a => a.playState !== 'running')"""


class Audit:
    """Runs axe on pages, prints one line per page and remembers every violation."""

    def __init__(self, capsys):
        self.capsys = capsys
        self.found: dict[str, list[dict]] = {}
        self.checked: list[str] = []

    def __call__(self, page, name: str) -> int:
        page.wait_for_load_state("load")
        page.wait_for_function(SETTLED)
        if not page.evaluate("typeof window.axe === 'object'"):
            page.add_script_tag(path=str(AXE))
            assert page.evaluate("window.axe && axe.version") == AXE_VERSION
        violations = page.evaluate(RUN_AXE, TAGS)
        self.checked.append(name)
        path = page.url.split("/", 3)[-1] if "://" in page.url else page.url
        with self.capsys.disabled():
            print(f"\naxe WCAG 2.1 A/AA {name} /{path}: {len(violations)} violations", end="")
            for v in violations:
                print(f"\n    {v['id']} ({v['impact']}): {v['help']}", end="")
                for node in v["nodes"][:5]:
                    print(f"\n      {node}", end="")
        if violations:
            self.found[name] = violations
        return len(violations)

    def assert_clean(self) -> None:
        assert self.checked, "no page was audited"
        summary = {name: [f"{v['id']}: {v['nodes'][:3]}" for v in vs]
                   for name, vs in self.found.items()}
        assert not self.found, f"axe violations: {summary}"


@pytest.fixture
def audit(capsys):
    """``audit(page, name)`` runs axe; ``audit.assert_clean()`` fails on any violation."""
    return Audit(capsys)


@pytest.fixture
def new_context(browser):
    """Browser contexts that let the injected axe script run (test contexts only)."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "vi-VN")
        context = browser.new_context(bypass_csp=True, **options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()




def _retired_and_inactive(app) -> tuple[str, str]:
    """Retire the token of SNV-Q1 (return the old one) and deactivate X-AN1-Q1."""
    from survey.catalog import rotate_token

    with app.app_context():
        counter = db.session.query(Counter).filter_by(code="SNV-Q1").one()
        old = counter.token
        rotate_token(db.session, counter)
        inactive = db.session.query(Counter).filter_by(code="X-AN1-Q1").one()
        inactive.active = False
        db.session.commit()
        return old, inactive.token


def test_app_still_sends_its_strict_policy(province, live_server, new_context):
    page = new_context().new_page()
    response = page.goto(f"{live_server.url}/kiosk/{province.tokens['H-AN-Q1']}")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy.split("style-src-attr")[0]


def test_kiosk_screens_have_no_wcag_violations(app, province, live_server, new_context, audit):
    app.config["KIOSK_THANKS_SECONDS"] = 600
    page = new_context().new_page()
    page.goto(f"{live_server.url}/kiosk/{province.tokens['H-AN-Q1']}")
    page.locator("[data-action=start]").wait_for()
    audit(page, "citizen/kiosk-start")
    page.locator("[data-action=start]").click()
    page.locator("[data-action=area]").first.wait_for()
    audit(page, "citizen/kiosk-service-area")
    page.locator('[data-action=area][data-value="DATDAI"]').click()
    page.wait_for_function("document.getElementById('screen').dataset.screen === 'page-1'")
    audit(page, "citizen/kiosk-question-page-1")
    page.locator("[data-action=answer][data-value='4']").first.click()
    audit(page, "citizen/kiosk-question-page-1-answered")
    while screen(page).startswith("page-"):
        current = screen(page)
        page.locator("[data-action=next]").click()
        page.wait_for_function("s => document.getElementById('screen').dataset.screen !== s",
                               arg=current)
        if screen(page).startswith("page-"):
            audit(page, f"citizen/kiosk-question-{screen(page)}")
    assert screen(page) == "profile"
    page.locator("[data-action=profile]").first.click()
    audit(page, "citizen/kiosk-profile")
    page.locator("[data-action=send]").click()
    page.locator("[data-action=reset]").wait_for()
    audit(page, "citizen/kiosk-thank-you")
    audit.assert_clean()


def test_kiosk_english_large_text_notice_and_staff_tools(app, province, live_server,
                                                         new_context, audit):
    context = new_context(viewport={"width": 800, "height": 1280})
    page = context.new_page()
    page.goto(f"{live_server.url}/kiosk/{province.tokens['SNV-Q1']}")
    page.locator("[data-action=start]").wait_for()
    page.locator("#lang-toggle").click()
    page.locator("#text-toggle").click()
    audit(page, "citizen/kiosk-start-english-large")
    page.locator("[data-action=start]").click()
    page.locator("[data-action=answer]").first.wait_for()
    audit(page, "citizen/kiosk-question-english-large")
    while screen(page).startswith("page-"):
        current = screen(page)
        page.locator("[data-action=next]").click()
        page.wait_for_function("s => document.getElementById('screen').dataset.screen !== s",
                               arg=current)
    page.locator("[data-action=send]").click()
    page.locator(".notice[role=alert]").wait_for()
    audit(page, "citizen/kiosk-notice-one-answer-needed")

    # A sheet waiting offline and one set aside: the pending count and the staff dialog.
    context.set_offline(True)
    page.evaluate("""() => {
      const item = {id: 'a1b2c3d4-0000-4000-8000-000000000001', answers: {TC1: 4}};
      localStorage.setItem('sipas.kiosk.queue', JSON.stringify([item]));
      localStorage.setItem('sipas.kiosk.setaside',
                           JSON.stringify([{id: item.id, attempts: 8, item: item}]));
    }""")
    page.reload()
    page.locator("[data-testid=setaside]").click()
    page.locator("#setaside-dialog[open]").wait_for()
    audit(page, "citizen/kiosk-pending-and-set-aside-dialog")
    context.set_offline(False)
    audit.assert_clean()


def test_reasons_screens_have_no_wcag_violations(app, province, live_server, new_context, audit):
    """The kiosk's reasons screen (before and after a chip is chosen) and the QR form's
    reasons step, after a rating of 2."""
    page = new_context().new_page()
    page.goto(f"{live_server.url}/kiosk/{province.tokens['H-AN-Q1']}")
    page.locator("[data-action=start]").click()
    page.locator('[data-action=area][data-value="DATDAI"]').click()
    page.wait_for_function("document.getElementById('screen').dataset.screen === 'page-1'")
    page.locator("[data-action=answer][data-value='2']").first.click()
    while screen(page).startswith("page-"):
        current = screen(page)
        page.locator("[data-action=next]").click()
        page.wait_for_function("s => document.getElementById('screen').dataset.screen !== s",
                               arg=current)
    assert screen(page) == "reasons"
    audit(page, "citizen/kiosk-reasons")
    page.locator("[data-action=reason]").first.click()
    page.locator("[data-action=complaint]").click()
    audit(page, "citizen/kiosk-reasons-chosen")

    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{live_server.url}/q/{province.tokens['H-AN-Q1']}")
    phone.locator('input[name="service_area"][value="DATDAI"]').check()
    phone.locator('input[name="TC1"][value="2"]').check()
    phone.locator("button[type=submit]").first.click()
    phone.locator("#why-title").wait_for()
    audit(phone, "citizen/qr-reasons")
    audit.assert_clean()


def test_qr_form_thanks_and_token_states_have_no_wcag_violations(
        app, province, live_server, new_context, audit, monkeypatch):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    url = f"{live_server.url}/q/{province.tokens['H-AN-Q1']}"
    page.goto(url)
    audit(page, "citizen/qr-form")
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error, [role=alert]").count() > 0
    audit(page, "citizen/qr-form-with-errors")
    page.locator('input[name="service_area"][value="DATDAI"]').check()
    for code, value in [("TC1", "4"), ("TT2", "5"), ("HL", "4")]:
        page.locator(f'input[name="{code}"][value="{value}"]').check()
    page.locator("button[type=submit]").click()
    page.get_by_text("Xin cảm ơn!").wait_for()
    audit(page, "citizen/qr-thanks")

    page.goto(f"{live_server.url}/q/{province.tokens['H-AN-Q1']}?lang=en")
    audit(page, "citizen/qr-form-english")

    def database_down(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(public_routes, "store_submission", database_down)
    page.goto(f"{live_server.url}/q/{province.tokens['SNV-Q1']}?lang=vi")
    page.locator('input[name="TC1"][value="3"]').check()
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()
    audit(page, "citizen/qr-unavailable-503")
    monkeypatch.undo()

    retired, inactive = _retired_and_inactive(app)
    for kind, token, status in [("unknown", "no-such-token", 404), ("retired", retired, 410),
                                ("inactive", inactive, 410)]:
        for prefix in ("q", "kiosk"):
            response = page.goto(f"{live_server.url}/{prefix}/{token}")
            assert response.status == status
            audit(page, f"citizen/{prefix}-token-{kind}-{status}")
    audit.assert_clean()


def _flagged_response(app) -> int:
    """One automatically flagged response, for the quality pages; return its id."""
    with app.app_context():
        questionnaire = db.session.query(Questionnaire).filter_by(code="sipas").first()
        counter = db.session.query(Counter).filter_by(code="SNV-Q1").one()
        now = datetime.now(UTC)
        response = Response(
            uuid=uuid.uuid4(), questionnaire_id=questionnaire.id, questionnaire_code="sipas",
            counter_id=counter.id, agency_id=counter.agency_id,
            service_area_id=counter.service_areas[0].id, channel="kiosk",
            survey_date=date.today(), received_at=now, submitted_at=now, duration_seconds=4.0,
            client_id="tablet-a11y", status="flagged",
            answers=[Answer(item_code=c, value=5) for c in ("TC1", "TT1", "CC1", "KQ1")],
            flags=[ResponseFlag(kind="too_fast", detail="4.0 s for 4 answers")])
        db.session.add(response)
        db.session.commit()
        return response.id


def _ids(app) -> dict[str, int]:
    with app.app_context():
        ids = {name: db.session.query(model.id).order_by(model.id).limit(1).scalar()
               for name, model in [("agency", Agency), ("counter", Counter),
                                   ("area", ServiceArea), ("procedure", Procedure),
                                   ("user", User), ("response", Response)]}
        ids["questionnaire"] = (db.session.query(Questionnaire).filter_by(code="sipas")
                                .order_by(Questionnaire.version.desc()).first().id)
        ids["officer"] = db.session.query(Officer.id).order_by(Officer.id).limit(1).scalar()
        ids["follow_up"] = db.session.query(FollowUp.id).order_by(FollowUp.id).limit(1).scalar()
        for name, kind in (("drop_alert", "drop"), ("burst_alert", "top_burst")):
            ids[name] = db.session.query(Alert.id).filter_by(kind=kind).limit(1).scalar()
        return ids


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url("**/reports/**")


def test_signed_out_pages_have_no_wcag_violations(province, live_server, new_context, audit,
                                                  make_user):
    make_user("admin", username="ba-lan", password=PASSWORD)
    context = new_context()
    page = context.new_page()
    page.goto(live_server.url + "/")
    audit(page, "staff/landing")
    page.goto(live_server.url + "/?lang=en")
    audit(page, "staff/landing-english")
    page.goto(live_server.url + "/auth/login?lang=vi")
    audit(page, "staff/login")
    page.fill("input[name=username]", "ba-lan")
    page.fill("input[name=password]", "wrong-password")
    page.locator("form [type=submit]").click()
    page.wait_for_load_state()
    audit(page, "staff/login-refused")
    assert page.goto(live_server.url + "/no-such-page").status == 404
    audit(page, "errors/404")
    page.goto(live_server.url + "/auth/login")
    context.clear_cookies()
    page.fill("input[name=username]", "ba-lan")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_load_state()
    audit(page, "errors/csrf-400")
    audit.assert_clean()


@pytest.fixture
def demo_server(app, live_server):
    """The live server with a small demo province (agencies, counters, responses, totals)."""
    from survey import demo
    from survey.reports.compute import clear_cache

    clear_cache()
    from survey.alerts import watch
    from survey.alerts.calendar import LOCAL_TZ

    with app.app_context():
        demo.load(db.session, responses=400, today=date(2026, 11, 23))
        db.session.commit()
        watch.run(db.session, datetime(2026, 11, 25, 16, 0, tzinfo=LOCAL_TZ), send=False)
    yield live_server
    clear_cache()


def test_staff_pages_have_no_wcag_violations(app, demo_server, new_context, audit, make_user):
    make_user("admin", username="ba-lan", password=PASSWORD)
    ids = _ids(app)
    url = demo_server.url
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(page, url, "ba-lan")
    page.wait_for_function("Array.from(document.querySelectorAll('img.chart'))"
                           ".every(i => i.complete)", timeout=30000)
    audit(page, "staff/reports")
    page.goto(url + "/")
    audit(page, "staff/workspace-index")
    pages = [
        ("agencies", "/admin/agencies"),
        ("agency-new", "/admin/agencies/new"),
        ("agency-edit", f"/admin/agencies/{ids['agency']}/edit"),
        ("counters", "/admin/counters"),
        ("counter-new", "/admin/counters/new"),
        ("counter-edit", f"/admin/counters/{ids['counter']}/edit"),
        ("counter-rotate", f"/admin/counters/{ids['counter']}/rotate"),
        ("service-areas", "/admin/service-areas"),
        ("service-area-new", "/admin/service-areas/new"),
        ("service-area-edit", f"/admin/service-areas/{ids['area']}/edit"),
        ("procedures", "/admin/procedures"),
        ("procedure-new", "/admin/procedures/new"),
        ("totals", "/admin/totals"),
        ("questionnaires", "/admin/questionnaires"),
        ("questionnaire-preview", f"/admin/questionnaires/{ids['questionnaire']}"),
        ("questionnaire-preview-english",
         f"/admin/questionnaires/{ids['questionnaire']}?text=en"),
        ("questionnaire-editor", f"/admin/questionnaires/{ids['questionnaire']}/edit"),
        ("users", "/admin/users"),
        ("user-new", "/admin/users/new"),
        ("user-password", f"/admin/users/{ids['user']}/password"),
        ("audit", "/admin/audit"),
        ("quality", "/admin/quality"),
        ("quality-flag", f"/admin/quality/{ids['response']}/flag"),
        ("quality-exclude", f"/admin/quality/{ids['response']}/exclude"),
        ("set-aside", "/admin/set-aside"),
        ("alerts", "/alerts/?status=all"),
        ("alert-drop", f"/alerts/{ids['drop_alert']}"),
        ("alert-burst", f"/alerts/{ids['burst_alert']}"),
        ("officers", "/officers/"),
        ("officer-new", "/officers/new"),
        ("officer-edit", f"/officers/{ids['officer']}/edit"),
        ("officer-pin", f"/officers/{ids['officer']}/pin"),
        ("officer-results", "/officers/results"),
        ("officer", f"/officers/{ids['officer']}"),
        ("officers-import", "/officers/import"),
        ("portal", "/reports/portal?period=2026-Q4"),
        ("follow-ups", "/followups/"),
        ("follow-ups-summary", "/followups/summary"),
        ("field-surveys", "/fieldwork/"),
        ("api-clients", "/integrations/clients"),
        ("api-client-new", "/integrations/clients/new"),
    ]
    if ids["follow_up"]:
        pages.append(("follow-up", f"/followups/{ids['follow_up']}"))
    if ids["procedure"]:
        pages.append(("procedure-edit", f"/admin/procedures/{ids['procedure']}/edit"))
    for name, path in pages:
        response = page.goto(url + path)
        assert response.status == 200, (path, response.status)
        audit(page, f"staff/{name}")
    officer = new_context(viewport={"width": 390, "height": 844}).new_page()
    officer.goto(url + "/auth/login")
    officer.fill("input[name=username]", "officer")
    officer.fill("input[name=password]", "sipas-demo-officer")
    officer.locator("form [type=submit]").click()
    officer.wait_for_url("**/officers/me")
    audit(officer, "staff/officer-own-results-phone")
    audit.assert_clean()


def test_staff_error_and_result_states_have_no_wcag_violations(
        app, province, live_server, new_context, audit, make_user):
    """Forms with validation errors, the editor's preview and problem list, upload results,
    the printable poster, a refused page and the empty report."""
    make_user("admin", username="ba-lan", password=PASSWORD)
    make_user("agency_viewer", "H-AN", username="viewer-an", password=PASSWORD)
    response_id = _flagged_response(app)
    ids = _ids(app)
    url = live_server.url
    context = new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, url, "ba-lan")
    audit(page, "staff/reports-no-data")
    page.goto(url + "/reports/?lang=en")
    audit(page, "staff/reports-no-data-english")
    page.goto(url + "/admin/agencies?lang=vi")

    for name, path in [("agency-new", "/admin/agencies/new"),
                       ("counter-new", "/admin/counters/new"),
                       ("service-area-new", "/admin/service-areas/new"),
                       ("procedure-new", "/admin/procedures/new"),
                       ("user-new", "/admin/users/new"),
                       ("user-password", f"/admin/users/{ids['user']}/password"),
                       ("quality-flag", f"/admin/quality/{response_id}/flag"),
                       ("totals", "/admin/totals"),
                       ("set-aside", "/admin/set-aside")]:
        page.goto(url + path)
        page.locator("main form[method=post] [type=submit]").last.click()
        page.wait_for_load_state()
        audit(page, f"staff/{name}-with-errors")

    page.goto(url + "/admin/set-aside")
    page.set_input_files("input[type=file]", files=[{
        "name": "sheets.json", "mimeType": "application/json",
        "buffer": b'[{"id": "not-a-sheet"}]'}])
    page.locator("main form[method=post] [type=submit]").last.click()
    page.locator("[data-testid=setaside-report]").wait_for()
    audit(page, "staff/set-aside-report")

    page.goto(url + "/admin/quality?status=all")
    audit(page, "staff/quality-all")
    page.goto(url + f"/admin/questionnaires/{ids['questionnaire']}/edit")
    page.get_by_role("button", name="Xem trước bằng tiếng Việt").first.click()
    page.locator("#preview").wait_for()
    audit(page, "staff/questionnaire-editor-preview")
    page.fill("#elements-0-weight", "-1")
    page.fill("#elements-0-criteria-0-question_vi", "")
    page.get_by_role("button", name="Kiểm tra và công bố").first.click()
    page.locator("#problems li").first.wait_for()
    audit(page, "staff/questionnaire-editor-problems")

    page.goto(url + f"/kiosk/poster/{province.tokens['H-AN-Q1']}")
    audit(page, "staff/counter-poster")

    viewer = new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(viewer, url, "viewer-an")
    audit(viewer, "staff/reports-agency-viewer")
    assert viewer.goto(url + "/reports/?agency=SNV").status == 403
    audit(viewer, "errors/403")
    audit.assert_clean()
