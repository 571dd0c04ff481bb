"""DDL for collections, fields and relations, the same on SQLite and PostgreSQL.

Alterations go through Alembic's batch mode: on PostgreSQL that is plain
``ALTER TABLE``; on SQLite, where most alterations are impossible in place, it
rebuilds the table (create a copy, move the rows, drop, rename) keeping the data,
indexes and foreign keys. Callers run all of it inside
:meth:`Database.schema_change`, so a failure half-way leaves nothing behind.

Index and constraint names follow Directus: ``<table>_<column>_unique``,
``<table>_<column>_index`` and ``<table>_<column>_foreign``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import BatchOperations, Operations
from sqlalchemy import Connection

from tessera.db.engine import check_foreign_keys_before_commit
from tessera.schema.defaults import server_default
from tessera.schema.introspect import Column, sqlite_foreign_key_actions
from tessera.schema.types import column_type


@dataclass(frozen=True)
class ColumnSpec:
    """What a field's column should be, from the API's ``type`` and ``schema``."""

    name: str
    type: str
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    default: Any = None
    unique: bool = False
    indexed: bool = False
    primary_key: bool = False
    auto_increment: bool = False
    comment: str | None = None

    @classmethod
    def from_column(cls, column: Column, field_type: str) -> ColumnSpec:
        return cls(
            name=column.name,
            type=field_type,
            max_length=column.max_length if field_type == "string" else None,
            precision=column.numeric_precision,
            scale=column.numeric_scale,
            nullable=column.is_nullable,
            default=column.default_value,
            unique=column.is_unique,
            indexed=column.is_indexed,
            primary_key=column.is_primary_key,
            auto_increment=column.has_auto_increment,
            comment=column.comment,
        )

    def updated(self, schema: dict[str, Any], field_type: str | None = None) -> ColumnSpec:
        """This spec with the keys of an API ``schema`` object applied."""
        changes: dict[str, Any] = {}
        keys = {
            "max_length": "max_length",
            "numeric_precision": "precision",
            "numeric_scale": "scale",
            "is_nullable": "nullable",
            "default_value": "default",
            "is_unique": "unique",
            "is_indexed": "indexed",
            "comment": "comment",
        }
        for api_key, attr in keys.items():
            if api_key in schema:
                changes[attr] = schema[api_key]
        if field_type:
            changes["type"] = field_type
        return replace(self, **changes)


def _sa_type(spec: ColumnSpec) -> sa.types.TypeEngine:
    if spec.auto_increment and spec.type in ("integer", "bigInteger"):
        # SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
        base = sa.BigInteger() if spec.type == "bigInteger" else sa.Integer()
        return base.with_variant(sa.Integer(), "sqlite")
    return column_type(
        spec.type, max_length=spec.max_length, precision=spec.precision, scale=spec.scale
    )


def sa_column(spec: ColumnSpec, *, postgres: bool) -> sa.Column:  # type: ignore[type-arg]
    kwargs: dict[str, Any] = {
        "nullable": spec.nullable and not spec.primary_key,
        "primary_key": spec.primary_key,
        "server_default": server_default(spec.default, spec.type, postgres=postgres),
    }
    if spec.primary_key:
        kwargs["autoincrement"] = spec.auto_increment
    if postgres and spec.comment:
        kwargs["comment"] = spec.comment
    return sa.Column(spec.name, _sa_type(spec), **kwargs)


def _operations(conn: Connection) -> Operations:
    return Operations(MigrationContext.configure(connection=conn))


def _is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


@contextlib.contextmanager
def _batch(
    conn: Connection, table: str, *, copy_from: sa.Table | None = None, **kwargs: Any
) -> Iterator[BatchOperations]:
    """Alembic's batch mode; a SQLite rebuild copies the table as :func:`_sqlite_table` sees it."""
    if conn.dialect.name == "sqlite":
        check_foreign_keys_before_commit(conn, table)
        if copy_from is None:
            copy_from = _sqlite_table(conn, table)
    with _operations(conn).batch_alter_table(table, copy_from=copy_from, **kwargs) as batch:
        yield batch


