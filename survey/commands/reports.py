"""``flask sipas report``: the report of the web page as JSON, CSV, XLSX or PDF.

The report modules (SQLAlchemy, pandas, scipy, openpyxl, fpdf2, matplotlib) load when the
command runs, not when ``flask`` lists its commands.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..cli import fail, sipas_cli
from ..codes import REPORT_CHANNELS, REPORT_VARIANCES, REPORT_WEIGHTS

FORMATS = ("json", "csv", "xlsx", "pdf")


@sipas_cli.command("report")
@click.option("--period", default=None, help="YYYY, YYYY-Qn, YYYY-MM or a date range "
              "(default: all data, each response weighted within its quarter).")
@click.option("--agency", default=None, help="Agency code (with its subordinate units).")
@click.option("--service-area", default=None, help="Service area code (a domain).")
@click.option("--channel", type=click.Choice(REPORT_CHANNELS), default="all",
              help="kiosk, qr or import (paper and telephone surveys); all by default.")
@click.option("--questionnaire", default="sipas", show_default=True)
@click.option("--weights", type=click.Choice(REPORT_WEIGHTS), default="dossiers")
@click.option("--variance", type=click.Choice(REPORT_VARIANCES), default="design",
              help="design: citizens sampled in every counter (cells as strata, the default); "
              "counters: counters as a sample of clusters (strata = agency).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the XLSX and PDF texts.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output for json and csv).")
@with_appcontext
def report_command(period, agency, service_area, channel, questionnaire, weights, variance,
                   lang, fmt, out) -> None:
    """Compute the SIPAS report with the same numbers as the web page."""
    from flask import current_app

    from ..extensions import db
    from ..reports.compute import build_report
    from ..reports.exports import render_report
    from ..reports.filters import FilterError, ReportFilters, check

    filters = ReportFilters(period=period, agency=agency, service_area=service_area,
                            channel=channel, questionnaire=questionnaire, weights=weights,
                            variance=variance)
    try:
        check(db.session, filters)
    except FilterError as exc:
        fail(str(exc))
    if fmt in ("xlsx", "pdf") and not out:
        fail(f"--format {fmt} needs --out FILE")
    with current_app.test_request_context(f"/?lang={lang}"):
        report = build_report(db.session, filters)
        body = render_report(report, fmt, lang)
    if not out:
        click.echo(body, nl=False)
        return
    if isinstance(body, str):
        Path(out).write_text(body, encoding="utf-8")
    else:
        Path(out).write_bytes(body)
    click.echo(f"Report written to {out}", err=True)
