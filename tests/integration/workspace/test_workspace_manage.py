"""Managing agencies, service areas, procedures, counters and users; each change is audited."""
from __future__ import annotations

import uuid
from datetime import UTC

from survey.models import (
    Agency,
    Counter,
    Procedure,
    Questionnaire,
    Response,
    RetiredToken,
    ServiceArea,
    User,
)


def _agency(in_db, code):
    return in_db(lambda s: s.query(Agency).filter_by(code=code).one_or_none())


def test_agency_tree_is_indented_and_links_to_areas_and_procedures(client, province, as_role):
    as_role("analyst")
    html = client.get("/admin/agencies").get_data(as_text=True)
    assert html.index("Sở Nội vụ") < html.index("UBND huyện An Phú") < html.index("UBND xã An Hòa")
    assert "margin-left: 3.5rem" in html
    assert "/admin/service-areas" in html and "/admin/procedures" in html


def test_create_and_edit_agency_are_audited(client, province, as_role, submit, in_db,
                                            audit_events):
    user_id = as_role("analyst")
    parent = province.agency_ids["H-AN"]
    response = submit("/admin/agencies/new", {"code": "X-AN2", "name": "UBND xã An Lạc",
                                              "level": 3, "parent_id": parent})
    assert response.status_code == 302
    created = _agency(in_db, "X-AN2")
    assert created.parent_id == parent and created.level == 3
    url = f"/admin/agencies/{created.id}/edit"
    submit(url, {"code": "X-AN2", "name": "UBND xã An Lạc mới", "level": 3, "parent_id": parent})
    assert _agency(in_db, "X-AN2").name == "UBND xã An Lạc mới"
    create, update = audit_events(entity="agency")
    assert create["action"] == "create" and create["before"] is None
    assert create["after"]["code"] == "X-AN2" and create["user_id"] == user_id
    assert update["before"]["name"] == "UBND xã An Lạc" and update["after"]["name"] == "UBND xã An Lạc mới"


def test_agency_cannot_move_under_its_own_descendant(client, province, as_role, submit, in_db,
                                                     audit_events):
    as_role("admin")
    root = province.agency_ids["SNV"]
    commune = province.agency_ids["X-AN1"]
    response = submit(f"/admin/agencies/{root}/edit", {"code": "SNV", "name": "Sở Nội vụ",
                                                       "level": 1, "parent_id": commune})
    assert response.status_code == 200
    assert "Không thể đặt một cơ quan làm cấp dưới" in response.get_data(as_text=True)
    assert _agency(in_db, "SNV").parent_id is None
    response = submit(f"/admin/agencies/{root}/edit", {"code": "SNV", "name": "Sở Nội vụ",
                                                       "level": 1, "parent_id": root})
    assert _agency(in_db, "SNV").parent_id is None
    assert audit_events(entity="agency") == []


def test_duplicate_agency_code_is_refused(client, province, as_role, submit, in_db):
    as_role("admin")
    response = submit("/admin/agencies/new", {"code": "SNV", "name": "Khác", "level": 1,
                                              "parent_id": 0})
    assert "Đã có cơ quan khác dùng mã này" in response.get_data(as_text=True)


def test_deactivate_and_reactivate_agency(client, province, as_role, submit, in_db, audit_events):
    as_role("analyst")
    district = province.agency_ids["H-AN"]
    submit(f"/admin/agencies/{district}/active", page="/admin/agencies")
    assert _agency(in_db, "H-AN").active is False
    submit(f"/admin/agencies/{district}/active", page="/admin/agencies")
    assert _agency(in_db, "H-AN").active is True
    first, second = audit_events(entity="agency")
    assert (first["action"], first["before"]["active"], first["after"]["active"]) == (
        "deactivate", True, False)
    assert second["action"] == "activate"


