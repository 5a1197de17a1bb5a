"""A national deployment: several provinces (root agencies) in one database.

The demo province (root UBND-T) gets a second province beside it (root UBND-T2 with one
department and two counters, responses written through the ORM so their slices are kept by the
flush). The report then has a breakdown and a ranking by province; its numbers come from the
slices, equal the row path, and equal an independent computation on the rows with the province
column made by the test from what it built.
"""
from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa
from reports_helpers import PERIOD, same_report, section

from analysis import cells, sipas
from survey import queries, slices
from survey.catalog import new_token
from survey.extensions import db
from survey.models import Agency, Answer, Counter, PopulationTotal, Response, ServiceArea
from survey.reports.compute import build_report, clear_cache
from survey.reports.filters import ReportFilters

SECOND = {"UBND-T2", "S2-TP"}


@pytest.fixture
def national_app(demo_app):
    rng = np.random.default_rng(4)
    with demo_app.app_context():
        questionnaire = queries.latest_questionnaire(db.session, "sipas")
        codes = [c["code"] for e in questionnaire.definition["elements"] for c in e["criteria"]]
        area = db.session.scalars(sa.select(ServiceArea).where(ServiceArea.code == "HOTICH")
                                  ).one()
        root = Agency(code="UBND-T2", name="UBND tỉnh Thứ Hai", level=1)
        department = Agency(code="S2-TP", name="Sở Tư pháp tỉnh Thứ Hai", level=1, parent=root)
        counters = [Counter(code=f"S2-TP-Q{i}", name=f"Quầy {i}", agency=department,
                            token=new_token(), service_areas=[area]) for i in (1, 2)]
        db.session.add_all([root, department, *counters])
        db.session.flush()
        for i in range(120):
            counter = counters[i % 2]
            values = np.clip(np.rint(3.4 + rng.normal(0, 0.9, len(codes))), 1, 5)
            db.session.add(Response(
                uuid=uuid.uuid4(), questionnaire_id=questionnaire.id,
                questionnaire_code="sipas", counter_id=counter.id, agency_id=department.id,
                service_area_id=area.id, channel="kiosk" if i % 3 else "qr",
                survey_date=date(2026, 7 + i % 3, 1 + i % 28),
                status="flagged" if i % 10 == 0 else "valid",
                answers=[Answer(item_code=c, value=int(v)) for c, v in zip(codes, values)
                         if rng.random() > 0.05]))
        db.session.add(PopulationTotal(period="2026-Q3", agency_id=department.id,
                                       service_area_id=area.id, dossiers=2400))
        db.session.commit()
        assert slices.check(db.engine) == []
    clear_cache()
    yield demo_app
    clear_cache()


def test_provinces_are_a_breakdown_and_a_ranking_equal_to_the_rows(national_app):
    with national_app.app_context():
        same_report(national_app, ReportFilters(period=PERIOD))
        report = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
        frame = queries.responses_frame(db.session, "sipas", PERIOD)
        totals = queries.cell_totals(db.session, PERIOD, frame["quarter"].unique())
        structure = sipas.Structure.from_definition(
            queries.latest_questionnaire(db.session, "sipas").definition)
    frame["province"] = np.where(frame["agency"].isin(SECOND), "UBND-T2", "UBND-T")
    expected = sipas.indices(cells.counter_design(frame, totals).design(), structure,
                             by="province", overall=False).to_frame()
    got = report.current.breakdowns["province"]
    assert sorted(set(got["by"])) == ["UBND-T", "UBND-T2"]
    for key in ("estimate", "se", "ci_low", "ci_high", "n", "df"):
        a = expected.sort_values(["by", "level", "measure"])[key].to_numpy(float)
        b = got.sort_values(["by", "level", "measure"])[key].to_numpy(float)
        np.testing.assert_allclose(b, a, rtol=1e-9, err_msg=key)
    ranking = report.current.rankings["province"]
    assert set(ranking["by"]) == {"UBND-T", "UBND-T2"} and ranking["band"].notna().all()


def test_the_page_and_the_json_export_show_the_provinces(national_app, client, login_as):
    login_as("analyst")
    html = client.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    part = section(html, "by-province")
    assert "UBND tỉnh Thứ Hai" in part and "Xếp hạng tỉnh, thành phố" in part
    text = client.get(f"/reports/export.csv?period={PERIOD}").get_data(as_text=True)
    sections = {line.split(",")[0] for line in text.splitlines()[1:]}
    assert {"province", "province_ranking"} <= sections
    assert client.get(f"/reports/export.xlsx?period={PERIOD}").status_code == 200
    assert client.get(f"/reports/export.pdf?period={PERIOD}").status_code == 200


def test_a_single_province_has_no_province_breakdown(demo_app):
    with demo_app.app_context():
        report = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
    assert "province" not in report.current.breakdowns
    assert "province" not in report.current.rankings
