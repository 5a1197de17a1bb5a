"""``flask --app survey sipas …``: set-up, demo data, counters, export, totals, users.

Everything past click and Flask (SQLAlchemy, the models, numpy, pandas, Alembic) is imported
inside the commands that use it, so listing the commands (``flask --help``) loads none of it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from .codes import ROLES


def fail(message: str) -> None:
    """Stop the command with one clear line on stderr and exit status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


class SetupGroup(click.Group):
    """A command group whose commands run on an app that is set up: when ``flask`` built the
    app with its set-up put off (``survey.SurveyApp``), invoking the group finishes it first.
    Listing the group's commands (``flask --help``, ``flask sipas --help``) does not invoke it;
    a command's own ``--help`` does."""

    def invoke(self, ctx: click.Context):
        app = current_app._get_current_object() if current_app else \
            ctx.ensure_object(ScriptInfo).load_app()
        finish = getattr(app, "finish_setup", None)
        if finish is not None:
            finish()
        return super().invoke(ctx)


class SipasGroup(SetupGroup):
    """A command group that turns an unreachable database into one clear line."""

    def invoke(self, ctx: click.Context):
        from sqlalchemy.exc import OperationalError

        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            fail(f"database unreachable: {str(exc.orig).strip().splitlines()[0]}")


@click.group("sipas", cls=SipasGroup)
def sipas_cli() -> None:
    """SIPAS administration commands."""


@sipas_cli.command("init")
@with_appcontext
def init_command() -> None:
    """Apply the migrations and load the shipped questionnaires."""
    from flask_migrate import upgrade

    from . import catalog
    from .extensions import db

    try:
        upgrade()
        added = catalog.load_shipped_questionnaires(db.session)
        db.session.commit()
    except (catalog.CatalogError, ValueError) as exc:
        db.session.rollback()
        fail(str(exc))
    click.echo("Database is up to date; questionnaires: "
               + (", ".join(added) if added else "nothing new"))


@sipas_cli.command("demo")
@click.option("--responses", default=6000, show_default=True, type=click.IntRange(min=0),
              help="Synthetic responses (0: the province without any).")
@with_appcontext
def demo_command(responses: int) -> None:
    """Load the demo province (only into an empty database)."""
    from . import demo
    from .extensions import db

    if demo.is_loaded(db.session):
        click.echo("The database already has agencies: demo not loaded, nothing changed.")
        return
    try:
        made = demo.load(db.session, responses=responses)
        db.session.commit()
    except RuntimeError as exc:
        db.session.rollback()
        fail(str(exc))
    click.echo("Demo province loaded: " + ", ".join(f"{v} {k}" for k, v in made.items()))


def counter_rows() -> list[dict]:
    """Counters with their kiosk and QR URLs."""
    from .extensions import db
    from .models import Counter
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    rows = []
    for counter in db.session.scalars(db.select(Counter).order_by(Counter.code)):
        rows.append({
            "code": counter.code, "token": counter.token, "agency": counter.agency.code,
            "agency_name": counter.agency.name, "counter": counter.name,
            "service_areas": [a.code for a in counter.service_areas], "active": counter.active,
            "kiosk_url": f"{base}/kiosk/{counter.token}", "qr_url": f"{base}/q/{counter.token}",
        })
    return rows


@sipas_cli.command("counters")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@with_appcontext
def counters_command(fmt: str) -> None:
    """List counters with their tokens, kiosk and QR URLs."""
    rows = counter_rows()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['code']:<14} {row['agency_name']} – {row['counter']} "
                   f"[{', '.join(row['service_areas'])}]\n    kiosk: {row['kiosk_url']}\n"
                   f"    QR:    {row['qr_url']}")


@sipas_cli.command("export")
@click.option("--period", default=None, help="YYYY, YYYY-Qn, YYYY-MM or a date range.")
@click.option("--questionnaire", default="sipas", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output).")
@with_appcontext
def export_command(period: str | None, questionnaire: str, out: str | None) -> None:
    """Export the counted responses with the report's design columns (weight, stratum, fpc) as
    CSV: ``python -m analysis sipas FILE --weight weight --strata stratum --fpc fpc`` gives the
    report's numbers."""
    from . import periods
    from .extensions import db
    from .main.security import csv_safe_frame
    from .reports.compute import export_frame

    try:
        if period:
            periods.parse(period)
        frame = export_frame(db.session, questionnaire, period)
    except (periods.PeriodError, LookupError) as exc:
        fail(str(exc))
    text = csv_safe_frame(frame).to_csv(index=False, float_format="%.17g")  # codes only
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"{len(frame)} responses written to {out}", err=True)
    else:
        click.echo(text, nl=False)


