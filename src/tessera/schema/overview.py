"""The schema overview: collections, fields and relations, merged from the database and the
``directus_*`` metadata rows, built once and cached.

A schema change bumps ``tessera_schema_version`` in the same transaction as its
DDL, and every request compares that counter with the cached one, so a second
process serving the same database rebuilds on its next request. On SQLite the
file's own ``schema_version`` is part of the key as well, so a table created by
hand appears without anyone clearing a cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.db.counters import SCHEMA, bump_counter, read_counter
from tessera.db.engine import Database
from tessera.db.system_tables import (
    directus_collections,
    directus_fields,
    directus_relations,
)
from tessera.schema.introspect import Column, ForeignKey, Table, inspect_tables
from tessera.schema.system_meta import (
    SYSTEM_ALIASES,
    SYSTEM_RELATIONS,
    SYSTEM_SPECIALS,
    system_field_meta,
    system_relation_meta,
)
from tessera.schema.types import ALIAS_SPECIALS, effective_type
from tessera.schema.values import value_type

SYSTEM_PREFIX = "directus_"


@dataclass
class FieldInfo:
    collection: str
    field: str
    type: str
    schema: Column | None
    meta: dict[str, Any] | None

    @property
    def special(self) -> list[str]:
        return list((self.meta or {}).get("special") or [])

    @property
    def is_alias(self) -> bool:
        return self.schema is None

    def to_api(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "field": self.field,
            "type": self.type,
            "meta": self.meta,
            "schema": self.schema.to_api() if self.schema else None,
        }


@dataclass
class CollectionInfo:
    collection: str
    meta: dict[str, Any] | None
    table: Table | None
    fields: dict[str, FieldInfo] = field(default_factory=dict)

    @property
    def system(self) -> bool:
        return self.collection.startswith(SYSTEM_PREFIX)

    @property
    def primary(self) -> str | None:
        return self.table.primary_key if self.table else None

    @property
    def is_folder(self) -> bool:
        return self.table is None

    @cached_property
    def sql_table(self) -> sa.Table:
        """The table for queries, each column typed to read and write Directus's shapes."""
        if self.table is None:
            raise ValueError(f"{self.collection} is a folder and has no table")
        columns = [
            sa.Column(
                info.field,
                value_type(
                    info.type,
                    precision=info.schema.numeric_precision,
                    scale=info.schema.numeric_scale,
                    data_type=info.schema.data_type,
                ),
                primary_key=info.schema.is_primary_key,
            )
            for info in self.fields.values()
            if info.schema is not None
        ]
        return sa.Table(self.collection, sa.MetaData(), *columns)

    def to_api(self) -> dict[str, Any]:
        meta = self.meta
        if self.system:
            meta = {"collection": self.collection, **(meta or {}), "system": True}
        return {
            "collection": self.collection,
            "meta": meta,
            "schema": {"name": self.collection} if self.table else None,
        }


@dataclass
class RelationInfo:
    collection: str
    field: str
    related_collection: str | None
    schema: ForeignKey | None
    meta: dict[str, Any] | None

    def to_api(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "field": self.field,
            "related_collection": self.related_collection,
            "schema": self.schema.to_api() if self.schema else None,
            "meta": self.meta,
        }


@dataclass
class SchemaOverview:
    version: tuple[int, int]
    collections: dict[str, CollectionInfo]
    relations: list[RelationInfo]

    def relation(self, collection: str, field_: str) -> RelationInfo | None:
        for relation in self.relations:
            if relation.collection == collection and relation.field == field_:
                return relation
        return None

    def relations_using(self, collection: str, field_: str) -> list[RelationInfo]:
        """Relations in which ``collection.field`` takes part, on either side."""
        found = []
        for rel in self.relations:
            meta = rel.meta or {}
            if (
                rel.collection == collection
                and field_
                in (
                    rel.field,
                    meta.get("one_collection_field"),
                    meta.get("sort_field"),
                )
            ) or (rel.related_collection == collection and meta.get("one_field") == field_):
                found.append(rel)
        return found


def split_csv(value: Any) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _rows(conn: Connection, table: sa.Table) -> list[dict[str, Any]]:
    order = table.c.id if "id" in table.c else table.c.collection
    rows = conn.execute(sa.select(table).order_by(order))
    # Keys as plain str: SQLAlchemy's quoted names would leak into YAML and JSON output.
    return [{str(key): value for key, value in row._mapping.items()} for row in rows]


def field_meta_from_row(row: dict[str, Any]) -> dict[str, Any]:
    meta = dict(row)
    meta["special"] = split_csv(meta.get("special"))
    return meta


def relation_meta_from_row(row: dict[str, Any]) -> dict[str, Any]:
    meta = dict(row)
    meta["one_allowed_collections"] = split_csv(meta.get("one_allowed_collections"))
    return meta


