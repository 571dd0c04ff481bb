"""``tessera settings``: the project settings (``directus_settings``), read and changed.

A thin layer over the items service, as :mod:`tessera.cli.service` describes.
"""

from __future__ import annotations

import json
from typing import Any

import click

from tessera.cli.service import JSON_OPTION, ServiceGroup, items_service, note, show
from tessera.services.items import ItemsService

SETTINGS = "directus_settings"


@click.group(cls=ServiceGroup)
def settings() -> None:
    """Read and change the project settings.

    \b
    Examples:
      tessera settings set mcp_enabled true
      tessera settings set project_name '"Acme"'
      tessera settings set auth_password_policy '/^.{12,}$/'
      tessera settings get mcp_enabled
      tessera settings list --json
    """


@settings.command("get")
@click.argument("key")
def get_setting(key: str) -> None:
    """Print the setting KEY: text as it is, anything else as JSON (true, 5, null, {...})."""
    items = items_service()
    value = items.read_singleton(SETTINGS, {"fields": [_known(items, key)]})[key]
    click.echo(value if isinstance(value, str) else json.dumps(value))


@settings.command("set")
@click.argument("key")
@click.argument("value")
def set_setting(key: str, value: str) -> None:
    """Set KEY to VALUE, read as JSON when it is JSON (true, 5, "text", {...}), else as text."""
    items = items_service()
    items.upsert_singleton(SETTINGS, {_known(items, key): _parsed(value)})
    stored = items.read_singleton(SETTINGS, {"fields": [key]})[key]
    note(f"{key} = {stored if isinstance(stored, str) else json.dumps(stored)}")


@settings.command("list")
@JSON_OPTION
def list_settings(as_json: bool) -> None:
    """Every setting and its value."""
    found = items_service().read_singleton(SETTINGS)
    if as_json:
        click.echo(json.dumps(found, indent=2, default=str))
        return
    show([{"setting": key, "value": value} for key, value in found.items()], as_json=False)


def _known(items: ItemsService, key: str) -> str:
    """``key``, when it is a setting; one line and exit 1 otherwise (a write would drop it)."""
    info = items.schema.get().collections[SETTINGS]
    field = info.fields.get(key)
    if field is None or field.is_alias or key == info.primary:
        raise click.ClickException(f'No setting named "{key}".')
    return key


def _parsed(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
