"""Kiosk page, service worker, posters and friendly pages for replaced or unknown codes."""
from __future__ import annotations

import json
import re

import pytest

from survey.extensions import db
from survey.models import Counter

KIOSK_BUDGET = 200 * 1024


def _settings(html: str) -> dict:
    match = re.search(r'<script id="kiosk-settings" type="application/json">(.*?)</script>', html,
                      re.DOTALL)
    return json.loads(match.group(1))


def _rotate(app, code: str) -> None:
    from survey.catalog import rotate_token

    with app.app_context():
        rotate_token(db.session, db.session.query(Counter).filter_by(code=code).one())
        db.session.commit()


def test_kiosk_page_embeds_everything_it_needs_to_render_offline(client, province):
    reply = client.get(f"/kiosk/{province.tokens['H-AN-Q1']}")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert '<html lang="vi">' in html
    settings = _settings(html)
    assert settings["questionnaire"]["code"] == "sipas"
    assert [a["code"] for a in settings["areas"]] == ["DATDAI", "XAYDUNG"]
    assert settings["texts"]["vi"]["send"] == "Gửi" and settings["texts"]["en"]["send"] == "Send"
    assert settings["idle"] == 90 and settings["thanks"] == 6


def test_kiosk_idle_can_be_overridden_for_tests(client, province):
    html = client.get(f"/kiosk/{province.tokens['SNV-Q1']}?idle=3&thanks=1").get_data(True)
    assert (_settings(html)["idle"], _settings(html)["thanks"]) == (3, 1)


def test_kiosk_first_load_is_under_200_kb(client, province):
    html = client.get(f"/kiosk/{province.tokens['H-AN-Q1']}").get_data()
    total = len(html)
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
        with client.get(url.decode().replace("&amp;", "&")) as asset:
            assert asset.status_code == 200
            total += len(asset.get_data())
    assert total < KIOSK_BUDGET, f"kiosk first load is {total / 1024:.1f} kB"


def test_kiosk_loads_nothing_from_the_internet(client, province):
    html = client.get(f"/kiosk/{province.tokens['SNV-Q1']}").get_data(as_text=True)
    with client.get("/static/kiosk/kiosk.css") as reply:
        css = reply.get_data(as_text=True)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert "http" not in css and "@import" not in css


def test_service_worker_scope_covers_the_kiosk(client):
    reply = client.get("/kiosk/sw.js")
    assert reply.status_code == 200
    assert reply.mimetype == "application/javascript"
    assert reply.headers["Service-Worker-Allowed"] == "/kiosk/"
    assert "/static/kiosk/kiosk.js" in reply.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/kiosk/{}", "/q/{}", "/kiosk/poster/{}", "/kiosk/poster/{}.svg"])
def test_rotated_token_shows_a_friendly_page(app, client, province, path):
    old = province.tokens["SNV-Q1"]
    _rotate(app, "SNV-Q1")
    reply = client.get(path.format(old))
    assert reply.status_code == 410
    assert "Mã này đã được thay" in reply.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/kiosk/{}", "/q/{}", "/kiosk/poster/{}.svg"])
def test_unknown_token_is_a_friendly_404(client, province, path):
    reply = client.get(path.format("no-such-token"))
    assert reply.status_code == 404
    assert "Traceback" not in reply.get_data(as_text=True)
    assert "<html" in reply.get_data(as_text=True)


def test_deactivated_counter_shows_a_friendly_page(app, client, province):
    with app.app_context():
        db.session.query(Counter).filter_by(code="SNV-Q1").one().active = False
        db.session.commit()
    for path in ("/kiosk/{}", "/q/{}"):
        reply = client.get(path.format(province.tokens["SNV-Q1"]))
        assert reply.status_code == 410
        assert "không tham gia khảo sát" in reply.get_data(as_text=True)


def test_poster_svg_has_qr_names_and_url(app, client, province):
    token = province.tokens["H-AN-Q1"]
    reply = client.get(f"/kiosk/poster/{token}.svg")
    assert reply.status_code == 200 and reply.mimetype == "image/svg+xml"
    svg = reply.get_data(as_text=True)
    assert "UBND huyện An Phú" in svg and "Quầy 1" in svg
    assert f"/q/{token}" in svg and 'class="segno"' in svg
    assert 'width="210mm"' in svg
    assert 'width="148mm"' in client.get(f"/kiosk/poster/{token}.svg?size=a5").get_data(True)


