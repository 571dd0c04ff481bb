"""What the access commands share: the items service, names, output, and one-line errors.

The commands (:mod:`tessera.cli.access`, :mod:`tessera.cli.users`,
:mod:`tessera.cli.settings`) are thin layers over the items service: the rules (unique
emails, the password policy, the last admin, hashed passwords, concealed tokens, valid IP
lists, the ACCESS counter that tells every server process its cached permissions are
stale) are the services', so the command line, REST and MCP behave alike. The commands
act as an admin with no user, so those rules apply and the activity log records each
change with origin ``cli`` (Tessera's internal calls would skip both).

Roles and policies are named by name or id, users by email or id. Because names are how
the command line finds roles and policies, it does not create a second one of a name
that is taken (REST still may, as in Directus); a name several share must be given as an id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from tessera.access.accountability import Accountability
from tessera.config import ConfigError, load_settings
from tessera.db import Database
from tessera.db.migrations import pending
from tessera.errors import TesseraError
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService

#: Who the commands act as (see the module docstring).
CLI_CALLER = Accountability(admin=True, app=True, origin="cli")


class ServiceGroup(click.Group):
    """A command group whose failures end as one line on standard error, with exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TesseraError as exc:
            raise click.ClickException(f"{exc.message} ({exc.code})") from None
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise click.ClickException(f"Database error: {reason}") from None


def items_service() -> ItemsService:
    """The items service over the configured database, closed when the command ends."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    db = Database(settings.database_url)
    click.get_current_context().call_on_close(db.dispose)
    if pending(db):
        raise click.ClickException("The database is not initialised: run `tessera init` first.")
    return ItemsService(db, SchemaCache(db, settings.excluded_tables), settings, CLI_CALLER)


# --- finding things by name -------------------------------------------------------------


def matching(items: ItemsService, collection: str, field: str, value: str) -> list[Any]:
    """The keys of the items whose id is ``value``, else whose ``field`` is (emails in any case)."""
    if _is_uuid(value):
        found = items.read_many(collection, [value], {"fields": ["id"]})
        if found:
            return [found[0]["id"]]
    operator = "_ieq" if field == "email" else "_eq"
    query = {"filter": {field: {operator: value}}, "fields": ["id"], "limit": -1}
    return [item["id"] for item in items.read_by_query(collection, query).data]


#: What the commands name, and how: kind → (collection, the field a name is, plural).
_NAMED = {
    "role": ("directus_roles", "name", "roles"),
    "policy": ("directus_policies", "name", "policies"),
    "user": ("directus_users", "email", "users"),
}


def find(items: ItemsService, kind: str, value: str) -> Any:
    """The key of the role, policy or user that ``value`` names; one line and exit 1 when
    none or several do."""
    collection, field, plural = _NAMED[kind]
    keys = matching(items, collection, field, value)
    if not keys:
        described = "with the email" if kind == "user" else "named"
        raise click.ClickException(f'No {kind} {described} "{value}".')
    if len(keys) > 1:
        listed = ", ".join(map(str, keys))
        raise click.ClickException(
            f'{len(keys)} {plural} are named "{value}" ({listed}): give one by its id.'
        )
    return keys[0]


def refuse_taken(items: ItemsService, kind: str, name: str) -> None:
    """One line and exit 1 when a role or policy is named ``name`` already."""
    collection, field, _ = _NAMED[kind]
    keys = matching(items, collection, field, name)
    if keys:
        raise click.ClickException(f'A {kind} named "{name}" exists already: {keys[0]}.')


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- output -----------------------------------------------------------------------------

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def show(rows: Sequence[Mapping[str, Any]], as_json: bool) -> None:
    """Rows as JSON, or as aligned columns under a header (``-`` for nothing)."""
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, default=str))
        return
    if not rows:
        return
    table = [list(rows[0])] + [[cell(value) for value in row.values()] for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        padded = (text.ljust(width) for text, width in zip(line, widths, strict=True))
        click.echo("  ".join(padded).rstrip())


def cell(value: Any) -> str:
    if value is None or value == []:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    return json.dumps(value, default=str)


def note(message: str) -> None:
    """A message for the person at the terminal: standard error, so stdout stays data."""
    click.echo(message, err=True)


def names(related: Iterable[Mapping[str, Any] | None], key: str, field: str) -> list[str]:
    """The ``field`` of each item under ``key`` of a junction list, sorted, skipping gaps."""
    return sorted(str(link[key][field]) for link in related if link and link.get(key))
