"""The one way the schema services change the schema: admin only, one transaction,
the version bumped with the DDL, database errors translated, the cache dropped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability, require_admin
from tessera.db.engine import Database
from tessera.db.errors import translate_db_error
from tessera.schema.overview import SchemaCache, SchemaOverview, bump_version


@dataclass
class SchemaContext:
    """Where a schema service works: the database, its cached schema, and the caller."""

    db: Database
    cache: SchemaCache
    accountability: Accountability | None = None

    def overview(self) -> SchemaOverview:
        require_admin(self.accountability)
        return self.cache.get()

    @contextlib.contextmanager
    def change(self) -> Iterator[tuple[Connection, SchemaOverview]]:
        require_admin(self.accountability)
        try:
            with self.db.schema_change() as conn:
                yield conn, self.cache.load(conn)
                bump_version(conn)
        except sa.exc.DBAPIError as exc:
            translated = translate_db_error(exc)
            if translated is None:
                raise
            raise translated from exc
        finally:
            self.cache.clear()
