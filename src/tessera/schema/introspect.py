"""Read tables, columns, keys and indexes from the live database.

This is the database-first half of the schema: whatever tables exist are
collections, whatever columns exist are fields, whatever foreign keys exist are
relations — metadata rows only add to that.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine.interfaces import ReflectedColumn

from tessera.schema.defaults import reflected_default
from tessera.schema.types import data_type_name, field_type_for

log = logging.getLogger("tessera.schema")

#: Tables that belong to Tessera itself and are never collections.
PRIVATE_PREFIX = "tessera_"


@dataclass(frozen=True)
class Column:
    """A column as Directus's ``field.schema`` describes it."""

    name: str
    table: str
    data_type: str
    field_type: str
    default_value: Any
    max_length: int | None
    numeric_precision: int | None
    numeric_scale: int | None
    is_nullable: bool
    is_unique: bool
    is_indexed: bool
    is_primary_key: bool
    is_generated: bool
    generation_expression: str | None
    has_auto_increment: bool
    foreign_key_table: str | None
    foreign_key_column: str | None
    comment: str | None

    def to_api(self) -> dict[str, Any]:
        data = asdict(self)
        del data["field_type"]
        return data


@dataclass(frozen=True)
class ForeignKey:
    """A single-column foreign key, as Directus's ``relation.schema`` describes it."""

    table: str
    column: str
    foreign_key_table: str
    foreign_key_column: str
    constraint_name: str | None
    on_update: str
    on_delete: str

    def to_api(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, Column]
    primary_key: str | None
    foreign_keys: dict[str, ForeignKey]


def inspect_tables(conn: Connection, excluded: frozenset[str] = frozenset()) -> dict[str, Table]:
    """Every usable table in the database, keyed by name.

    Skipped, as in Directus: excluded names, names with a space, and tables without
    a single-column primary key (a warning says which).
    """
    inspector = sa.inspect(conn)
    names = [
        name
        for name in inspector.get_table_names()
        if name not in excluded
        and " " not in name
        and not name.startswith(PRIVATE_PREFIX)
        and not name.startswith(("sqlite_", "_alembic_tmp_"))
    ]
    if not names:
        return {}
    dialect = conn.dialect
    columns = inspector.get_multi_columns(filter_names=names)
    pks = inspector.get_multi_pk_constraint(filter_names=names)
    fks = inspector.get_multi_foreign_keys(filter_names=names)
    # SQLite's own indexes are the only trace of an inline ``UNIQUE`` SQLAlchemy can't parse.
    indexes = inspector.get_multi_indexes(
        filter_names=names, include_auto_indexes=dialect.name == "sqlite"
    )
    uniques = inspector.get_multi_unique_constraints(filter_names=names)

    tables: dict[str, Table] = {}
    for (_schema, name), cols in columns.items():
        key = (_schema, name)
        pk = pks.get(key)
        pk_cols = (pk["constrained_columns"] if pk else None) or []
        if len(pk_cols) != 1:
            log.warning("Table %r has no single-column primary key; it is not a collection.", name)
            continue
        unique_cols = {
            u["column_names"][0] for u in uniques.get(key, []) if len(u["column_names"]) == 1
        }
        indexed_cols: set[str] = set()
        for index in indexes.get(key, []):
            names_ = [c for c in index["column_names"] if c is not None]
            if len(names_) != 1 or names_ == pk_cols:
                continue
            (unique_cols if index.get("unique") else indexed_cols).add(names_[0])
        foreign = {}
        actions = sqlite_foreign_key_actions(conn, name) if dialect.name == "sqlite" else {}
        for fk in fks.get(key, []):
            if len(fk["constrained_columns"]) != 1:
                continue
            options = fk.get("options") or {}
            on_update, on_delete = actions.get(tuple(fk["constrained_columns"]), (None, None))
            foreign[fk["constrained_columns"][0]] = ForeignKey(
                table=name,
                column=fk["constrained_columns"][0],
                foreign_key_table=fk["referred_table"],
                foreign_key_column=fk["referred_columns"][0],
                constraint_name=fk.get("name"),
                on_update=(on_update or options.get("onupdate") or "NO ACTION").upper(),
                on_delete=(on_delete or options.get("ondelete") or "NO ACTION").upper(),
            )
        rowid = dialect.name == "sqlite" and _sqlite_is_rowid(conn, name, pk_cols[0])
        parsed = {}
        for col in cols:
            parsed[col["name"]] = _column(
                name, col, dialect, pk_cols[0], unique_cols, indexed_cols, foreign, rowid=rowid
            )
        tables[name] = Table(name, parsed, pk_cols[0], foreign)
    return tables


def sqlite_foreign_key_actions(
    conn: Connection, table: str
) -> dict[tuple[str, ...], tuple[str, str]]:
    """``(on_update, on_delete)`` of each foreign key of a SQLite table, by its columns.

    SQLAlchemy reads them from the CREATE TABLE text and misses those written inline
    (``maker integer REFERENCES makers (id) ON DELETE CASCADE``); SQLite's pragma has them.
    """
    keys: dict[int, tuple[str, str, list[str]]] = {}
    for row in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")'):
        # id, seq, table, from, to, on_update, on_delete, match
        keys.setdefault(row[0], (row[5], row[6], []))[2].append(row[3])
    return {
        tuple(columns): (on_update, on_delete) for on_update, on_delete, columns in keys.values()
    }


def _sqlite_is_rowid(conn: Connection, table: str, primary_key: str) -> bool:
    """Whether the key is SQLite's rowid, which numbers new rows by itself.

    Only a column declared exactly ``INTEGER PRIMARY KEY`` is; ``INT PRIMARY KEY``
    reflects as the same type but leaves the key null when none is given.
    """
    for row in conn.exec_driver_sql(f'PRAGMA table_info("{table}")'):
        # cid, name, type, notnull, dflt_value, pk
        if row[1] == primary_key:
            return str(row[2]).upper() == "INTEGER"
    return False


def _column(
    table: str,
    col: ReflectedColumn,
    dialect: sa.Dialect,
    pk: str,
    unique_cols: set[str],
    indexed_cols: set[str],
    foreign: dict[str, ForeignKey],
    *,
    rowid: bool,
) -> Column:
    type_ = col["type"]
    data_type = data_type_name(type_, dialect)
    precision = getattr(type_, "precision", None)
    scale = getattr(type_, "scale", None)
    if data_type in ("float", "double precision", "real"):
        precision, scale = None, None
    length = getattr(type_, "length", None)
    field_type = field_type_for(data_type, precision=precision, scale=scale, length=length)
    name = col["name"]
    is_pk = name == pk
    default = col.get("default")
    auto = bool(col.get("identity")) or (
        isinstance(default, str) and default.lower().startswith("nextval(")
    )
    if rowid and is_pk:
        auto = True
    computed = col.get("computed")
    fk = foreign.get(name)
    return Column(
        name=name,
        table=table,
        data_type=data_type,
        field_type=field_type,
        default_value=None if auto else reflected_default(default, field_type),
        max_length=length,
        numeric_precision=precision if field_type == "decimal" else None,
        numeric_scale=scale if field_type == "decimal" else None,
        is_nullable=bool(col.get("nullable", True)) and not is_pk,
        is_unique=name in unique_cols,
        is_indexed=name in indexed_cols,
        is_primary_key=is_pk,
        is_generated=computed is not None,
        generation_expression=computed.get("sqltext") if computed else None,
        has_auto_increment=auto,
        foreign_key_table=fk.foreign_key_table if fk else None,
        foreign_key_column=fk.foreign_key_column if fk else None,
        comment=col.get("comment"),
    )
