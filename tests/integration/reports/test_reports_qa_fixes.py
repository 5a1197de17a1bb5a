"""QA fixes: ranking from usable intervals, unweighted-period warnings, date filters, flag words."""
import io
import math
import re

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from reports_helpers import PERIOD, section

from analysis import breakdowns
from survey.extensions import db
from survey.reports import charts
from survey.reports.compute import build_report
from survey.reports.filters import ReportFilters
from survey.reports.presentation import Cell

CURRENT = "2026-Q4"  # the demo's current quarter: no dossier totals yet


def _table(rows):
    table = pd.DataFrame(rows, columns=["by", "estimate", "se", "ci_low", "ci_high", "n", "flag"])
    return table.assign(level="index", measure="SIPAS")


def test_units_without_a_usable_interval_are_not_ranked():
    table = _table([
        ("A", 80.0, 1.0, 78.0, 82.0, 100, "ok"),
        ("B", 70.0, 1.0, 68.0, 72.0, 100, "ok"),
        ("C", 90.0, 0.0, 90.0, 90.0, 60, "zero_se"),        # SE = 0
        ("D", 85.0, 2.0, np.nan, np.nan, 60, "no_df"),      # no interval
        ("E", 47.6, 20.0, 2.3, 97.3, 40, "wide"),           # interval covers nearly everything
        ("F", 99.0, 1.0, 95.0, 100.0, 5, "suppressed"),     # fewer than 10 answers
        ("G", 75.0, 1e-12, 74.0, 76.0, 50, "ok"),           # SE below 1e-9 counts as 0
    ])
    ranked = breakdowns.ranking(table, model="none").set_index("by")
    for unit in "CDFG":
        assert math.isnan(ranked.loc[unit, "rank"]), unit
        assert ranked.loc[unit, "band"] == ""
    assert ranked.loc["F", "reason"] == "few"
    assert ranked.loc["C", "reason"] == ranked.loc["D", "reason"] == "no_interval"
    assert ranked["rank"].notna().sum() == 3
    # E's interval overlaps every other one: any rank from 1 to 3 is plausible
    assert (ranked.loc["E", "rank_low"], ranked.loc["E", "rank_high"]) == (1, 3)
    assert (ranked.loc["A", "rank"], ranked.loc["B", "rank"]) == (1, 2)
    assert ranked.loc["B", "rank_low"] == 2  # A's interval lies clearly above B's


def test_page_ranks_only_agencies_with_an_interval(demo_app, analyst):
    with demo_app.app_context():
        report = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
    ranking = report.ranking
    ranked = ranking[ranking["rank"].notna()]
    assert len(ranked) >= 2
    assert (ranked["se"] > 1e-9).all() and np.isfinite(ranked["ci_low"]).all()
    direct = ranked[ranked["basis"] == "direct"]
    assert not direct["flag"].isin(["suppressed", "no_df", "zero_se"]).any()
    assert (direct["n"] >= 30).all() and (ranked.loc[ranked["basis"] == "model", "n"] < 30).all()
    html = section(analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True), "ranking")
    bands = re.findall(r'class="num rank-band">(\d+)–(\d+)<', html)
    assert len(bands) == len(ranked)
    assert all(1 <= int(lo) <= int(hi) <= len(ranked) for lo, hi in bands)


def test_period_without_totals_warns_next_to_the_headline(demo_app, analyst):
    with demo_app.app_context():
        info = build_report(db.session, ReportFilters(period=CURRENT),
                            trend=False).current.weighting
    assert info["cells_with_total"] < info["cells"], "the demo's current quarter has no totals"
    html = analyst.get(f"/reports/?period={CURRENT}").get_data(as_text=True)
    head = section(html, "headline")
    missing = info["cells"] - info["cells_with_total"]
    assert f"Kỳ này chưa có số hồ sơ (tổng thể) cho {missing}/{info['cells']} ô" in head
    assert "trọng số 1" in head
    if info["cells_with_total"] == 0:
        assert "chưa gia quyền" in head
    assert "Hai kỳ không được gia quyền như nhau" in section(html, "change")
    assert "Kỳ này chưa có số hồ sơ" in section(html, "method")
    # a fully weighted period has no warning
    html = analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    assert 'id="weighting-warning"' not in html


def test_exports_carry_the_weighting_warning(demo_app, analyst):
    book = load_workbook(io.BytesIO(analyst.get(f"/reports/export.xlsx?period={CURRENT}").data))
    values = " ".join(str(c.value) for row in book.worksheets[0].iter_rows() for c in row
                      if c.value is not None)
    assert "Kỳ này chưa có số hồ sơ" in values
    assert analyst.get(f"/reports/export.pdf?period={CURRENT}").data.startswith(b"%PDF")


def test_dates_make_a_custom_range_whatever_the_period(demo_app, analyst):
    html = analyst.get("/reports/?period=2026-Q3&date_from=2026-04-01&date_to=2026-05-15")
    assert "2026-04-01..2026-05-15" in section(html.get_data(as_text=True), "headline")


def test_invalid_filters_show_a_vietnamese_error_and_no_report(demo_app, analyst):
    cases = {"/reports/?period=garbage": "kỳ báo cáo “garbage” không hợp lệ",
             "/reports/?agency=ZZZ": "không có cơ quan, đơn vị “ZZZ”",
             "/reports/?date_from=2026-04-01": "cần đủ hai ngày",
             "/reports/?date_from=2026-05-01&date_to=2026-04-01": "Đến ngày nằm trước Từ ngày",
             "/reports/?date_from=2026-13-45&date_to=2026-04-01": "không phải là ngày hợp lệ"}
    for url, message in cases.items():
        html = analyst.get(url).get_data(as_text=True)
        assert 'role="alert"' in html and message in html, url
        assert 'id="headline"' not in html and 'id="sipas-index"' not in html, url
        assert "unknown" not in html, url


def test_xlsx_flags_are_words(demo_app, analyst):
    book = load_workbook(io.BytesIO(analyst.get("/reports/export.xlsx?period=2026-07").data))
    flags = set()
    for sheet in book.worksheets[1:]:
        header = [c.value for c in sheet[3]]
        if "Cảnh báo" in header:
            col = header.index("Cảnh báo")
            flags |= {row[col] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert flags, "no flag column found"
    assert not flags & {"ok", "wide", "low_n", "suppressed", "no_df", "zero_se"}
    assert "ẩn (dưới 10 phiếu)" in flags


def test_few_answers_are_marked_whatever_the_flag():
    assert "low_n" in Cell(80.0, None, None, 20, "no_df").flags
    assert "low_n" not in Cell(80.0, 70.0, 90.0, 40, "no_df").flags
    assert Cell(None, None, None, 5, "suppressed").flags == ["suppressed"]


def test_chart_numbers_use_a_decimal_comma():
    assert charts.decimal_comma(74.66) == "74,7"
    svg = charts.trend([("2026-Q2", Cell(74.66, 70.0, 79.0, 100, "ok")),
                        ("2026-Q3", Cell(75.0, 71.0, 79.0, 100, "ok"))], "t", "y")
    assert svg.startswith(b"<?xml")
