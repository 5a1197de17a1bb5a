"""Presentation: one number format everywhere, numeric XLSX cells, no formulas from names,
CSV with a BOM, the raw export's overall question and profile, readable charts and PDF."""
import io
import json
import re
import zipfile
import zlib

import matplotlib.text
import pandas as pd
import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import load_workbook
from reports_helpers import PERIOD, section

from survey import questionnaires as qdefs
from survey.extensions import db
from survey.models import Agency, Answer, Counter, Response
from survey.queries import latest_questionnaire
from survey.reports import charts, exports, pdf
from survey.reports.compute import build_report, clear_cache
from survey.reports.filters import ReportFilters, trend_quarters
from survey.reports.numbers import MINUS, fmt
from survey.reports.presentation import Cell, labels, report_view

BOM = b"\xef\xbb\xbf"
INJECTED = '=HYPERLINK("http://x","y")'


def _vi(value: float, digits: int = 1, sign: bool = False) -> str:
    """The expected Vietnamese text, written independently of ``present``."""
    rounded = round(value, digits)
    text = f"{abs(rounded):,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if rounded < 0:
        return "\u2212" + text
    return ("+" if sign and rounded > 0 else "") + text


def test_one_number_format_in_vietnamese_and_english(app):
    assert MINUS == "\u2212"
    with app.test_request_context("/?lang=vi"), force_locale("vi"):
        assert fmt(-0.04) == "0,0"
        assert fmt(-0.04, sign=True) == "0,0"
        assert fmt(-0.0) == "0,0"
        assert fmt(-0.84) == "\u22120,8"
        assert fmt(-0.84, sign=True) == "\u22120,8"
        assert fmt(1.24, sign=True) == "+1,2"
        assert fmt(74.66) == "74,7"
        assert fmt(12345.0, 0) == "12.345"
        assert fmt(1234.56) == "1.234,6"
        assert fmt(1.234, 2) == "1,23"
        assert fmt(None) == "–" and fmt(float("nan")) == "–"
        assert charts.decimal_comma(-0.84) == fmt(-0.84)
    with app.test_request_context("/?lang=en"), force_locale("en"):
        assert fmt(1234.56) == "1,234.6"
        assert fmt(-0.84, sign=True) == "\u22120.8"
        assert fmt(-0.04) == "0.0"
    assert charts.decimal_comma(74.66) == "74,7"  # outside a request: Vietnamese


def test_change_column_is_signed_with_the_one_minus(demo_app, analyst):
    html = analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    with demo_app.app_context():
        change = build_report(db.session, ReportFilters(period=PERIOD), trend=False).change
    cells = re.findall(r'<td class="num">([^<]*)</td>\s*<td class="num">[^<]*–',
                       section(html, "change"))
    assert len(cells) == len(change) > 0
    expected = [_vi(d, sign=True) for d in change.sort_values(
        "level", key=lambda s: s != "index", kind="stable")["difference"]]
    assert cells == expected
    for text in cells:
        assert re.fullmatch(r"[+\u2212]?\d+,\d", text), text
    assert not re.search(r"-\d", re.sub(r"<[^>]+>", "", section(html, "change")))


def _view(app, period=PERIOD):
    with app.test_request_context("/?lang=vi"), force_locale("vi"):
        report = build_report(db.session, ReportFilters(period=period))
        return report, report_view(report, labels(db.session, "sipas", "vi"))


def _texts(figure):
    figure.savefig(io.BytesIO(), format="png")  # draws: tick labels get their text
    return [t for t in figure.findobj(matplotlib.text.Text)
            if t.get_visible() and t.get_text().strip()]


def test_charts_use_the_page_formatter_axes_from_zero_and_readable_text(demo_app):
    report, view = _view(demo_app)
    with demo_app.test_request_context("/?lang=vi"), force_locale("vi"):
        drawn = {name: draw(view, "figure") for name, draw in charts.CHARTS.items()}
        for name, figure in drawn.items():
            for text in _texts(figure):
                assert text.get_fontsize() >= max(9, charts.MIN_FONT), (name, text.get_text())
                assert not re.search(r"\d\.\d", text.get_text()), (name, text.get_text())
                assert not re.search(r"-\d", text.get_text()), (name, text.get_text())
        bars = drawn["by_agency"].axes[0]
        assert bars.get_xlim()[0] == 0
        shown = [row["cells"][0] for row in view.breakdowns["agency"] if row["cells"][0].shown]
        words = {t.get_text() for t in _texts(drawn["by_agency"])}
        assert {_vi(c.estimate) for c in shown} <= words
        trend = drawn["trend"].axes[0]
        assert trend.get_ylim()[0] == 0
        quarters = [t.get_text() for t in trend.get_xticklabels()]
        assert quarters == trend_quarters(PERIOD) and len(quarters) == 6
        given = dict(zip(report.trend["period"], report.trend["n"]))
        empty = [q for q in quarters if not given.get(q)]
        assert empty, "the demo starts after the first of the six quarters"
        words = " ".join(t.get_text() for t in _texts(drawn["trend"]))
        assert words.count("n = 0") == len(empty)
        assert trend.collections, "the interval band is drawn"
        shown = report.trend[report.trend["flag"] != "suppressed"]
        assert {_vi(v) for v in shown["estimate"]} <= set(words.split())


