"""``flask sipas import-field FILE``: a file of paper or telephone interviews, all or nothing."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..cli import sipas_cli
from ..codes import IMPORT_MODES


@sipas_cli.command("import-field")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--mode", type=click.Choice(IMPORT_MODES), default=None,
              help="How every interview of the file was done (else the file's mode column).")
@click.option("--questionnaire", default=None,
              help="Questionnaire code of every row (else the file's questionnaire column).")
@click.option("--version", type=click.IntRange(min=1), default=None,
              help="Its version (default: the newest published).")
@with_appcontext
def import_field_command(path: str, mode: str | None, questionnaire: str | None,
                         version: int | None) -> None:
    """Store a CSV or XLSX of field interviews (channel import) when every row is good; else
    list every problem by row and column and store nothing (exit status 1)."""
    from ..extensions import db
    from ..fieldwork.columns import Defaults
    from ..fieldwork.service import import_field_file

    if version is not None and questionnaire is None:
        raise click.UsageError("--version needs --questionnaire")
    outcome = import_field_file(db.session, Path(path).read_bytes(), Path(path).name[:255],
                                Defaults(mode, questionnaire, version), None)
    if not outcome.ok:
        for problem in outcome.problems:
            click.echo(problem.text(), err=True)
        click.echo(f"Error: {len(outcome.problems)} problems; nothing was stored.", err=True)
        raise SystemExit(1)
    click.echo(f"{outcome.stored} responses stored (import {outcome.record.id}).")
