"""``flask sipas watch`` (every check, then the digests) and ``flask sipas send-digest``."""
from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from ..cli import fail, sipas_cli


@sipas_cli.command("watch")
@click.option("--at", "at", default=None, help="Run as of this local time (YYYY-MM-DDTHH:MM); "
              "default: now.")
@click.option("--no-mail", is_flag=True, help="Store the alerts and write the digests, send "
              "nothing.")
@with_appcontext
def watch_command(at: str | None, no_mail: bool) -> None:
    """Run the early-warning and fraud checks, store new alerts, send the daily digests."""
    from ..alerts.calendar import LOCAL_TZ, CalendarError
    from ..alerts.watch import run
    from ..extensions import db
    from ..models import utcnow

    now = utcnow()
    if at:
        try:
            now = datetime.fromisoformat(at).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            fail(f"--at {at!r} is not a time like 2026-12-01T08:00")
    try:
        summary = run(db.session, now, send=not no_mail)
    except CalendarError as error:
        fail(str(error))
    click.echo(f"{summary['found']} findings, {summary['new']} new alerts; digests written "
               f"{summary['digests']}, sent {summary['sent']}, failed {summary['failed']}, "
               f"waiting {summary['waiting']}.")
    if summary["failed"]:
        raise SystemExit(2)


@sipas_cli.command("send-digest")
@with_appcontext
def send_digest_command() -> None:
    """Send the digests not yet delivered (a failed one is retried until DIGEST_MAX_ATTEMPTS)."""
    from ..alerts.digest import send_pending
    from ..extensions import db

    counts = send_pending(db.session)
    click.echo(f"sent {counts['sent']}, failed {counts['failed']}, waiting {counts['waiting']}.")
    if counts["failed"]:
        raise SystemExit(2)
