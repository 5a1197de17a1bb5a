"""The report page: SIPAS with interval and n, flags, periods, weights, agency scope."""
import re

import pytest
from flask_babel import force_locale
from reports_helpers import PERIOD, headline, section

from survey.extensions import db
from survey.reports.compute import build_report
from survey.reports.filters import ReportFilters
from survey.reports.numbers import fmt
from survey.reports.presentation import cell


def _numbers(app, filters):
    with app.test_request_context("/?lang=vi"), force_locale("vi"):
        report = build_report(db.session, filters)
        return report, cell(report.sipas)


def test_page_shows_sipas_with_interval_and_n(demo_app, analyst):
    html = analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    _report, sipas = _numbers(demo_app, ReportFilters(period=PERIOD))
    assert sipas.shown and 50 < sipas.estimate < 100
    with demo_app.test_request_context("/?lang=vi"):
        expected = [fmt(sipas.estimate), fmt(sipas.ci_low), fmt(sipas.ci_high)]
    assert headline(html) == expected[0]
    head = section(html, "headline")
    assert f"{expected[1]}–{expected[2]}" in head
    assert f"{sipas.n}" in re.sub(r"<[^>]+>", "", head)
    assert "Chỉ số SIPAS" in html


def test_suppressed_cells_show_no_number(demo_app, analyst):
    report, _ = _numbers(demo_app, ReportFilters(period="2026-07"))
    counters = report.current.breakdowns["counter"]
    suppressed = counters[(counters["level"] == "index") & (counters["flag"] == "suppressed")]
    assert len(suppressed) > 0, "the demo month should have counters with fewer than 10 answers"
    html = analyst.get("/reports/?period=2026-07").get_data(as_text=True)
    table = section(html, "by-counter")
    marks = re.findall(r'<span class="suppressed"[^>]*data-flag="suppressed">([^<]*)</span>', table)
    assert len(marks) >= len(suppressed)
    assert set(marks) == {"—"}
    for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", table, re.DOTALL):
        if 'data-flag="suppressed"' in row.split("</td>")[0]:
            first_cell = row.split("<td", 1)[1].split("</td>")[0]
            assert not re.search(r'class="est', first_cell)


def test_low_n_cells_are_marked(demo_app, analyst):
    html = analyst.get("/reports/?period=2026-07").get_data(as_text=True)
    assert 'class="flag flag-low"' in section(html, "by-counter")


def test_switching_the_period_changes_the_numbers(demo_app, analyst):
    first = analyst.get("/reports/?period=2026-Q2").get_data(as_text=True)
    second = analyst.get("/reports/?period=2026-Q3").get_data(as_text=True)
    _, q2 = _numbers(demo_app, ReportFilters(period="2026-Q2"))
    _, q3 = _numbers(demo_app, ReportFilters(period="2026-Q3"))
    assert q2.n != q3.n
    assert f"n={q2.n}" not in section(second, "headline")
    assert "2026-Q2" in section(first, "headline") and "2026-Q3" in section(second, "headline")
    assert "2026-Q2" in section(second, "change"), "Q2 is the previous period of Q3"


def test_default_period_is_the_latest_quarter_with_dossier_totals(demo_app, analyst):
    html = analyst.get("/reports/").get_data(as_text=True)
    assert "2026-Q3" in section(html, "headline"), "the demo's 2026-Q4 has no totals yet"
    assert 'id="weighting-warning"' not in html


def test_custom_range_and_month_periods(demo_app, analyst):
    assert analyst.get("/reports/?period=2026-05").status_code == 200
    html = analyst.get("/reports/?period=custom&date_from=2026-04-01&date_to=2026-05-15")
    assert "2026-04-01..2026-05-15" in section(html.get_data(as_text=True), "headline")


def test_unweighted_view_differs_from_weighted(demo_app, analyst):
    weighted = analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    plain = analyst.get(f"/reports/?period={PERIOD}&weights=none").get_data(as_text=True)
    _, w = _numbers(demo_app, ReportFilters(period=PERIOD))
    _, u = _numbers(demo_app, ReportFilters(period=PERIOD, weights="none"))
    assert w.estimate != u.estimate
    assert headline(weighted) != headline(plain)
    assert "weights=none" in weighted and "không trọng số" in section(plain, "headline").lower()