def test_trend_chart_keeps_six_quarters_when_the_data_has_fewer():
    points = [("2026-Q1", Cell(None, None, None, 0, "suppressed")),
              ("2026-Q2", Cell(74.66, 70.0, 79.0, 100, "ok")),
              ("2026-Q3", Cell(-0.84, -3.0, 1.0, 100, "ok"))]
    figure = charts.trend(points, "t", "y", "figure", gap="few", number=charts.decimal_comma)
    texts = [t.get_text() for t in _texts(figure)]
    assert "74,7" in texts and "\u22120,8" in texts
    assert figure.axes[0].get_xlim() == (-0.5, 2.5)


def _sheet_rows(sheet):
    return list(sheet.iter_rows(min_row=4))


def test_xlsx_estimates_and_intervals_are_numbers_equal_to_the_json(demo_app, analyst):
    book = load_workbook(io.BytesIO(analyst.get(f"/reports/export.xlsx?period={PERIOD}").data))
    with demo_app.test_request_context("/?lang=vi"), force_locale("vi"):
        report = build_report(db.session, ReportFilters(period=PERIOD))
        found = json.loads(exports.to_json(report))
        low_label, high_label = _("95% CI low"), _("95% CI high")
    sipas = next(r for r in found if r["section"] == "overall" and r["measure"] == "SIPAS")
    summary = {row[0].value: row[1] for row in book.worksheets[0].iter_rows(min_row=4)}
    for label, key in ((low_label, "ci_low"), (high_label, "ci_high")):
        assert summary[label].data_type == "n" and summary[label].number_format == "0.0"
        assert summary[label].value == pytest.approx(sipas[key], rel=1e-12)
    assert _("95% CI") not in summary  # no interval as one text cell
    agencies = {r["by"]: r for r in found if r["section"] == "agency"
                and r["measure"] == "SIPAS" and r["level"] == "index"}
    checked = 0
    for row in _sheet_rows(book.worksheets[3]):
        if row[2].value != "SIPAS":
            continue
        record = agencies[row[0].value]
        for col, key in ((3, "estimate"), (4, "ci_low"), (5, "ci_high")):
            if row[col].value is None:
                continue
            assert row[col].data_type == "n" and row[col].number_format == "0.0"
            assert row[col].value == pytest.approx(record[key], rel=1e-12)
            checked += 1
    assert checked > 10
    change = [r for r in found if r["section"] == "change"]
    rows = _sheet_rows(book.worksheets[8])   # the change sheet
    assert len(rows) == len(change) > 0
    for col, key, number_format in ((5, "estimate", "0.0"), (6, "ci_low", "0.0"),
                                    (7, "ci_high", "0.0"), (8, "p_value", "0.000")):
        assert all(r[col].data_type == "n" and r[col].number_format == number_format
                   for r in rows), key
        assert sorted(r[col].value for r in rows) == pytest.approx(
            sorted(r[key] for r in change), rel=1e-12)
    rankings = book.worksheets[6:8]   # agencies, counters
    for ranking in rankings:
        for row in _sheet_rows(ranking):  # the rank band is a label of two numeric cells
            if row[0].value is not None:
                assert row[1].data_type == row[2].data_type == "n"
                assert row[3].value == f"{row[1].value}–{row[2].value}"
    for sheet in book.worksheets:  # no other number anywhere written as text
        for row in sheet.iter_rows(min_row=4):
            for c in row[4:] if sheet in rankings else row:
                assert not (c.data_type == "s" and re.fullmatch(r"[\d.,\s–\-−]+", c.value or "x"))