def _sqlite_table(conn: Connection, name: str) -> sa.Table:
    """A SQLite table reflected with what SQLAlchemy's parser misses when written inline.

    ``email varchar(50) UNIQUE`` loses its UNIQUE, and ``REFERENCES t (id) ON DELETE
    CASCADE`` its ON DELETE, so a rebuild from plain reflection would silently drop
    them (and break any foreign key pointing at the unique column). SQLite's own
    automatic indexes and ``foreign_key_list`` still have both. ``AUTOINCREMENT`` is
    not reflected at all; the table's SQL has it.
    """
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).scalar()
    autoincrement = re.search(r"\bAUTOINCREMENT\b", sql or "", re.IGNORECASE) is not None
    table = sa.Table(name, sa.MetaData(), autoload_with=conn, sqlite_autoincrement=autoincrement)
    actions = sqlite_foreign_key_actions(conn, name)
    for constraint in table.foreign_key_constraints:
        on_update, on_delete = actions[tuple(constraint.column_keys)]
        constraint.onupdate = None if on_update == "NO ACTION" else on_update
        constraint.ondelete = None if on_delete == "NO ACTION" else on_delete
    covered = {tuple(table.primary_key.columns.keys())}
    covered |= {
        tuple(c.columns.keys()) for c in table.constraints if isinstance(c, sa.UniqueConstraint)
    }
    covered |= {tuple(index.columns.keys()) for index in table.indexes if index.unique}
    for index in sa.inspect(conn).get_indexes(name, include_auto_indexes=True):
        columns = tuple(c for c in index["column_names"] if c is not None)
        automatic = (index["name"] or "").startswith("sqlite_autoindex_")
        if automatic and columns not in covered:
            table.append_constraint(sa.UniqueConstraint(*columns))
    return table


def index_name(table: str, column: str, kind: str) -> str:
    return f"{table}_{column}_{kind}"


def create_table(conn: Connection, name: str, specs: list[ColumnSpec]) -> None:
    postgres = _is_postgres(conn)
    # As Directus does: without AUTOINCREMENT, SQLite hands the id of a deleted last row
    # to the next one, which then inherits the old item's activity and revisions.
    autoincrement = any(spec.primary_key and spec.auto_increment for spec in specs)
    table = sa.Table(
        name,
        sa.MetaData(),
        *(sa_column(s, postgres=postgres) for s in specs),
        sqlite_autoincrement=autoincrement,
    )
    table.create(conn)
    for spec in specs:
        _create_indexes(conn, name, spec)


def _create_indexes(conn: Connection, table: str, spec: ColumnSpec) -> None:
    if spec.primary_key:
        return
    op = _operations(conn)
    if spec.unique:
        op.create_index(index_name(table, spec.name, "unique"), table, [spec.name], unique=True)
    if spec.indexed:
        create_plain_index(conn, table, spec.name)


def create_plain_index(conn: Connection, table: str, column: str) -> None:
    """The index ``schema.is_indexed`` asks for, built for the order reads sort in.

    Reads sort nulls first ascending and last descending on both databases (SQLite's own
    order); on PostgreSQL an index serves that order, both ways, only when it is built
    ``NULLS FIRST``. On SQLite the table is analysed, which costs about as much as building
    the index: without statistics the planner prefers any equality index over the one that
    gives the sort order, even when the equality matches most of the table (sampled
    statistics, ``analysis_limit``, misled it the same way in the benchmark).
    """
    name = index_name(table, column, "index")
    if _is_postgres(conn):
        target = sa.text(f'"{column}" NULLS FIRST')
        _operations(conn).create_index(name, table, [target])
        return
    _operations(conn).create_index(name, table, [column])
    conn.exec_driver_sql(f'ANALYZE "{table}"')


def drop_table(conn: Connection, name: str) -> None:
    _operations(conn).drop_table(name)


def add_column(conn: Connection, table: str, spec: ColumnSpec) -> None:
    column = sa_column(spec, postgres=_is_postgres(conn))
    with _batch(conn, table) as batch:
        batch.add_column(column)
    _create_indexes(conn, table, spec)


def alter_column(conn: Connection, table: str, old: ColumnSpec, new: ColumnSpec) -> None:
    """Make the column ``old`` into ``new`` (the name stays)."""
    postgres = _is_postgres(conn)
    op = _operations(conn)
    for kind, was, now in (("unique", old.unique, new.unique), ("index", old.indexed, new.indexed)):
        if was and not now:
            _drop_index(conn, table, old.name, kind)

    column_changed = (
        old.type != new.type
        or old.max_length != new.max_length
        or old.precision != new.precision
        or old.scale != new.scale
        or old.nullable != new.nullable
        or old.default != new.default
        or (postgres and old.comment != new.comment)
    )
    if column_changed:
        kwargs: dict[str, Any] = {
            "existing_type": _sa_type(old),
            "existing_nullable": old.nullable,
            "existing_server_default": server_default(old.default, old.type, postgres=postgres),
        }
        if (old.type, old.max_length, old.precision, old.scale) != (
            new.type,
            new.max_length,
            new.precision,
            new.scale,
        ):
            kwargs["type_"] = _sa_type(new)
            if postgres:
                kwargs["postgresql_using"] = (
                    f'"{new.name}"::{_sa_type(new).compile(dialect=conn.dialect)}'
                )
        if old.nullable != new.nullable:
            kwargs["nullable"] = new.nullable
        if old.default != new.default:
            kwargs["server_default"] = (
                server_default(new.default, new.type, postgres=postgres)
                if new.default is not None
                else None
            )
        if postgres and old.comment != new.comment:
            kwargs["comment"] = new.comment
            kwargs["existing_comment"] = old.comment
        with _batch(conn, table) as batch:
            batch.alter_column(new.name, **kwargs)

    if new.unique and not old.unique:
        op.create_index(index_name(table, new.name, "unique"), table, [new.name], unique=True)
    if new.indexed and not old.indexed:
        create_plain_index(conn, table, new.name)


