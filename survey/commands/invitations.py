"""``flask sipas api-client create | list | revoke``: the one-stop system's API keys."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..cli import fail, sipas_cli


@sipas_cli.group("api-client")
def api_client_cli() -> None:
    """API keys of the one-stop system (dossier invitations)."""


@api_client_cli.command("create")
@click.option("--name", required=True, help="Who uses the key, e.g. 'Hệ thống một cửa tỉnh'.")
@click.option("--agency", "agency_code", default=None,
              help="Limit the key to this agency and the agencies below it.")
@with_appcontext
def create_command(name: str, agency_code: str | None) -> None:
    """Create a client and print its key (shown this once only)."""
    import sqlalchemy as sa

    from ..extensions import db
    from ..invitations.keys import ClientError, create_client
    from ..models import Agency
    agency = None
    if agency_code:
        agency = db.session.scalars(sa.select(Agency).where(Agency.code == agency_code)).first()
        if agency is None:
            fail(f"no agency with code {agency_code!r}")
    try:
        made = create_client(db.session, None, name, agency)
    except ClientError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Created API client {made.client.name!r} ({made.client.key_prefix}…), "
               f"scope {agency.code if agency else 'whole province'}.")
    click.echo("Key (shown once; store it in the one-stop system now):")
    click.echo(made.key)


@api_client_cli.command("list")
@with_appcontext
def list_command() -> None:
    """One line per client: key prefix, state, scope, last use, name."""
    import sqlalchemy as sa

    from ..extensions import db
    from ..models import ApiClient
    for client in db.session.scalars(sa.select(ApiClient).order_by(ApiClient.id)):
        state = "active" if client.active else "revoked"
        scope = client.agency.code if client.agency else "province"
        used = client.last_used_at.isoformat(timespec="seconds") if client.last_used_at \
            else "never"
        click.echo(f"{client.key_prefix}\t{state}\t{scope}\t{used}\t{client.name}")


@api_client_cli.command("revoke")
@click.argument("prefix")
@with_appcontext
def revoke_command(prefix: str) -> None:
    """Revoke the client whose key starts with PREFIX (as ``list`` prints it)."""
    from ..extensions import db
    from ..invitations.keys import find_by_prefix, revoke_client
    client = find_by_prefix(db.session, prefix)
    if client is None:
        fail(f"no API client with key prefix {prefix!r}")
    if not revoke_client(db.session, None, client):
        fail(f"the key {client.key_prefix}… is already revoked")
    db.session.commit()
    click.echo(f"Revoked {client.key_prefix}… ({client.name}); its unanswered links stop "
               "working too.")