def _xml_formulas(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [name for name in archive.namelist() if name.startswith("xl/worksheets/")
                and re.search(rb"<f[ >]", archive.read(name))]


def test_names_that_look_like_formulas_stay_text(demo_app, analyst):
    with demo_app.app_context():
        db.session.execute(sa.update(Agency).where(Agency.code == "H-AN").values(name=INJECTED))
        db.session.execute(sa.update(Counter).where(Counter.code == db.session.scalar(
            sa.select(sa.func.min(Counter.code)))).values(code="+1-2"))
        db.session.commit()
    clear_cache()
    data = analyst.get(f"/reports/export.xlsx?period={PERIOD}").data
    assert _xml_formulas(data) == []
    book = load_workbook(io.BytesIO(data))
    names = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if c.value == INJECTED]
    assert names and all(c.data_type == "s" for c in names)
    codes = [c for row in book.worksheets[4].iter_rows() for c in row if c.value == "+1-2"]
    assert codes and all(c.data_type == "s" for c in codes)
    raw = analyst.get(f"/reports/raw.xlsx?period={PERIOD}").data
    assert _xml_formulas(raw) == []
    values = [c.value for row in load_workbook(io.BytesIO(raw)).active.iter_rows() for c in row]
    assert "+1-2" in values
    assert analyst.get(f"/reports/export.pdf?period={PERIOD}").status_code == 200
    assert INJECTED in analyst.get(f"/reports/?period={PERIOD}").get_data(as_text=True) \
        .replace("&#34;", '"').replace("&quot;", '"')


def test_csv_downloads_start_with_a_bom_and_json_does_not(demo_app, analyst):
    for url, first in ((f"/reports/export.csv?period={PERIOD}", "section"),
                       (f"/reports/raw.csv?period={PERIOD}", "response_id")):
        response = analyst.get(url)
        assert response.data.startswith(BOM), url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        frame = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig")
        assert frame.columns[0] == first
    with demo_app.test_request_context("/?lang=vi"):
        text = exports.to_json(build_report(db.session, ReportFilters(period=PERIOD)))
    assert text.startswith("[") and not text.encode("utf-8").startswith(BOM)


def test_raw_export_has_the_overall_question_and_the_profile(demo_app, analyst):
    data = analyst.get(f"/reports/raw.csv?period={PERIOD}").data
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"response_id": str})
    with demo_app.app_context():
        definition = latest_questionnaire(db.session, "sipas").definition
        answers = dict(db.session.execute(
            sa.select(Response.uuid, Answer.value).join(Answer, Answer.response_id == Response.id)
            .where(Answer.item_code == definition["overall"]["code"])).all())
        genders = dict(db.session.execute(sa.select(Response.uuid, Response.gender)).all())
    overall = definition["overall"]["code"]
    profile = [f["code"] for f in definition["profile"]]
    assert overall == "HL" and overall not in qdefs.criterion_codes(definition)
    assert {overall, *profile} <= set(frame.columns)
    assert not {"dossier_hash", "client_id", "received_at", "started_at", "submitted_at",
                "uuid"} & set(frame.columns)
    by_id = {str(k): v for k, v in answers.items()}
    expected = frame["response_id"].map(by_id)
    assert frame[overall].notna().sum() > 100
    assert (frame[overall].fillna(0) == expected.fillna(0)).all()
    gender = frame["response_id"].map({str(k): v for k, v in genders.items()})
    assert (frame["gender"].fillna("") == gender.fillna("")).all()
    assert set(frame["gender"].dropna()) <= {"male", "female", "other"}
    columns = list(frame.columns)
    assert columns.index("TC1") < columns.index(overall) < columns.index("gender")


def _pdf_objects(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Stream objects of a PDF: number → (dictionary, stream bytes, cut by ``/Length``)."""
    found = {}
    pattern = rb"(\d+) 0 obj\s*<<((?:(?!endobj).)*?)>>\s*stream\r?\n"
    for match in re.finditer(pattern, data, re.DOTALL):
        length = int(re.search(rb"/Length (\d+)", match.group(2)).group(1))
        found[int(match.group(1))] = (match.group(2), data[match.end():match.end() + length])
    return found


def test_pdf_text_is_at_least_nine_points_and_charts_are_not_shrunk(demo_app, analyst):
    data = analyst.get(f"/reports/export.pdf?period={PERIOD}").data
    objects = _pdf_objects(data)
    contents = [zlib.decompress(body) for head, body in objects.values()
                if b"/Subtype /Image" not in head and b"FlateDecode" in head]
    sizes = [float(s) for text in contents for s in re.findall(rb"/F\d+ ([\d.]+) Tf", text)]
    assert sizes and min(sizes) >= pdf.MIN_PT == 9
    names = dict(re.findall(rb"/(I\d+) (\d+) 0 R", data))
    placed = [(float(w), name) for text in contents for w, name in
              re.findall(rb"([\d.]+) 0 0 [\d.]+ [\d.]+ [\d.]+ cm /(I\d+) Do", text)]
    assert len(placed) == 4
    for width_pt, name in placed:
        head = objects[int(names[name])][0]
        pixels = int(re.search(rb"/Width (\d+)", head).group(1))
        scale = width_pt / (pixels / charts.DPI * 72)
        assert charts.MIN_FONT * scale >= 9 - 1e-6, (name, scale)