def test_method_note_names_totals_design_and_kish(demo_app, analyst):
    html = section(analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True), "method")
    assert "Kish" in html and "1 + CV²(w)" in html
    assert "tầng" in html.lower() and "quầy" in html.lower()
    assert "mỗi người trả lời là một đơn vị" in html
    html = analyst.get(f"/reports/?period={PERIOD}&variance=counters").get_data(as_text=True)
    assert "các quầy là một mẫu" in section(html, "method")


def test_service_area_is_a_domain_of_the_full_design(demo_app):
    with demo_app.app_context():
        report = build_report(db.session, ReportFilters(period=PERIOD, service_area="HOTICH"))
        whole = build_report(db.session, ReportFilters(period=PERIOD))
    info, full = report.current.weighting, whole.current.weighting
    assert info["responses"] == full["responses"]
    assert (info["design_df"], info["design_strata"]) == (full["design_df"], full["design_strata"])
    assert info["counted"] < full["counted"]
    areas = whole.current.breakdowns["service_area"]
    row = areas[(areas["by"] == "HOTICH") & (areas["measure"] == "SIPAS")].iloc[0]
    assert report.sipas["estimate"] == row["estimate"]
    assert abs(report.sipas["se"] - row["se"]) < 1e-9


def test_unknown_period_shows_an_error_not_a_crash(demo_app, analyst):
    response = analyst.get("/reports/?period=2026-Q9")
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)


def test_counters_as_a_sample_keeps_estimates_with_fewer_degrees_of_freedom(demo_app):
    with demo_app.app_context():
        design = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
        counters = build_report(db.session, ReportFilters(period=PERIOD, variance="counters"),
                                trend=False)
    assert counters.sipas["estimate"] == pytest.approx(design.sipas["estimate"], rel=1e-12)
    assert counters.sipas["se"] != pytest.approx(design.sipas["se"], rel=1e-3)
    psus = len(set(counters.current.breakdowns["counter"]["by"]) - {"__outside__"})
    assert counters.current.weighting["design_df"] < design.current.weighting["design_df"]
    assert counters.sipas["df"] < psus
    assert design.sipas["df"] == design.current.weighting["df"]


def test_kish_effect_is_one_plus_cv_squared_of_the_weights(demo_app):
    from survey.reports.compute import load_frame

    with demo_app.app_context():
        filters = ReportFilters(period=PERIOD)
        report = build_report(db.session, filters, trend=False)
        weights = load_frame(db.session, filters, PERIOD)["weight"]
    cv2 = weights.var(ddof=0) / weights.mean() ** 2
    assert report.current.weighting["kish"] == pytest.approx(1 + cv2, rel=1e-9)


@pytest.mark.parametrize("query", ["period=2020", "period=2026-Q3&questionnaire=sipas-2023",
                                   "period=2026-Q3&channel=qr&service_area=DATDAI",
                                   "period=2026-Q3&agency=X-AN1&weights=none"])
def test_sparse_and_empty_reports_render(demo_app, analyst, query):
    response = analyst.get(f"/reports/?{query}")
    assert response.status_code == 200
    for name in ("trend", "by_area", "by_agency", "heatmap"):
        chart = analyst.get(f"/reports/chart/{name}.svg?{query}")
        assert chart.status_code == 200 and b"<svg" in chart.data
    for kind in ("xlsx", "pdf", "csv"):
        assert analyst.get(f"/reports/export.{kind}?{query}").status_code == 200


def test_cached_report_follows_data_changes(demo_app):
    from datetime import date

    import sqlalchemy as sa

    from survey.models import Response

    with demo_app.app_context():
        before = build_report(db.session, ReportFilters(period=PERIOD), trend=False).sipas
        first = db.session.scalars(sa.select(Response).where(
            Response.survey_date >= date(2026, 7, 1), Response.survey_date < date(2026, 10, 1))
            .order_by(Response.id).limit(20)).all()
        for response in first:
            response.status = "excluded"
        db.session.commit()
        after = build_report(db.session, ReportFilters(period=PERIOD), trend=False).sipas
    assert after["n"] == before["n"] - 20