def build_overview(conn: Connection, excluded: frozenset[str] = frozenset()) -> SchemaOverview:
    """Build the overview from scratch, inside the caller's transaction."""
    version = read_version(conn)
    tables = inspect_tables(conn, excluded)
    collections: dict[str, CollectionInfo] = {
        name: CollectionInfo(name, None, table) for name, table in tables.items()
    }
    for row in _rows(conn, directus_collections):
        name = row["collection"]
        if name in collections:
            collections[name].meta = row
        elif not name.startswith(SYSTEM_PREFIX):
            collections[name] = CollectionInfo(name, row, None)  # a folder

    metas: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _rows(conn, directus_fields):
        metas[(row["collection"], row["field"])] = field_meta_from_row(row)

    for collection in collections.values():
        if collection.table:
            for column in collection.table.columns.values():
                meta = metas.pop((collection.collection, column.name), None)
                special = (meta or {}).get("special") or []
                collection.fields[column.name] = FieldInfo(
                    collection.collection,
                    column.name,
                    effective_type(column.field_type, special),
                    column,
                    meta,
                )
    for (name, field_name), meta in metas.items():
        special = meta.get("special") or []
        if name in collections and any(flag in ALIAS_SPECIALS for flag in special):
            collections[name].fields[field_name] = FieldInfo(name, field_name, "alias", None, meta)

    _add_system_fields(collections)
    relations = _relations(conn, collections)
    return SchemaOverview(version, collections, relations)


def _add_system_fields(collections: dict[str, CollectionInfo]) -> None:
    """Give system fields the metadata Directus keeps in code, merged with any row's."""
    for name, specials in SYSTEM_SPECIALS.items():
        collection = collections.get(name)
        if collection is None:
            continue
        for field_name, special in specials.items():
            info = collection.fields.get(field_name)
            if info is None or info.schema is None:
                continue
            if info.meta is None:
                info.meta = system_field_meta(name, field_name, special)
            else:  # a row may add flags and notes, never take away hashing or concealing
                own = info.meta.get("special") or []
                info.meta["special"] = own + [flag for flag in special if flag not in own]
            info.type = effective_type(info.schema.field_type, info.meta["special"])
        for field_name, special_flag in SYSTEM_ALIASES.get(name, {}).items():
            if field_name not in collection.fields:
                meta = system_field_meta(name, field_name, [special_flag])
                collection.fields[field_name] = FieldInfo(name, field_name, "alias", None, meta)


def _relations(conn: Connection, collections: dict[str, CollectionInfo]) -> list[RelationInfo]:
    found: dict[tuple[str, str], RelationInfo] = {}
    for collection in collections.values():
        if collection.table is None:
            continue
        for column, fk in collection.table.foreign_keys.items():
            found[(collection.collection, column)] = RelationInfo(
                collection.collection, column, fk.foreign_key_table, fk, None
            )
    for row in _rows(conn, directus_relations):
        key = (row["many_collection"], row["many_field"])
        meta = relation_meta_from_row(row)
        if key in found:
            found[key].meta = meta
        else:
            found[key] = RelationInfo(key[0], key[1], row["one_collection"], None, meta)
    extra = []
    for entry in SYSTEM_RELATIONS:
        many, field_name, related = entry[:3]
        if many not in collections or related not in collections:
            continue
        meta = system_relation_meta(*entry)
        known = found.get((many, field_name))
        if known is None:
            found[(many, field_name)] = RelationInfo(many, field_name, related, None, meta)
        elif known.meta is None:
            known.meta = meta
        elif known.meta.get("system"):  # a second many-to-many through the same key
            extra.append(RelationInfo(many, field_name, related, known.schema, meta))
    return [*found.values(), *extra]


def read_version(conn: Connection) -> tuple[int, int]:
    stored = read_counter(conn, SCHEMA)
    file_version = 0
    if conn.dialect.name == "sqlite":
        file_version = conn.exec_driver_sql("PRAGMA schema_version").scalar() or 0
    return (stored, file_version)


def bump_version(conn: Connection) -> None:
    """Mark the schema as changed, in the caller's transaction."""
    bump_counter(conn, SCHEMA)


class SchemaCache:
    """One process's cached overview, rebuilt when the stored version moves."""

    def __init__(self, db: Database, excluded: frozenset[str] = frozenset()) -> None:
        self.db = db
        self.excluded = excluded
        self._overview: SchemaOverview | None = None
        self._lock = threading.Lock()

    def get(self, conn: Connection | None = None) -> SchemaOverview:
        """The current overview; costs one small query when nothing changed."""
        if conn is None:
            with self.db.read() as own:
                return self.get(own)
        cached = self._overview
        if cached is not None and cached.version == read_version(conn):
            return cached
        with self._lock:
            overview = build_overview(conn, self.excluded)
            self._overview = overview
            return overview

    def load(self, conn: Connection) -> SchemaOverview:
        """A fresh overview inside a schema-changing transaction (never cached)."""
        return build_overview(conn, self.excluded)

    def load_after_bump(self, conn: Connection) -> SchemaOverview:
        """The overview at the start of a schema change that has just bumped the version.

        The bump holds the version row's lock, so if the stored version is exactly one
        past the cached one (and SQLite's own counter has not moved), nothing changed
        since the cache was built and it can be used as is; otherwise it is rebuilt.
        """
        cached = self._overview
        if cached is not None:
            stored, file_version = read_version(conn)
            if (stored - 1, file_version) == cached.version:
                return cached
        return build_overview(conn, self.excluded)

    def clear(self) -> None:
        self._overview = None