def test_service_area_and_procedure_create_and_edit(client, province, as_role, submit, in_db,
                                                    audit_events):
    as_role("analyst")
    submit("/admin/service-areas/new", {"code": "TUPHAP", "name_vi": "Tư pháp – chứng thực",
                                        "name_en": "Justice and certification"})
    area = in_db(lambda s: s.query(ServiceArea).filter_by(code="TUPHAP").one())
    submit(f"/admin/service-areas/{area.id}/edit", {"code": "TUPHAP", "name_vi": "Chứng thực",
                                                    "name_en": "Certification"})
    submit("/admin/procedures/new", {"code": "2.000815", "name": "Chứng thực bản sao",
                                     "service_area_id": area.id})
    procedure = in_db(lambda s: s.query(Procedure).filter_by(code="2.000815").one())
    assert procedure.service_area_id == area.id
    html = client.get("/admin/procedures").get_data(as_text=True)
    assert "Chứng thực bản sao" in html and "2.000815" in html
    actions = [(e["entity"], e["action"]) for e in audit_events()
               if e["entity"] in ("service_area", "procedure")]
    assert actions == [("service_area", "create"), ("service_area", "update"),
                       ("procedure", "create")]
    assert audit_events(entity="service_area")[1]["before"]["name_vi"] == "Tư pháp – chứng thực"


def test_counter_list_shows_links_and_highlights_silent_tablets(client, province, as_role,
                                                                in_db):
    as_role("analyst")
    from datetime import datetime, timedelta

    def age(session):
        counter = session.query(Counter).filter_by(code="SNV-Q1").one()
        other = session.query(Counter).filter_by(code="H-AN-Q1").one()
        for when, where in ((10, counter), (1, other)):
            where.created_at = datetime.now(UTC) - timedelta(days=30)
            moment = datetime.now(UTC) - timedelta(days=when)
            session.add(Response(
                uuid=uuid.uuid4(), questionnaire_id=session.query(Questionnaire).first().id,
                questionnaire_code="sipas", counter_id=where.id, agency_id=where.agency_id,
                service_area_id=where.service_areas[0].id, channel="kiosk",
                received_at=moment, survey_date=moment.date(), status="valid"))
    in_db(age)
    html = client.get("/admin/counters").get_data(as_text=True)
    token = province.tokens["SNV-Q1"]
    for link in (f"/kiosk/{token}", f"/q/{token}", f"/kiosk/poster/{token}",
                 f"/kiosk/poster/{token}.svg"):
        assert link in html
    assert html.count('class="silent') == 1 and 'data-counter="SNV-Q1"' in html
    assert client.get("/admin/counters?days=30").get_data(as_text=True).count('class="silent') == 0


def test_create_counter_makes_a_token_and_is_audited(client, province, as_role, submit, in_db,
                                                     audit_events):
    as_role("analyst")
    response = submit("/admin/counters/new", {
        "code": "X-AN1-Q2", "name": "Quầy 2", "agency_id": province.agency_ids["X-AN1"],
        "service_area_ids": [province.area_ids["HOTICH"], province.area_ids["DATDAI"]]})
    assert response.status_code == 302
    counter = in_db(lambda s: s.query(Counter).filter_by(code="X-AN1-Q2").one())
    assert len(counter.token) >= 20
    event = audit_events(entity="counter")[0]
    assert event["action"] == "create" and event["after"]["service_areas"] == ["DATDAI", "HOTICH"]
    assert counter.token not in str(event["after"])


def test_edit_counter_service_areas(client, province, as_role, submit, in_db, audit_events):
    as_role("analyst")
    counter_id = in_db(lambda s: s.query(Counter).filter_by(code="SNV-Q1").one().id)
    url = f"/admin/counters/{counter_id}/edit"
    submit(url, {"name": "Quầy 1", "service_area_ids": [province.area_ids["XAYDUNG"]]})
    areas = in_db(lambda s: [a.code for a in s.get(Counter, counter_id).service_areas])
    assert areas == ["XAYDUNG"]
    event = audit_events(entity="counter")[0]
    assert event["before"]["service_areas"] == ["DATDAI"]
    assert event["after"]["service_areas"] == ["XAYDUNG"]


def test_counter_deactivate_and_reactivate(client, province, as_role, submit, in_db,
                                           audit_events):
    as_role("analyst")
    counter_id = in_db(lambda s: s.query(Counter).filter_by(code="SNV-Q1").one().id)
    submit(f"/admin/counters/{counter_id}/active", page="/admin/counters")
    assert in_db(lambda s: s.get(Counter, counter_id).active) is False
    submit(f"/admin/counters/{counter_id}/active", page="/admin/counters")
    assert in_db(lambda s: s.get(Counter, counter_id).active) is True
    assert [e["action"] for e in audit_events(entity="counter")] == ["deactivate", "activate"]


