"""Data quality: flagged responses, manual flags, exclusion and restoring, patterns."""
from __future__ import annotations

from survey import queries
from survey.models import Response, ResponseFlag


def _response(in_db, response_id):
    return in_db(lambda s: s.get(Response, response_id))


def test_flagged_list_shows_reasons_and_filters(client, province, as_role, make_response):
    as_role("analyst")
    fast = make_response(status="flagged", flags=(("too_fast", "3.0 s for 5 answers"),))
    line = make_response("H-AN-Q1", status="flagged",
                         flags=(("straightlining", "all 9 criteria answered 5"),))
    valid = make_response()
    html = client.get("/admin/quality").get_data(as_text=True)
    assert f'data-response="{fast}"' in html and f'data-response="{line}"' in html
    assert f'data-response="{valid}"' not in html
    assert "3.0 s for 5 answers" in html and "mọi câu trả lời giống nhau" in html
    only = client.get("/admin/quality?kind=too_fast").get_data(as_text=True)
    assert f'data-response="{fast}"' in only and f'data-response="{line}"' not in only
    district = province.agency_ids["H-AN"]
    scoped = client.get(f"/admin/quality?agency={district}").get_data(as_text=True)
    assert f'data-response="{line}"' in scoped and f'data-response="{fast}"' not in scoped
    old = client.get("/admin/quality?period=2001").get_data(as_text=True)
    assert "data-response=" not in old


def test_manual_flag_needs_a_reason_and_is_audited(client, province, as_role, make_response,
                                                   submit, in_db, audit_events):
    user_id = as_role("analyst")
    rid = make_response()
    url = f"/admin/quality/{rid}/flag"
    assert submit(url, {"reason": ""}).status_code == 422
    assert _response(in_db, rid).status == "valid"
    assert submit(url, {"reason": "Cán bộ tự bấm thay người dân"}).status_code == 302
    assert _response(in_db, rid).status == "flagged"
    flag = in_db(lambda s: s.query(ResponseFlag).filter_by(response_id=rid).one())
    assert (flag.kind, flag.detail, flag.user_id) == ("manual", "Cán bộ tự bấm thay người dân",
                                                      user_id)
    event = audit_events("flag")[0]
    assert event["before"]["status"] == "valid" and event["after"]["flags"] == ["manual"]


def test_exclusion_keeps_the_response_but_leaves_it_out_of_estimates(
        app, client, province, as_role, make_response, submit, in_db, audit_events):
    as_role("analyst")
    keep = make_response()
    drop = make_response(status="flagged", flags=(("burst", "9 responses in 60 s"),))
    with app.app_context():
        from survey.extensions import db
        assert len(queries.responses_frame(db.session)) == 2   # a flag is advice: it counts
    assert submit(f"/admin/quality/{drop}/exclude", {"reason": ""}).status_code == 422
    submit(f"/admin/quality/{drop}/exclude", {"reason": "Loạt phiếu từ một máy"})
    stored = _response(in_db, drop)
    assert stored.status == "excluded" and stored.status_reason == "Loạt phiếu từ một máy"
    with app.app_context():
        from survey.extensions import db
        frame = queries.responses_frame(db.session, with_ids=True)
        assert db.session.query(Response).count() == 2
    ids = in_db(lambda s: [str(s.get(Response, keep).uuid)])
    assert list(frame["response_id"]) == ids
    event = audit_events("exclude")[0]
    assert event["before"]["status"] == "flagged" and event["after"]["status"] == "excluded"
    assert event["after"]["status_reason"] == "Loạt phiếu từ một máy"
    html = client.get("/admin/quality?status=excluded").get_data(as_text=True)
    assert f'data-response="{drop}"' in html and "Loạt phiếu từ một máy" in html


def test_restore_to_valid_needs_a_reason(client, province, as_role, make_response, submit,
                                         in_db, audit_events):
    as_role("analyst")
    rid = make_response(status="flagged", flags=(("too_fast", "2 s"),))
    assert submit(f"/admin/quality/{rid}/restore", {"reason": " "}).status_code == 422
    submit(f"/admin/quality/{rid}/restore", {"reason": "Đã xác minh với người dân"})
    stored = _response(in_db, rid)
    assert stored.status == "valid" and stored.status_reason == "Đã xác minh với người dân"
    assert in_db(lambda s: s.query(ResponseFlag).filter_by(response_id=rid).count()) == 1
    assert audit_events("restore")[0]["after"]["status"] == "valid"


def test_unknown_action_or_response_is_404(client, province, as_role, make_response):
    as_role("analyst")
    rid = make_response()
    assert client.get(f"/admin/quality/{rid}/delete").status_code == 404
    assert client.get("/admin/quality/999999/flag").status_code == 404


def test_patterns_make_a_counter_of_identical_answers_stand_out(client, province, as_role,
                                                               make_response):
    as_role("analyst")
    same = {"TC1": 5, "TT1": 5, "CC1": 5, "KQ1": 5}
    for _ in range(6):
        make_response("X-AN1-Q1", answers=same, client_id="tablet-7")
    for _ in range(6):
        make_response("SNV-Q1", client_id="tablet-1")
    html = client.get("/admin/quality").get_data(as_text=True)
    patterns = html[html.index("patterns"):]
    assert 'class="suspicious" data-counter="X-AN1-Q1"' in patterns
    assert 'class="" data-counter="SNV-Q1"' in patterns
    assert "tablet-7" in patterns and "100 %" in patterns


def test_patterns_follow_the_agency_filter(client, province, as_role, make_response):
    as_role("analyst")
    make_response("X-AN1-Q1")
    make_response("SNV-Q1")
    district = province.agency_ids["H-AN"]
    html = client.get(f"/admin/quality?agency={district}").get_data(as_text=True)
    patterns = html[html.index("patterns"):]
    assert 'data-counter="X-AN1-Q1"' in patterns and 'data-counter="SNV-Q1"' not in patterns


def test_identical_means_at_least_three_answers_of_one_value():
    from survey.admin.review import identical

    assert identical("555-5") and not identical("55---") and not identical("5545")
    assert not identical(None)
