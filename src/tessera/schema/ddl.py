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

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection

from tessera.schema.defaults import server_default
from tessera.schema.introspect import Column
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


def index_name(table: str, column: str, kind: str) -> str:
    return f"{table}_{column}_{kind}"


def create_table(conn: Connection, name: str, specs: list[ColumnSpec]) -> None:
    postgres = _is_postgres(conn)
    table = sa.Table(name, sa.MetaData(), *(sa_column(s, postgres=postgres) for s in specs))
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
        op.create_index(index_name(table, spec.name, "index"), table, [spec.name])


def drop_table(conn: Connection, name: str) -> None:
    _operations(conn).drop_table(name)


def add_column(conn: Connection, table: str, spec: ColumnSpec) -> None:
    column = sa_column(spec, postgres=_is_postgres(conn))
    with _operations(conn).batch_alter_table(table) as batch:
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
        with op.batch_alter_table(table) as batch:
            batch.alter_column(new.name, **kwargs)

    if new.unique and not old.unique:
        op.create_index(index_name(table, new.name, "unique"), table, [new.name], unique=True)
    if new.indexed and not old.indexed:
        op.create_index(index_name(table, new.name, "index"), table, [new.name])


def _drop_index(conn: Connection, table: str, column: str, kind: str) -> None:
    """Drop the single-column unique or plain index on ``column``, whatever its name."""
    inspector = sa.inspect(conn)
    op = _operations(conn)
    want_unique = kind == "unique"
    for index in inspector.get_indexes(table):
        if index["column_names"] == [column] and bool(index.get("unique")) == want_unique:
            op.drop_index(index["name"], table_name=table)
            return
    if want_unique:
        for constraint in inspector.get_unique_constraints(table):
            if constraint["column_names"] == [column]:
                with op.batch_alter_table(table, recreate="always") as batch:
                    if constraint.get("name"):
                        batch.drop_constraint(constraint["name"], type_="unique")
                return


def drop_column(conn: Connection, table: str, column: str) -> None:
    inspector = sa.inspect(conn)
    op = _operations(conn)
    for index in inspector.get_indexes(table):
        if column in index["column_names"]:
            op.drop_index(index["name"], table_name=table)
    with op.batch_alter_table(table) as batch:
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
    with op.batch_alter_table(table) as batch:
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
        else:
            op.drop_constraint(fk["name"], table, type_="foreignkey")
        return


def _sqlite_drop_foreign_key(conn: Connection, table: str, column: str) -> None:
    """Rebuild a SQLite table without the foreign key on ``column`` (it may have no name)."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    for constraint in list(reflected.foreign_key_constraints):
        if [c.name for c in constraint.columns] == [column]:
            reflected.constraints.discard(constraint)
            for col in constraint.columns:
                col.foreign_keys.clear()
    with _operations(conn).batch_alter_table(table, recreate="always", copy_from=reflected):
        pass
