"""``tessera schema``: copy a data model between databases."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tessera.config import ConfigError, load_settings
from tessera.db import Database
from tessera.db.migrations import migrate, pending
from tessera.errors import TesseraError
from tessera.schema.overview import SchemaCache
from tessera.services.schema_change import SchemaContext
from tessera.services.snapshot import Change, apply_changes, diff, take_snapshot

console = Console(stderr=True)
_COLOURS = {"create": "green", "update": "yellow", "delete": "red"}


def _context() -> SchemaContext:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    db = Database(settings.database_url)
    return SchemaContext(db, SchemaCache(db, settings.excluded_tables))


@click.group()
def schema() -> None:
    """Snapshot the data model, or apply a snapshot to this database.

    \b
    Examples:
      tessera schema snapshot > model.yaml
      tessera schema snapshot --format json model.json
      tessera schema apply model.yaml            # shows the changes, then asks
      tessera schema apply model.yaml --yes      # for scripts and CI
    """


@schema.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="Output format.",
)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path), required=False)
def snapshot(fmt: str, output: Path | None) -> None:
    """Write the collections, fields and relations to OUTPUT (standard output if omitted)."""
    context = _context()
    if pending(context.db):
        raise click.ClickException("The database is not initialised: run `tessera init` first.")
    document = take_snapshot(context)
    text = (
        json.dumps(document, indent=2, default=str) + "\n"
        if fmt == "json"
        else yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        console.print(
            f"Snapshot written to [bold]{output}[/] "
            f"({len(document['collections'])} collections, "
            f"{len(document['fields'])} fields, {len(document['relations'])} relations)"
        )


@schema.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--dry-run", is_flag=True, help="Show the changes and stop.")
def apply(file: Path, yes: bool, dry_run: bool) -> None:
    """Make this database's data model match the snapshot in FILE (JSON or YAML).

    Everything is applied in one transaction: if one change fails, none is kept.
    """
    document = _read(file)
    context = _context()
    migrate(context.db)
    try:
        changes = diff(take_snapshot(context), document)
    except TesseraError as exc:
        raise click.ClickException(exc.message) from None
    if not changes:
        console.print("Nothing to do: the data model already matches the snapshot.")
        return
    _show(changes)
    if dry_run:
        return
    if not yes and not click.confirm(f"Apply {len(changes)} changes?", err=True):
        raise click.Abort()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Applying", total=len(changes))
        try:
            apply_changes(context, changes, lambda _c: progress.advance(task))
        except TesseraError as exc:
            raise click.ClickException(f"{exc.message} Nothing was changed.") from None
    console.print(f"[green]Applied {len(changes)} changes.[/]")


def _read(file: Path) -> Any:
    text = file.read_text()
    try:
        return json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{file} is not valid JSON or YAML: {exc}") from None


def _show(changes: list[Change]) -> None:
    table = Table(title="Schema changes", show_lines=False)
    table.add_column("Action")
    table.add_column("Kind")
    table.add_column("Name")
    table.add_column("Details")
    for change in changes:
        colour = _COLOURS[change.action]
        table.add_row(
            f"[{colour}]{change.action}[/]", change.kind, change.name, "\n".join(change.detail)
        )
    console.print(table)