def test_rotate_token_asks_first_then_retires_the_old_token(client, province, as_role, submit,
                                                            in_db, audit_events):
    as_role("analyst")
    old = province.tokens["SNV-Q1"]
    counter_id = in_db(lambda s: s.query(Counter).filter_by(code="SNV-Q1").one().id)
    url = f"/admin/counters/{counter_id}/rotate"
    page = client.get(url).get_data(as_text=True)
    assert "Cấp mã mới cho quầy SNV-Q1?" in page
    assert in_db(lambda s: s.get(Counter, counter_id).token) == old
    assert submit(url).status_code == 302
    new = in_db(lambda s: s.get(Counter, counter_id).token)
    assert new != old
    retired = in_db(lambda s: s.get(RetiredToken, old))
    assert retired is not None and retired.counter_id == counter_id
    event = audit_events("rotate_token")[0]
    assert event["before"]["token"] == old[:6] + "…" and event["after"]["token"] == new[:6] + "…"


def test_admin_creates_users_and_resets_passwords(client, province, as_role, submit, in_db,
                                                  audit_events, sign_in):
    as_role("admin")
    response = submit("/admin/users/new", {
        "username": "viewer-an", "role": "agency_viewer", "agency_id": 0,
        "password": "long-enough-pass", "confirm": "long-enough-pass"})
    assert "Người xem của cơ quan phải gắn với một cơ quan" in response.get_data(as_text=True)
    submit("/admin/users/new", {
        "username": "viewer-an", "role": "agency_viewer", "agency_id": province.agency_ids["H-AN"],
        "password": "long-enough-pass", "confirm": "long-enough-pass"})
    user = in_db(lambda s: s.query(User).filter_by(username="viewer-an").one())
    assert user.agency_id == province.agency_ids["H-AN"] and user.role == "agency_viewer"
    assert user.password_hash != "long-enough-pass"
    submit(f"/admin/users/{user.id}/password", {"password": "another-long-pass",
                                                "confirm": "another-long-pass"})
    events = audit_events(entity="user")
    assert [e["action"] for e in events] == ["create", "reset_password"]
    assert "password_hash" not in str(events) and "another-long-pass" not in str(events)
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    assert sign_in("viewer-an", "another-long-pass").status_code == 302


def _token(client):
    import re
    html = client.get("/admin/users").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_admin_deactivates_others_but_not_themselves(client, province, as_role, submit, in_db,
                                                     make_user, audit_events):
    admin_id = as_role("admin")
    other = make_user("analyst")
    submit(f"/admin/users/{other}/active", page="/admin/users")
    assert in_db(lambda s: s.get(User, other).active) is False
    response = submit(f"/admin/users/{admin_id}/active", page="/admin/users",
                      follow_redirects=True)
    assert "Bạn không thể tự ngừng hoạt động" in response.get_data(as_text=True)
    assert in_db(lambda s: s.get(User, admin_id).active) is True
    event = audit_events(entity="user")[0]
    assert (event["action"], event["before"]["active"], event["after"]["active"]) == (
        "deactivate", True, False)


def test_audit_log_is_paginated_and_filterable(client, province, as_role, submit, in_db):
    as_role("admin")
    for n in range(55):
        submit("/admin/service-areas/new", {"code": f"A{n}", "name_vi": f"Lĩnh vực {n}",
                                            "name_en": f"Area {n}"}, page="/admin/service-areas")
    counter_id = in_db(lambda s: s.query(Counter).filter_by(code="SNV-Q1").one().id)
    submit(f"/admin/counters/{counter_id}/active", page="/admin/counters")
    first = client.get("/admin/audit?entity=service_area").get_data(as_text=True)
    assert first.count('data-entity="service_area"') == 50 and "Trang 1 / 2" in first
    second = client.get("/admin/audit?entity=service_area&page=2").get_data(as_text=True)
    assert second.count('data-entity="service_area"') == 5
    counters = client.get("/admin/audit?entity=counter").get_data(as_text=True)
    assert 'data-action="deactivate"' in counters and 'data-entity="service_area"' not in counters
    nobody = client.get("/admin/audit?user=999999").get_data(as_text=True)
    assert "data-entity=" not in nobody
