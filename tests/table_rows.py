"""Every row of every system table, for tests that check that something changed nothing."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.db import Database
from tessera.db.system_tables import metadata


def all_rows(db: Database) -> dict[str, list[tuple[object, ...]]]:
    with db.read() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(sa.select(table))), key=repr)
            for table in metadata.sorted_tables
        }
