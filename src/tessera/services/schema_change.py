"""The one way the schema services change the schema: admin only, one transaction,
the version bumped with the DDL, database errors translated, the cache dropped, and
every change in the activity log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability, require_admin
from tessera.access.permissions import Permissions, load_permissions
from tessera.db.engine import Database
from tessera.db.errors import translate_db_error
from tessera.errors import ForbiddenError
from tessera.schema.overview import SchemaCache, SchemaOverview, bump_version
from tessera.services.activity import Action, Revision, record


@dataclass
class SchemaContext:
    """Where a schema service works: the database, its cached schema, and the caller."""

    db: Database
    cache: SchemaCache
    accountability: Accountability | None = None
    _conn: Connection | None = field(default=None, init=False, repr=False)

    def overview(self, kind: str = "directus_collections") -> SchemaOverview:
        """The schema as the caller may see it, through the system collection ``kind``.

        Admins and internal calls see everything. Anyone else needs read access to
        ``kind`` (``directus_collections``, ``directus_fields`` or
        ``directus_relations``; app access grants all three) and then sees only the
        collections, fields and relations their read permissions cover.
        """
        if self._conn is not None:
            require_admin(self.accountability)
            return self.cache.load(self._conn)
        overview = self.cache.get()
        who = self.accountability
        if who is None or who.admin:
            return overview
        with self.db.read() as conn:
            granted = load_permissions(conn, who)
        if granted.get(kind, "read") is None:
            raise ForbiddenError()
        return visible_part(overview, granted)

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
                yield conn, self.cache.load_after_bump(conn)
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


def visible_part(overview: SchemaOverview, granted: Permissions) -> SchemaOverview:
    """The collections, fields and relations the ``granted`` read permissions cover."""
    collections = {}
    for name, info in overview.collections.items():
        reading = granted.get(name, "read")
        if reading is None:
            continue
        allowed = reading.fields
        fields = {
            key: value for key, value in info.fields.items() if allowed is None or key in allowed
        }
        collections[name] = replace(info, fields=fields)
    relations = [
        relation
        for relation in overview.relations
        if relation.collection in collections
        and relation.field in collections[relation.collection].fields
        and (relation.related_collection is None or relation.related_collection in collections)
    ]
    return SchemaOverview(overview.version, collections, relations)
