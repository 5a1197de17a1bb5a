"""Who may open the field-survey page, its templates (which read back as an empty file), the
past imports, CSRF, and two imports of the same rows at the same time."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from survey.extensions import db
from tests.integration.fieldwork.conftest import sample


@pytest.mark.parametrize("role,status", [("admin", 200), ("analyst", 200),
                                         ("agency_viewer", 403), ("officer", 403)])
def test_only_admins_and_analysts_open_the_page(app, client, province, make_user, role,
                                                status):
    from survey.catalog import create_user
    from survey.models import Officer

    with app.app_context():
        officer_code = None
        if role == "officer":
            db.session.add(Officer(code="CB9", name="Cán bộ", agency_id=province.agency_ids[
                "H-AN"], failed_pins=0))
            db.session.commit()
            officer_code = "CB9"
        user = create_user(db.session, f"u-{role}", "correct-horse-battery", role,
                           "H-AN" if role == "agency_viewer" else None,
                           officer_code=officer_code)
        db.session.commit()
        user_id = user.id
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    for page in ("/fieldwork/", "/fieldwork/template.csv", "/fieldwork/template.xlsx"):
        assert client.get(page).status_code == status, page


def test_signed_out_people_are_sent_to_sign_in(client, province):
    response = client.get("/fieldwork/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_an_upload_without_the_csrf_token_is_refused(province, as_role, client, stored):
    as_role("admin")
    response = client.post("/fieldwork/", data={"upload": (io.BytesIO(sample("good.csv")),
                                                           "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert stored()["responses"] == 0


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_templates_read_back_as_a_valid_empty_file(app, client, province, as_role,
                                                       suffix):
    from survey.fieldwork.checking import check_table
    from survey.fieldwork.columns import Defaults, load_catalogue
    from survey.fieldwork.reading import read_file

    as_role("analyst")
    response = client.get(f"/fieldwork/template.{suffix}")
    assert response.status_code == 200
    assert "field-survey-sipas-v2" in response.headers["Content-Disposition"]
    table = read_file(response.data)
    assert table.problems == [] and table.rows == []
    assert table.header[:8] == ["id", "survey_date", "counter", "service_area", "mode",
                                "questionnaire", "version", "dossier"]
    assert "GY4" in table.header and "HL" in table.header and "ethnicity" in table.header
    with app.app_context():
        checked = check_table(db.session, table, Defaults(), load_catalogue(db.session), "k")
    assert [p.kind for p in checked.problems] == ["no_rows"]


def test_past_imports_are_listed_with_file_rows_and_user(province, as_role, upload, client):
    as_role("admin")
    assert upload(sample("good.csv"), name="dot-1.csv").status_code == 200
    html = client.get("/fieldwork/").get_data(as_text=True)
    assert "dot-1.csv" in html and "admin-all" in html
    assert "Các lần nhập trước" in html


def test_a_concurrent_import_of_the_same_ids_stores_nothing(app, province, monkeypatch):
    """Both files pass the checks; the other one commits first: the unique id refuses this
    one whole, with a clear problem."""
    from survey.fieldwork import service, store
    from survey.fieldwork.columns import Defaults
    from survey.models import FieldImport, Response

    real_store = store.store_rows

    def other_commits_first(session, rows, filename, digest, user):
        with app.app_context():
            other = sa.orm.Session(db.engine)
            real_store(other, rows[:1], "other.csv", digest, None)
            other.commit()
            other.close()
        return real_store(session, rows, filename, digest, user)

    monkeypatch.setattr(store, "store_rows", other_commits_first)
    with app.test_request_context():
        outcome = service.import_field_file(db.session, sample("good.csv"), "a.csv",
                                            Defaults(), None)
        assert [p.kind for p in outcome.problems] == ["conflict"]
        assert db.session.query(Response).count() == 1
        assert [f.filename for f in db.session.query(FieldImport)] == ["other.csv"]