@sipas_cli.command("rebuild-sums")
@click.option("--month", "months", multiple=True,
              help="YYYY-MM to rebuild (repeatable; default: every month with responses).")
@with_appcontext
def rebuild_sums_command(months: tuple[str, ...]) -> None:
    """Compute the stored slice sums again from the responses (after a restore, a bulk load or
    a "check-sums" that found differences), in one transaction."""
    import re

    from . import slices
    from .extensions import db

    for month in months:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            fail(f"{month!r} is not a month (YYYY-MM)")
    result = slices.rebuild(db.engine, list(months) or None)
    click.echo(f"{result['slices']} slices written for {len(result['months'])} months")


@sipas_cli.command("check-sums")
@with_appcontext
def check_sums_command() -> None:
    """Compare the stored slice sums with the responses; list every slice that differs (exit
    status 1 when any does)."""
    from . import slices
    from .extensions import db

    problems = slices.check(db.engine)
    for p in problems:
        click.echo(f"{p['month']} questionnaire {p['questionnaire_id']} agency {p['agency_id']} "
                   f"area {p['service_area_id']} counter {p['counter_id']} {p['channel']} "
                   f"{p['status']}: {p['problem']}")
    if problems:
        fail(f"{len(problems)} slices differ from the responses; run: flask sipas rebuild-sums")
    click.echo("The stored sums agree with the responses.")


@sipas_cli.command("export-sums")
@click.option("--period", required=True, help="YYYY, YYYY-Qn, YYYY-MM or a date range.")
@click.option("--province-code", default=None, help="Default: SIPAS_PROVINCE_CODE.")
@click.option("--province-name", default=None, help="Default: SIPAS_PROVINCE_NAME.")
@click.option("--questionnaire", default="sipas", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def export_sums_command(period, province_code, province_name, questionnaire, out) -> None:
    """Write this province's design moments of a period (no response, no counter) for the
    national roll-up ("flask sipas import-sums" on the national instance)."""
    from flask import current_app

    from . import periods, rollup
    from .extensions import db

    code = province_code or current_app.config.get("PROVINCE_CODE")
    name = province_name or current_app.config.get("PROVINCE_NAME") or code
    if not code:
        fail("give --province-code (or set SIPAS_PROVINCE_CODE)")
    try:
        document = rollup.export_sums(db.session, period, code, name, questionnaire,
                                      current_app.config["REPORT_MIN_CELL_RESPONSES"])
    except (periods.PeriodError, rollup.RollupError, LookupError) as exc:
        fail(str(exc))
    Path(out).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    click.echo(f"Sums of {document['responses']} responses (no response itself) written to "
               f"{out}", err=True)


@sipas_cli.command("import-sums")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Replace sums already imported for a province "
              "and period (otherwise a different file for them is refused).")
@with_appcontext
def import_sums_command(paths, replace: bool) -> None:
    """Import provinces' sums files (all or nothing); say for each whether it was imported,
    unchanged (the same file again) or replaced."""
    from . import rollup
    from .extensions import db

    outcomes = []
    try:
        for path in paths:
            try:
                document = json.loads(Path(path).read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise rollup.RollupError(f"{path}: not a JSON file ({exc})") from exc
            try:
                outcomes.append((path, document["province"]["code"], document["period"],
                                 rollup.import_sums(db.session, document, replace)))
            except rollup.RollupError as exc:
                raise rollup.RollupError(f"{path}: {exc}") from exc
        db.session.commit()
    except rollup.RollupError as exc:
        db.session.rollback()
        fail(str(exc))
    for path, code, period, outcome in outcomes:
        click.echo(f"{path}: {code} {period}: {outcome}")


@sipas_cli.command("national-report")
@click.option("--period", required=True)
@click.option("--questionnaire", default="sipas", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None)
@with_appcontext
def national_report_command(period: str, questionnaire: str, out: str | None) -> None:
    """The national and per-province SIPAS indices (with intervals and rank bands) of a period,
    from the imported provinces' sums, as JSON records."""
    from . import rollup
    from .extensions import db

    try:
        tables = rollup.national_tables(db.session, period, questionnaire)
    except rollup.RollupError as exc:
        fail(str(exc))
    text = json.dumps(rollup.records(tables), ensure_ascii=False, indent=1)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"National report of {len(tables['provinces'])} provinces written to {out}",
                   err=True)
    else:
        click.echo(text)


