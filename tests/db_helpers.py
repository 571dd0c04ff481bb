"""Database helpers shared by tests in several folders."""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tessera.db import Database
from tessera.db.system_tables import metadata


def all_rows(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every system table, to show that something changed nothing."""
    with db.read() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(sa.select(table))), key=repr)
            for table in metadata.sorted_tables
        }


def unopenable_url(url: str, tmp_path: Path) -> str:
    """A URL like ``url`` whose database cannot be opened."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(database=str(tmp_path))  # a directory is no database file
    else:
        parsed = parsed.set(database=f"tessera_missing_{uuid.uuid4().hex}")
    return parsed.render_as_string(hide_password=False)
