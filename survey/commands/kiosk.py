"""``flask --app survey kiosk audio``: spoken questions for the questionnaires in the database.

``make audio`` covers the shipped questionnaires without a database; this command also covers
versions published in the workspace, which ``make audio`` cannot know about.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..cli import SetupGroup

kiosk_cli = SetupGroup("kiosk", help="Kiosk commands.")


def latest_definitions() -> list[dict]:
    """The newest published version of every questionnaire code in the database."""
    import sqlalchemy as sa

    from ..extensions import db
    from ..models import Questionnaire
    from ..queries import latest_questionnaire

    codes = db.session.scalars(sa.select(Questionnaire.code).distinct()).all()
    found = [latest_questionnaire(db.session, code) for code in sorted(codes)]
    return [{**q.definition, "code": q.code, "version": q.version} for q in found if q]


@kiosk_cli.command("audio")
@click.option("--strict", is_flag=True, help="Fail when espeak-ng is missing.")
@with_appcontext
def audio_command(strict: bool) -> None:
    """Make the kiosk's audio for the newest version of every questionnaire."""
    from ..kiosk import audio
    from ..kiosk.routes import audio_root

    try:
        summary = audio.generate(latest_definitions(), audio_root())
    except audio.EspeakMissing as missing:
        click.echo(f"kiosk audio: {missing}", err=True)
        raise SystemExit(1 if strict else 0) from None
    click.echo(f"kiosk audio: {len(summary.made)} made, {len(summary.kept)} up to date "
               f"in {audio_root()}")
