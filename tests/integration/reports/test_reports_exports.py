"""Downloads: XLSX sheets, PDF pages, CSV records equal to the page, raw data without persons."""
import io
import json

import pandas as pd
from openpyxl import load_workbook
from reports_helpers import PERIOD

from survey.extensions import db
from survey.reports.compute import build_report
from survey.reports.exports import FORBIDDEN
from survey.reports.filters import ReportFilters


def test_xlsx_has_a_summary_and_one_sheet_per_table(demo_app, analyst):
    response = analyst.get(f"/reports/export.xlsx?period={PERIOD}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == 11  # summary, elements, 4 breakdowns, 2 rankings, change,
    # reasons, cells
    assert book.sheetnames[0] == "Tổng hợp"
    summary = book[book.sheetnames[0]]
    values = [row[1] for row in summary.iter_rows(min_row=4, values_only=True)]
    assert PERIOD in values
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.print_title_rows == "$3:$3"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
    agencies = book.worksheets[3]
    assert agencies.max_row > 10
    assert agencies.cell(row=4, column=4).number_format == "0.0"


def test_pdf_is_a_document_with_pages(demo_app, analyst):
    response = analyst.get(f"/reports/export.pdf?period={PERIOD}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert response.data.count(b"/Type /Page\n") + response.data.count(b"/Type /Page ") >= 4 \
        or response.data.count(b"/Type /Page") >= 5


def test_csv_export_equals_the_report_numbers(demo_app, analyst):
    text = analyst.get(f"/reports/export.csv?period={PERIOD}&service_area=HOTICH")
    frame = pd.read_csv(io.StringIO(text.get_data(as_text=True)))
    with demo_app.app_context():
        report = build_report(db.session, ReportFilters(period=PERIOD, service_area="HOTICH"))
    overall = frame[(frame["section"] == "overall") & (frame["measure"] == "SIPAS")].iloc[0]
    assert overall["estimate"] == report.sipas["estimate"]
    assert overall["se"] == report.sipas["se"]
    assert set(frame["section"]) >= {"overall", "service_area", "agency", "counter", "channel",
                                      "change", "trend"}
    whole = analyst.get(f"/reports/export.csv?period={PERIOD}").get_data(as_text=True)
    assert "ranking" in set(pd.read_csv(io.StringIO(whole))["section"])


def test_raw_export_has_no_personal_data(demo_app, analyst):
    text = analyst.get(f"/reports/raw.csv?period={PERIOD}").get_data(as_text=True)
    frame = pd.read_csv(io.StringIO(text))
    assert not set(frame.columns) & FORBIDDEN
    assert {"response_id", "agency", "counter", "service_area", "weight", "TC1"} <= set(frame)
    assert len(frame) > 100
    book = load_workbook(io.BytesIO(analyst.get(f"/reports/raw.xlsx?period={PERIOD}").data),
                         read_only=True)
    header = next(book.active.iter_rows(max_row=1, values_only=True))
    assert not set(header) & FORBIDDEN and "TC1" in header


def test_raw_export_domain_filters_subset_rows(demo_app, analyst):
    text = analyst.get(f"/reports/raw.csv?period={PERIOD}&channel=qr").get_data(as_text=True)
    frame = pd.read_csv(io.StringIO(text))
    assert set(frame["channel"]) == {"qr"}


def test_json_records_follow_the_analysis_record_format(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["sipas", "report", "--period", PERIOD,
                                                     "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    first = records[0]
    assert {"by", "level", "measure", "estimate", "se", "ci_low", "ci_high", "n", "n_eff",
            "flag", "section"} <= set(first)