def _drop_index(conn: Connection, table: str, column: str, kind: str) -> None:
    """Drop the single-column unique or plain index on ``column``, whatever its name.

    A unique constraint goes too: on PostgreSQL it owns its index, which can only be
    dropped with it; on SQLite it may have no name, so the table is rebuilt without it.
    """
    inspector = sa.inspect(conn)
    op = _operations(conn)
    want_unique = kind == "unique"
    for index in inspector.get_indexes(table):
        if index["column_names"] == [column] and bool(index.get("unique")) == want_unique:
            if constraint := index.get("duplicates_constraint"):
                op.drop_constraint(constraint, table, type_="unique")
            elif index["name"]:
                op.drop_index(index["name"], table_name=table)
            return
    if want_unique and conn.dialect.name == "sqlite":
        reflected = _sqlite_table(conn, table)
        for c in list(reflected.constraints):
            if isinstance(c, sa.UniqueConstraint) and c.columns.keys() == [column]:
                reflected.constraints.discard(c)
        with _batch(conn, table, recreate="always", copy_from=reflected):
            pass


def drop_column(conn: Connection, table: str, column: str) -> None:
    inspector = sa.inspect(conn)
    op = _operations(conn)
    for index in inspector.get_indexes(table):
        # A constraint's index (PostgreSQL) goes with the column; it can't be dropped alone.
        constrained = index.get("duplicates_constraint")
        if column in index["column_names"] and index["name"] and not constrained:
            op.drop_index(index["name"], table_name=table)
    copy_from = None
    if conn.dialect.name == "sqlite":
        # As PostgreSQL does, CHECK constraints on the column go with it.
        copy_from = _sqlite_table(conn, table)
        mentions = re.compile(rf"\b{re.escape(column)}\b").search
        for constraint in list(copy_from.constraints):
            if isinstance(constraint, sa.CheckConstraint) and mentions(str(constraint.sqltext)):
                copy_from.constraints.discard(constraint)
    with _batch(conn, table, copy_from=copy_from) as batch:
        batch.drop_column(column)


def add_foreign_key(
    conn: Connection,
    table: str,
    column: str,
    ref_table: str,
    ref_column: str,
    *,
    on_delete: str | None,
    on_update: str | None,
) -> None:
    op = _operations(conn)
    name = index_name(table, column, "foreign")
    with _batch(conn, table) as batch:
        batch.create_foreign_key(
            name, ref_table, [column], [ref_column], ondelete=on_delete, onupdate=on_update
        )
    existing = sa.inspect(conn).get_indexes(table)
    if not any(index["column_names"] == [column] for index in existing):
        op.create_index(index_name(table, column, "index"), table, [column])


def drop_foreign_key(conn: Connection, table: str, column: str) -> None:
    inspector = sa.inspect(conn)
    op = _operations(conn)
    for fk in inspector.get_foreign_keys(table):
        if fk["constrained_columns"] != [column]:
            continue
        if conn.dialect.name == "sqlite":
            _sqlite_drop_foreign_key(conn, table, column)
        else:  # PostgreSQL names every constraint
            op.drop_constraint(str(fk["name"]), table, type_="foreignkey")
        return


def _sqlite_drop_foreign_key(conn: Connection, table: str, column: str) -> None:
    """Rebuild a SQLite table without the foreign key on ``column`` (it may have no name)."""
    reflected = _sqlite_table(conn, table)
    for constraint in list(reflected.foreign_key_constraints):
        if [c.name for c in constraint.columns] == [column]:
            reflected.constraints.discard(constraint)
            for col in constraint.columns:
                col.foreign_keys.clear()
    with _batch(conn, table, recreate="always", copy_from=reflected):
        pass