@sipas_cli.command("import-totals")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_totals_command(path: str) -> None:
    """Import population totals (period, agency, service_area, dossiers) from CSV."""
    from . import catalog
    from .extensions import db
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    report = catalog.import_totals(db.session, text)
    if report.problems:
        db.session.rollback()
        for problem in report.problems:
            click.echo(f"  {problem}", err=True)
        fail(f"{path}: {len(report.problems)} problem(s); nothing imported")
    db.session.commit()
    click.echo(f"Imported {report.imported} new and {report.updated} changed totals.")


@sipas_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES),
              required=True)
@click.option("--agency", "agency_code", default=None, help="Agency code (agency viewers).")
@click.option("--officer", "officer_code", default=None,
              help="Officer code (officer accounts; the officer's agency is the account's).")
@click.option("--email", default=None, help="E-mail address (daily alert digest).")
@click.password_option(envvar="SIPAS_NEW_USER_PASSWORD")
@with_appcontext
def create_user_command(username: str, role: str, agency_code: str | None,
                        officer_code: str | None, email: str | None, password: str) -> None:
    """Create a workspace user (the password is asked for, or read from the environment)."""
    from . import catalog
    from .extensions import db
    try:
        catalog.create_user(db.session, username, password, role, agency_code,
                            officer_code=officer_code, email=email)
    except catalog.CatalogError as exc:
        db.session.rollback()
        fail(str(exc))
    db.session.commit()
    click.echo(f"User {username} ({role}) created.")


@sipas_cli.command("import-officers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_officers_command(path: str) -> None:
    """Attach officers to responses from a CSV ``dossier_code,officer_code``; nothing is
    imported when any line is wrong."""
    from .extensions import db
    from .officers import importer

    text = importer.decode(Path(path).read_bytes())
    report = importer.import_officers(db.session, text, current_app.config["DOSSIER_HASH_KEY"],
                                      None, Path(path).name)
    if not report.ok:
        db.session.rollback()
        for problem in report.problems:
            click.echo(f"  {problem.text()}", err=True)
        fail(f"nothing imported: {len(report.problems)} problem(s)")
    db.session.commit()
    for item in report.replaced:
        click.echo(f"line {item.line}: officer {item.previous} replaced by {item.officer}")
    click.echo(f"{report.rows} lines: {report.changed} responses changed, "
               f"{report.unchanged} already had their officer.")


@sipas_cli.command("welcome")
@click.option("--limit", default=3, show_default=True, help="Counters to show.")
@with_appcontext
def welcome_command(limit: int) -> None:
    """Print the URLs a person needs next: staff sign-in and a few counters."""
    from . import demo
    from .extensions import db

    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    click.echo(f"\nSIPAS is starting at {base}/")
    click.echo(f"  Staff sign-in:  {base}/auth/login")
    if demo.is_loaded(db.session):
        for username, password, role, _agency in demo.DEMO_USERS:
            click.echo(f"    {role:<14} user {username!r}, password {password!r}")
        username, password, code = demo.DEMO_OFFICER_USER
        click.echo(f"    {'officer':<14} user {username!r}, password {password!r} "
                   f"(officer {code}: own results only)")
        click.echo(f"  At a kiosk, the Staff button signs an officer on: code e.g. {code}, "
                   f"PIN {demo.DEMO_OFFICER_PIN} (demo only)")
    import sqlalchemy as sa

    from .models import Alert
    open_alerts = db.session.scalar(sa.select(sa.func.count()).select_from(Alert).where(
        Alert.status == "open"))
    if open_alerts:
        click.echo(f"  Alerts to review: {open_alerts} at {base}/alerts/ "
                   "(found by flask sipas watch)")
    for row in counter_rows()[:limit]:
        click.echo(f"  {row['agency_name']} – {row['counter']}:")
        click.echo(f"    kiosk (tablet): {row['kiosk_url']}")
        click.echo(f"    QR (phone):     {row['qr_url']}")
    click.echo("  All counters:   flask --app survey sipas counters\n")


@sipas_cli.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def publish_command(path: str) -> None:
    """Validate a questionnaire definition file and publish it as a new version."""
    from . import catalog
    from .extensions import db
    from .questionnaires import QuestionnaireError, load_file

    try:
        questionnaire, is_new = catalog.publish_questionnaire(db.session, load_file(path))
    except QuestionnaireError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        fail(f"{exc.source}: {len(exc.problems)} problem(s); nothing published")
    except catalog.CatalogError as exc:
        db.session.rollback()
        fail(str(exc))
    db.session.commit()
    state = "published" if is_new else "already published, nothing changed"
    click.echo(f"Questionnaire {questionnaire.code} version {questionnaire.version}: {state}.")
