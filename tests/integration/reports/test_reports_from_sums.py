"""Reports from stored slice sums equal reports from the rows, on SQLite and PostgreSQL.

The row path (``REPORT_SOURCE = "rows"``: every response read, ``SurveyDesign``) is the
reference; the sums path (the default) must give every table of the report — overall,
breakdowns, flagged sensitivity, change between periods, rankings, weighting summary — to a
relative 1e-9, for quarters, custom date ranges that cut months, agency subtrees, domains and
after exclusions. Sums that disagree with the rows are detected and never used.
"""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from reports_helpers import PERIOD
from reports_helpers import report_with_source as _report
from reports_helpers import same_report as _same_report
from reports_helpers import same_table as _same_table

from survey import responses, slices
from survey.extensions import db
from survey.models import Response, ResponseSum, User
from survey.reports.compute import build_report, clear_cache
from survey.reports.filters import ReportFilters


def test_a_quarter_from_sums_equals_the_rows_and_reads_no_row(demo_app):
    with demo_app.app_context():
        info = _same_report(demo_app, ReportFilters(period=PERIOD))
    assert info["months_from_rows"] == [] and info["stale_months"] == []
    assert info["flagged"] > 0


def test_a_custom_range_cutting_months_reads_only_its_edges_from_the_rows(demo_app):
    with demo_app.app_context():
        info = _same_report(demo_app, ReportFilters(period="2026-04-10..2026-08-20"))
    assert info["months_from_rows"] == ["2026-04", "2026-08"]


@pytest.mark.parametrize("filters", [
    ReportFilters(period="2026", agency="H-AN"),
    ReportFilters(period=PERIOD, service_area="HOTICH"),
    ReportFilters(period=PERIOD, channel="qr"),
    ReportFilters(period=PERIOD, weights="none"),
    ReportFilters(period="2026-08"),
], ids=["subtree-year", "area-domain", "channel-domain", "unweighted", "month"])
def test_subtrees_domains_and_other_periods_equal_the_rows(demo_app, filters):
    with demo_app.app_context():
        _same_report(demo_app, filters)


def test_after_exclusions_and_restores_the_sums_still_equal_the_rows(demo_app):
    with demo_app.app_context():
        user = db.session.scalars(sa.select(User)).first()
        chosen = db.session.scalars(sa.select(Response).where(
            Response.survey_date >= date(2026, 7, 1), Response.survey_date < date(2026, 10, 1))
            .order_by(Response.id).limit(40)).all()
        for response in chosen[:30]:
            responses.set_status(db.session, user, response, "excluded", "test")
        for response in chosen[:5]:
            responses.set_status(db.session, user, response, "valid", "restored")
        for response in chosen[30:]:
            responses.flag(db.session, user, response, "looks odd")
        db.session.commit()
        assert slices.check(db.engine) == []
        info = _same_report(demo_app, ReportFilters(period=PERIOD))
        assert info["counted"] == db.session.scalar(sa.select(sa.func.count()).select_from(
            Response).where(Response.status != "excluded", Response.survey_date >= date(2026, 7, 1),
                            Response.survey_date < date(2026, 10, 1), Response.questionnaire_code
                            == "sipas"))
    assert info["stale_months"] == []


def test_sums_that_disagree_with_the_rows_are_detected_and_not_used(demo_app, runner):
    with demo_app.app_context():
        expected = _report(demo_app, ReportFilters(period=PERIOD), "rows")
        target = db.session.scalars(sa.select(ResponseSum).where(
            ResponseSum.month == "2026-08").order_by(ResponseSum.id).limit(1)).one()
        target.counts = [v + 1 for v in target.counts]      # corrupted counts…
        db.session.execute(sa.delete(ResponseSum).where(     # …and a lost slice
            ResponseSum.month == "2026-09", ResponseSum.id == sa.select(sa.func.min(
                ResponseSum.id)).where(ResponseSum.month == "2026-09").scalar_subquery()))
        db.session.commit()
        clear_cache()
        got = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
        problems = slices.check(db.engine)
    assert got.current.weighting["stale_months"] == ["2026-09"]
    # a change of counts alone keeps counts and id sums: the report cannot see it, check-sums can
    assert {(p["month"], p["problem"]) for p in problems} == {("2026-08", "counts"),
                                                              ("2026-09", "missing")}
    result = runner.invoke(args=["sipas", "check-sums"])
    assert result.exit_code == 1 and "2026-09" in result.output and "missing" in result.output
    result = runner.invoke(args=["sipas", "rebuild-sums"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["sipas", "check-sums"])
    assert result.exit_code == 0 and "agree" in result.output
    with demo_app.app_context():
        clear_cache()
        fixed = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
    assert fixed.current.weighting["stale_months"] == []
    assert got.current.weighting["months_from_rows"] == ["2026-09"]
    _same_table(expected.current.overall, fixed.current.overall, "overall after rebuild")


def test_a_stale_month_is_read_from_the_rows_and_matches_them(demo_app):
    with demo_app.app_context():
        expected = _report(demo_app, ReportFilters(period=PERIOD), "rows")
        db.session.execute(sa.update(ResponseSum).where(ResponseSum.month == "2026-07")
                           .values(rows=ResponseSum.rows + 1))
        db.session.commit()
        got = _report(demo_app, ReportFilters(period=PERIOD), "sums")
    assert got.current.weighting["stale_months"] == ["2026-07"]
    assert got.current.weighting["months_from_rows"] == ["2026-07"]
    _same_table(expected.current.overall, got.current.overall, "overall")
    _same_table(expected.current.breakdowns["counter"], got.current.breakdowns["counter"],
                "counter")


def test_rebuild_sums_refuses_a_malformed_month(demo_app, runner):
    result = runner.invoke(args=["sipas", "rebuild-sums", "--month", "2026-13"])
    assert result.exit_code == 1 and "not a month" in result.output
