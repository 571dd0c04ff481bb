"""The items service: every door reads items through here, with the caller's permissions.

One :class:`ItemsService` serves one caller (``accountability`` None is Tessera itself).
Reads take a parsed :class:`~tessera.query.model.Query` or a raw mapping in Directus's
syntax. Whatever the caller may not read does not exist for them: an unknown or
unreadable collection, field or item is FORBIDDEN, never "not found".
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.access.permissions import Action, Permissions
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import ForbiddenError
from tessera.query.access import ReadAccess
from tessera.query.aggregate import aggregate_items
from tessera.query.filter_variables import Variables, load_variables
from tessera.query.model import And, Condition, Filter, Query
from tessera.query.parse import parse_query
from tessera.query.read import Reader
from tessera.schema.overview import CollectionInfo, SchemaCache, SchemaOverview
from tessera.services.access_cache import AccessCache
from tessera.services.grants import is_full, rules_of
from tessera.services.item_writes import writing
from tessera.services.keys import parse_key

if TYPE_CHECKING:
    from tessera.services.flows.events import Emitter


@dataclass
class Page:
    """A list read: the items, and the ``meta`` counts that were asked for."""

    data: list[dict[str, Any]]
    meta: dict[str, int] | None = None

    def to_api(self) -> dict[str, Any]:
        return {"data": self.data} if self.meta is None else {"meta": self.meta, "data": self.data}


@dataclass
class ItemsService:
    db: Database
    schema: SchemaCache
    settings: Settings
    accountability: Accountability | None = None
    #: What ``$NOW`` is; the current time when None.
    now: dt.datetime | None = None
    #: Parsed permissions; the doors share one per process.
    cache: AccessCache = field(default_factory=AccessCache)
    #: Where writes fire their events (event flows); None: they fire none.
    events: Emitter | None = None
    #: A write transaction to work in instead of one's own: a filter flow's operations
    #: join the write that runs them (see :mod:`tessera.services.flows.events`).
    transaction: Connection | None = None

    # --- queries ------------------------------------------------------------------------

    def query(self, raw: Mapping[str, Any] | Query | None = None) -> Query:
        """A raw Directus query checked and parsed with this server's limits."""
        if isinstance(raw, Query):
            return raw
        return parse_query(
            raw or {},
            limit_default=self.settings.query_limit_default,
            limit_max=self.settings.query_limit_cap,
        )

    def read_by_query(
        self, collection: str, query: Mapping[str, Any] | Query | None = None
    ) -> Page:
        """Items, or aggregates, as the query says; with ``meta`` counts when asked."""
        parsed = self.query(query)
        with self.reading(collection, "read", *filters_in(parsed)) as (reader, info):
            if parsed.aggregate or parsed.group_by:
                return Page(aggregate_items(reader, info, parsed))
            data = reader.items(info, parsed)
            meta = None
            if parsed.meta:
                meta = {}
                if "total_count" in parsed.meta:
                    meta["total_count"] = reader.count(info, parsed, filtered=False)
                if "filter_count" in parsed.meta:
                    meta["filter_count"] = reader.count(info, parsed, filtered=True)
            return Page(data, meta)

    def read_one(
        self, collection: str, key: Any, query: Mapping[str, Any] | Query | None = None
    ) -> dict[str, Any]:
        """One item by key; FORBIDDEN when it does not exist or the caller may not read it."""
        found = self.read_many(collection, [key], query)
        if not found:
            raise ForbiddenError()
        return found[0]

    def read_many(
        self,
        collection: str,
        keys: Sequence[Any],
        query: Mapping[str, Any] | Query | None = None,
    ) -> list[dict[str, Any]]:
        """The readable items among ``keys``, as the query's other settings shape them."""
        parsed = self.query(query)
        with self.reading(collection, "read", *filters_in(parsed)) as (reader, info):
            primary = info.primary or "id"
            valid = [key for key in (parse_key(info, raw) for raw in keys) if key is not None]
            if not valid:
                return []
            by_key = Condition((primary,), None, "_in", tuple(valid))
            narrowed = replace(
                parsed,
                filter=by_key if parsed.filter is None else And((parsed.filter, by_key)),
                limit=None,
                offset=0,
            )
            return reader.items(info, narrowed)

    def read_singleton(
        self, collection: str, query: Mapping[str, Any] | Query | None = None
    ) -> dict[str, Any]:
        """A singleton's item; its field defaults (key null) while it has none."""
        parsed = replace(self.query(query), limit=1, offset=0)
        with self.reading(collection, "read", *filters_in(parsed)) as (reader, info):
            found = reader.items(info, parsed)
            if found:
                return found[0]
            grant = reader.access.of(collection)
            return {
                name: (None if name == info.primary else _default(field_info.schema))
                for name, field_info in info.fields.items()
                if not field_info.is_alias and grant.readable(name)
            }

    def create_one(self, collection: str, data: Mapping[str, Any]) -> Any:
        """Create an item, with what it nests; its primary key. Refused on a singleton."""
        with writing(self) as writer:
            writer.refuse_singleton(collection)
            return writer.create(collection, data)

    def create_many(self, collection: str, data: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Create the items in order, all or none; their primary keys."""
        with writing(self) as writer:
            writer.refuse_singleton(collection)
            return writer.create_many(collection, data)

    def update_one(self, collection: str, key: Any, data: Mapping[str, Any]) -> Any:
        return self.update_many(collection, [key], data)[0]

    def update_many(
        self, collection: str, keys: Sequence[Any], data: Mapping[str, Any]
    ) -> list[Any]:
        """Write the same ``data`` to each item of ``keys``; the keys."""
        with writing(self) as writer:
            return writer.update(collection, keys, data)

    def update_batch(self, collection: str, data: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Update each item by the primary key it holds, with its own values; the keys."""
        with writing(self) as writer:
            return writer.update_batch(collection, data)

    def update_by_query(
        self, collection: str, query: Mapping[str, Any] | Query, data: Mapping[str, Any]
    ) -> list[Any]:
        """Update the items the query selects (among those the caller may read); the keys."""
        with writing(self) as writer:
            keys = writer.keys_by_query(collection, self.query(query))
            return writer.update(collection, keys, data)

    def delete_one(self, collection: str, key: Any) -> Any:
        return self.delete_many(collection, [key])[0]

    def delete_many(self, collection: str, keys: Sequence[Any]) -> list[Any]:
        with writing(self) as writer:
            return writer.delete(collection, keys)

    def delete_by_query(self, collection: str, query: Mapping[str, Any] | Query) -> list[Any]:
        """Delete the items the query selects (among those the caller may read); the keys."""
        with writing(self) as writer:
            return writer.delete(collection, writer.keys_by_query(collection, self.query(query)))

    def upsert_singleton(self, collection: str, data: Mapping[str, Any]) -> Any:
        """Update a singleton's item, or create it when it has none; its primary key."""
        with writing(self) as writer:
            return writer.upsert_singleton(collection, data)

    # --- plumbing -----------------------------------------------------------------------

    def is_singleton(self, collection: str) -> bool:
        """Whether ``collection`` holds one item (FORBIDDEN when it is not a collection)."""
        info = collection_info(self.schema.get(), collection)
        return bool((info.meta or {}).get("singleton"))

    @contextlib.contextmanager
    def reading(
        self, collection: str, action: Action, *filters: Filter | None
    ) -> Iterator[tuple[Reader, CollectionInfo]]:
        """A :class:`Reader` for this caller over ``action``'s grants, in a read transaction."""
        if self.transaction is not None:
            yield self.reader(self.transaction, collection, action, *filters)
            return
        with self.db.read() as conn:
            yield self.reader(conn, collection, action, *filters)

    def reader(
        self, conn: Connection, collection: str, action: Action, *filters: Filter | None
    ) -> tuple[Reader, CollectionInfo]:
        """A :class:`Reader` inside the caller's transaction ``conn``."""
        overview = self.schema.get(conn)
        info = collection_info(overview, collection)
        access = self.cache.access(conn, self.accountability, action)
        if not access.may_read(collection):
            raise collection_forbidden(collection)
        variables = self.variables(conn, overview, access, *filters)
        reader = Reader(
            conn,
            overview,
            access,
            variables,
            self.now or dt.datetime.now(dt.UTC),
            admin=bool(self.accountability and self.accountability.admin),
            limit_default=self.settings.query_limit_default,
        )
        return reader, info

    def permissions(self, conn: Connection) -> Permissions | None:
        if is_full(self.accountability):
            return None
        assert self.accountability is not None
        return self.cache.permissions(conn, self.accountability)

    def variables(
        self,
        conn: Connection,
        overview: SchemaOverview,
        access: ReadAccess,
        *filters: Filter | None,
    ) -> Variables:
        base = Variables.of(
            self.accountability,
            self.accountability.policies if self.accountability else (),
        )
        return load_variables(conn, overview, base, *filters, *rules_of(access))


def collection_info(overview: SchemaOverview, collection: str) -> CollectionInfo:
    """The collection's schema; FORBIDDEN for anything that is not a collection with a table."""
    info = overview.collections.get(collection)
    if info is None or info.table is None:
        raise collection_forbidden(collection)
    return info


def collection_forbidden(collection: str) -> ForbiddenError:
    """Directus's answer for a collection that is unknown or not readable: the same for both,
    naming only what the caller asked for."""
    reason = (
        f'You don\'t have permission to access collection "{collection}" or it does '
        "not exist. Queried in root."
    )
    return ForbiddenError(reason, reason=reason)


def filters_in(query: Query) -> list[Filter | None]:
    """The query's filter and every ``deep`` level's, for loading their variables."""
    found: list[Filter | None] = [query.filter]
    for nested in query.deep.values():
        found.extend(filters_in(nested))
    return found


def _default(column: Any) -> Any:
    return None if column is None else column.default_value
