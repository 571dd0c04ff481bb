"""The one way the schema services change the schema: admin only, one transaction,
the version bumped with the DDL, database errors translated, the cache dropped, and
every change in the activity log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability, require_admin
from tessera.db.engine import Database
from tessera.db.errors import translate_db_error
from tessera.schema.overview import SchemaCache, SchemaOverview, bump_version
from tessera.services.activity import Action, Revision, record


@dataclass
class SchemaContext:
    """Where a schema service works: the database, its cached schema, and the caller."""

    db: Database
    cache: SchemaCache
    accountability: Accountability | None = None
    _conn: Connection | None = field(default=None, init=False, repr=False)

    def overview(self) -> SchemaOverview:
        require_admin(self.accountability)
        if self._conn is not None:
            return self.cache.load(self._conn)
        return self.cache.get()

    @contextlib.contextmanager
    def change(self) -> Iterator[tuple[Connection, SchemaOverview]]:
        """One schema change; inside :meth:`transaction` it joins the open transaction."""
        require_admin(self.accountability)
        if self._conn is not None:
            yield self._conn, self.cache.load(self._conn)
            return
        try:
            with self.db.schema_change() as conn:
                # Bumping first takes the version row's lock: a concurrent change waits
                # here, then checks its input against what the first one committed.
                bump_version(conn)
                yield conn, self.cache.load(conn)
        except sa.exc.DBAPIError as exc:
            translated = translate_db_error(exc)
            if translated is None:
                raise
            raise translated from exc
        finally:
            self.cache.clear()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Run several changes as one: all of them commit, or none does."""
        with self.change() as (conn, _overview):
            self._conn = conn
            try:
                yield
            finally:
                self._conn = None

    def audit(
        self,
        conn: Connection,
        action: Action,
        collection: str,
        item: str,
        delta: dict[str, Any] | None = None,
    ) -> None:
        """Log one schema change as activity on its system collection (with a revision).

        Fields and relations are logged under ``<collection>.<field>``, the key the API
        names them by; Directus uses its metadata row's id, which a field without
        metadata does not have.
        """
        record(
            conn,
            self.accountability,
            action=action,
            collection=collection,
            changes=[Revision(item, data=delta, delta=delta)],
        )
