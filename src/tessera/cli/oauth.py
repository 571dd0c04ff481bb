"""``tessera oauth``: the MCP OAuth clients (list, show, revoke) and the cleanup job.

The same service functions as ``/mcp-oauth/clients`` (:mod:`tessera.services.oauth.apps`),
acting as an admin with origin ``cli``.
"""

from __future__ import annotations

import json

import click

from tessera.cli.service import CLI_CALLER, JSON_OPTION, ServiceGroup, items_service, note, show
from tessera.errors import ForbiddenError
from tessera.services.oauth import apps
from tessera.services.oauth.cleanup import cleanup as run_cleanup

SUMMARY = ("client_id", "client_name", "registration_type", "grants", "date_created")


@click.group(cls=ServiceGroup)
def oauth() -> None:
    """The OAuth clients MCP assistants connected with.

    \b
    Examples:
      tessera oauth clients list
      tessera oauth clients show 0b6c…
      tessera oauth clients revoke 0b6c…
      tessera oauth cleanup
    """


@oauth.group(cls=ServiceGroup)
def clients() -> None:
    """Registered clients: list, show, revoke."""


@clients.command("list")
@JSON_OPTION
def list_clients(as_json: bool) -> None:
    """Every registered client, newest first, with its number of live grants."""
    db = items_service().db
    with db.read() as conn:
        found = apps.list_clients(conn, CLI_CALLER)
    rows = found if as_json else [{key: row[key] for key in SUMMARY} for row in found]
    show(rows, as_json)


@clients.command("show")
@click.argument("client_id")
def show_client(client_id: str) -> None:
    """Everything known of CLIENT_ID (never its secret), as JSON."""
    db = items_service().db
    with db.read() as conn:
        try:
            client = apps.get_client(conn, client_id, CLI_CALLER)
        except ForbiddenError:
            raise click.ClickException(f"No OAuth client {client_id}") from None
    click.echo(json.dumps(client, indent=2, default=str))


@clients.command("revoke")
@click.argument("client_id")
def revoke_client(client_id: str) -> None:
    """Remove CLIENT_ID: its consents, codes, grants and sessions end at once."""
    db = items_service().db
    with db.write() as conn:
        try:
            apps.revoke_client(conn, client_id, CLI_CALLER)
        except ForbiddenError:
            raise click.ClickException(f"No OAuth client {client_id}") from None
    note(f"Revoked {client_id}")


@oauth.command("cleanup")
def cleanup() -> None:
    """Run the cleanup job now: expired codes and grants, clients nobody uses."""
    items = items_service()
    done = run_cleanup(items.db, items.settings)
    note(", ".join(f"{count} {kind}" for kind, count in done.items()) + " removed")