def test_poster_html_is_print_ready(client, province):
    token = province.tokens["SNV-Q1"]
    html = client.get(f"/kiosk/poster/{token}").get_data(as_text=True)
    assert "@page { size: A4" in html and "Sở Nội vụ" in html and f"/q/{token}" in html
    assert "@page { size: A5" in client.get(f"/kiosk/poster/{token}?size=a5").get_data(True)


def _definition(code: str) -> dict:
    from survey import questionnaires as qdefs

    return qdefs.load_file(qdefs.FOLDER / f"{code}.json")


@pytest.mark.parametrize("code", ["sipas", "sipas-2023"])
def test_every_question_is_asked_as_satisfaction_in_both_languages(code):
    from survey import questionnaires as qdefs

    definition = _definition(code)
    questions = [c["question"] for c in qdefs.criteria(definition)]
    questions += [e["overall"]["question"] for e in definition["elements"] if "overall" in e]
    questions.append(definition["overall"]["question"])
    for question in questions:
        assert "hài lòng thế nào với" in question["vi"], question
        assert question["vi"].startswith(("Ông/Bà", "Nhìn chung, Ông/Bà")), question
        assert "how satisfied are you with" in question["en"].lower(), question
        assert len(question["vi"]) <= 80 and question["vi"].endswith("?"), question


def test_init_publishes_the_new_wording_and_the_kiosk_serves_the_latest(app, client, province,
                                                                        runner):
    """A database holding only the old version gets the new one from ``flask sipas init``; the
    old version stays, and the kiosk and the QR form serve the new one."""
    import copy

    import sqlalchemy as sa

    from survey.catalog import publish_questionnaire
    from survey.models import Questionnaire

    shipped = _definition("sipas")
    older = copy.deepcopy(shipped)
    older["version"] = shipped["version"] - 1
    older["elements"][0]["criteria"][0]["question"] = {
        "vi": "Chỗ ngồi chờ có đủ cho mọi người không?",
        "en": "Were there enough seats while you waited?"}
    with app.app_context():
        db.session.execute(sa.delete(Questionnaire).where(Questionnaire.code == "sipas"))
        publish_questionnaire(db.session, older)
        db.session.commit()
    result = runner.invoke(args=["sipas", "init"])
    assert result.exit_code == 0, result.output
    assert f"sipas v{shipped['version']}" in result.output
    with app.app_context():
        versions = db.session.scalars(sa.select(Questionnaire.version).where(
            Questionnaire.code == "sipas").order_by(Questionnaire.version)).all()
    assert versions == [older["version"], shipped["version"]]
    settings = _settings(client.get(f"/kiosk/{province.tokens['SNV-Q1']}").get_data(True))
    assert settings["version"] == shipped["version"]
    assert settings["questionnaire"]["elements"][0]["criteria"][0]["question"]["vi"] == (
        "Ông/Bà hài lòng thế nào với chỗ ngồi chờ?")
    form = client.get(f"/q/{province.tokens['SNV-Q1']}").get_data(as_text=True)
    assert "Ông/Bà hài lòng thế nào với chỗ ngồi chờ?" in form
    assert "Chỗ ngồi chờ có đủ" not in form


def test_other_area_comes_last_on_the_kiosk_and_the_qr_form(app, client, province):
    from survey.models import ServiceArea

    with app.app_context():
        counter = db.session.query(Counter).filter_by(code="H-AN-Q1").one()
        counter.service_areas.insert(0, ServiceArea(code="KHAC", name_vi="Lĩnh vực khác",
                                                    name_en="Other"))
        db.session.commit()
    settings = _settings(client.get(f"/kiosk/{province.tokens['H-AN-Q1']}").get_data(True))
    assert [a["code"] for a in settings["areas"]] == ["DATDAI", "XAYDUNG", "KHAC"]
    assert settings["other_area"] == "KHAC"
    form = client.get(f"/q/{province.tokens['H-AN-Q1']}").get_data(as_text=True)
    assert form.index('value="XAYDUNG"') < form.index('value="KHAC"')


def test_demo_counters_that_ask_for_the_area_offer_other(app):
    from datetime import date

    from survey import demo

    with app.app_context():
        demo.load(db.session, responses=50, today=date(2026, 11, 23))
        counters = db.session.query(Counter).all()
        for counter in counters:
            codes = [a.code for a in counter.service_areas]
            assert ("KHAC" in codes) == (len(codes) > 1), counter.code
        assert any("KHAC" in [a.code for a in c.service_areas] for c in counters)
        db.session.rollback()
