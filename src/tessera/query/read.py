"""Reading items: a query's rows, and their related items one statement per relation level.

:class:`Reader` runs a parsed :class:`Query` against one collection. The root items come
from one SELECT (filter, search, the caller's row rule, sort, limit); each relation in
``fields`` then costs one more SELECT for all the root items together —
``WHERE key IN (...)`` — never one per item. A one-to-many level keeps its own sort and
its per-parent limit with ``ROW_NUMBER() OVER (PARTITION BY parent ...)``, so "the first
five comments of each article" is still one statement. Key lists are sent in chunks of
:data:`CHUNK` so huge reads stay within the databases' parameter limits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.errors import InvalidQueryError
from tessera.query.access import ReadAccess
from tessera.query.compile_filter import FilterCompiler
from tessera.query.expressions import field_value, order_by, search_condition
from tessera.query.filter_relations import Scope
from tessera.query.filter_variables import Variables
from tessera.query.model import Query, SortKey
from tessera.query.root_statements import Root, RootStatements, plain
from tessera.query.selection import Level, Nested, Value, select_fields
from tessera.schema.overview import CollectionInfo, SchemaOverview
from tessera.schema.values import CONCEALED

#: The most keys one ``IN (...)`` carries.
CHUNK = 5000
#: The root SELECTs of plain reads, kept (:mod:`tessera.query.root_statements`).
ROOT_STATEMENTS = RootStatements()
#: The bound parameters of a root SELECT's limit and offset.
_LIMIT, _OFFSET = "tessera_limit", "tessera_offset"


@dataclass
class _Row:
    """One fetched item: what the caller sees, and the keys that link it to related items."""

    out: dict[str, Any]
    key: Any
    links: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reader:
    """Reads for one caller inside one transaction."""

    conn: Connection
    overview: SchemaOverview
    access: ReadAccess
    variables: Variables = field(default_factory=Variables)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    admin: bool = False
    limit_default: int | None = 100

    @property
    def dialect(self) -> sa.Dialect:
        return self.conn.dialect

    def compiler(self) -> FilterCompiler:
        return FilterCompiler(
            self.overview, self.dialect, self.variables, self.now, self.admin, self.access
        )

    # --- the root level -----------------------------------------------------------------

    def items(self, info: CollectionInfo, query: Query) -> list[dict[str, Any]]:
        """The items ``query`` selects, shaped by its ``fields``."""
        if query.aggregate or query.group_by:
            raise InvalidQueryError("Use aggregate() for aggregate and groupBy queries")
        level, statement, columns = self._root(info, query)
        bounds = {}
        if query.limit is not None:
            bounds[_LIMIT] = query.limit
        if query.offset:
            bounds[_OFFSET] = query.offset
        found = self.conn.execute(statement, bounds)
        rows = [self._row(level, columns, values) for values in found]
        self._fill(level, rows)
        return [row.out for row in rows]

    def _root(self, info: CollectionInfo, query: Query) -> Root:
        """The root level, its SELECT (limit and offset bound) and its columns' names; kept
        for plain reads (:mod:`tessera.query.root_statements`)."""
        key = None
        if plain(query, self.access, info.collection):
            shape = replace(query, limit=None, offset=0, page=None)
            key = (
                self.dialect.name,
                info.collection,
                self.admin,
                self.limit_default,
                query.limit is not None,
                bool(query.offset),
                shape,
            )
            kept = ROOT_STATEMENTS.get(self.overview, self.access, key)
            if kept is not None:
                return kept
        level = select_fields(
            query,
            info,
            self.overview,
            self.access,
            admin=self.admin,
            limit_default=self.limit_default,
        )
        compiler = self.compiler()
        scope = Scope(info, info.sql_table, ())
        statement, columns = self._select(compiler, scope, level)
        statement = statement.where(*self.conditions(compiler, scope, query))
        statement = statement.order_by(*self._order(compiler, scope, query.sort))
        if query.limit is not None:
            statement = statement.limit(sa.bindparam(_LIMIT, type_=sa.Integer()))
        if query.offset:
            statement = statement.offset(sa.bindparam(_OFFSET, type_=sa.Integer()))
        if key is not None:
            ROOT_STATEMENTS.put(self.overview, self.access, key, (level, statement, columns))
        return level, statement, columns

    def conditions(
        self, compiler: FilterCompiler, scope: Scope, query: Query, *, filtered: bool = True
    ) -> list[sa.ColumnElement[bool]]:
        """The caller's row rule, and (when ``filtered``) the query's filter and search."""
        found: list[sa.ColumnElement[bool]] = []
        rows = compiler.rows(scope)
        if rows is not None:
            found.append(rows)
        if filtered and query.filter is not None:
            found.append(compiler.filter(query.filter, scope))
        if filtered and query.search:
            found.append(search_condition(compiler, scope, query.search))
        return found

    def count(self, info: CollectionInfo, query: Query, *, filtered: bool) -> int:
        """``meta``'s counts: readable items, or those matching the filter and search too."""
        compiler = self.compiler()
        scope = Scope(info, info.sql_table, ())
        statement = sa.select(sa.func.count()).select_from(scope.table)
        statement = statement.where(*self.conditions(compiler, scope, query, filtered=filtered))
        return int(self.conn.execute(statement).scalar_one())

    def _order(
        self, compiler: FilterCompiler, scope: Scope, sort: tuple[SortKey, ...]
    ) -> list[sa.ColumnElement[Any]]:
        """The query's sort, or the collection's sort field, then the key: pages never overlap."""
        info = scope.info
        primary = info.primary or "id"
        if not sort:
            default = (info.meta or {}).get("sort_field")
            grant = self.access.of(info.collection)
            if default and default in info.fields and grant.readable(default):
                sort = (SortKey((default,), None, False),)
        terms = order_by(compiler, scope, sort)
        if not any(key.path == (primary,) and key.function is None for key in sort):
            # Ties follow the last key's direction: an index on that key then gives the
            # whole order, since its entries end with the row's key.
            key_column = scope.column(primary)
            terms.append(key_column.desc() if sort and sort[-1].descending else key_column.asc())
        return terms

    # --- one level's SELECT -----------------------------------------------------------------

    def _select(
        self, compiler: FilterCompiler, scope: Scope, level: Level
    ) -> tuple[sa.Select[Any], list[str]]:
        """The level's columns: its values, its key, and the keys its relations follow.

        Labels are positional (``c0``, ``c1`` …); the returned names say what each holds:
        an output key, ``:key``, or ``:link:<field>`` / ``:collection:<field>``.
        """
        primary = scope.info.primary or "id"
        expressions: list[sa.ColumnElement[Any]] = [scope.column(primary)]
        names = [":key"]
        for out in level.outputs:
            if isinstance(out, Value):
                expressions.append(
                    field_value(compiler, scope, (out.field,), out.function, out.json_path)
                )
                names.append(out.key)
            elif out.link.kind == "m2o":
                expressions.append(compiler.value(scope, out.link.field))
                names.append(f":link:{out.key}")
            elif out.link.kind == "a2o":
                assert out.link.other is not None
                expressions.append(compiler.value(scope, out.link.field))
                names.append(f":link:{out.key}")
                expressions.append(compiler.value(scope, out.link.other))
                names.append(f":collection:{out.key}")
        labelled = [expr.label(f"c{i}") for i, expr in enumerate(expressions)]
        return sa.select(*labelled).select_from(scope.table), names

    def _row(self, level: Level, names: list[str], found: Sequence[Any]) -> _Row:
        row = _Row({}, found[0])
        concealed = level.concealed
        values = dict(zip(names, found, strict=True))
        for out in level.outputs:
            if isinstance(out, Value):
                value = values[out.key]
                if (
                    out.function == "json"
                    and isinstance(value, str)
                    and self.dialect.name == "sqlite"
                ):
                    value = json.loads(value)
                if out.function is None and out.field in concealed and value not in (None, ""):
                    value = CONCEALED
                row.out[out.key] = value
            else:
                row.out[out.key] = None if out.link.kind in ("m2o", "a2o") else []
                if out.link.kind in ("m2o", "a2o"):
                    row.links[out.key] = values[f":link:{out.key}"]
                    row.out[out.key] = row.links[out.key]
                if out.link.kind == "a2o":
                    row.links[f":collection:{out.key}"] = values[f":collection:{out.key}"]
        return row

    # --- related levels -----------------------------------------------------------------

    def _fill(self, level: Level, rows: list[_Row]) -> None:
        if not rows:
            return
        for nested in level.nested:
            if nested.link.kind == "o2m":
                self._to_many(nested, rows)
            elif nested.link.kind == "m2o":
                target = next(iter(nested.levels.values()))
                self._to_one(nested, target, rows, lambda row, key=nested.key: row.links[key])
            else:
                for collection, target in nested.levels.items():
                    self._to_one(
                        nested,
                        target,
                        rows,
                        lambda row, key=nested.key, c=collection: (
                            row.links[key] if row.links.get(f":collection:{key}") == c else None
                        ),
                    )

    def _to_one(self, nested: Nested, level: Level, rows: list[_Row], key_of: Any) -> None:
        """m2o and many-to-any: the related item, or null where it cannot be read."""
        info = level.info
        primary = info.primary or "id"
        column = info.sql_table.c[primary]
        keys: dict[Any, Any] = {}
        for row in rows:
            raw = key_of(row)
            if raw is not None:
                keys.setdefault(_as_key(raw, info), raw)
        if nested.link.kind == "a2o":  # the other collections' rows keep their own answer
            for row in rows:
                if key_of(row) is not None:
                    row.out[nested.key] = None
        else:
            for row in rows:
                row.out[nested.key] = None
        if not keys:
            return
        compiler = self.compiler()
        scope = Scope(info, info.sql_table, ())
        statement, names = self._select(compiler, scope, level)
        conditions = self.conditions(compiler, scope, nested.query)
        found: dict[Any, _Row] = {}
        valid = [key for key in keys if key is not None]
        for chunk in _chunks(valid):
            chunked = statement.where(column.in_(chunk), *conditions)
            for record in self.conn.execute(chunked):
                item = self._row(level, names, record)
                found[item.key] = item
        self._fill(level, list(found.values()))
        for row in rows:
            raw = key_of(row)
            if raw is not None:
                match = found.get(_as_key(raw, info))
                row.out[nested.key] = match.out if match is not None else None

    def _to_many(self, nested: Nested, rows: list[_Row]) -> None:
        """o2m (and a many-to-many's junction rows): each parent's related items, in order."""
        level = next(iter(nested.levels.values()))
        info = level.info
        other = nested.link.other
        assert other is not None
        query = nested.query
        if query.aggregate or query.group_by:
            raise InvalidQueryError(f'"deep.{nested.key}" can\'t aggregate')
        compiler = self.compiler()
        scope = Scope(info, info.sql_table, ())
        statement, names = self._select(compiler, scope, level)
        parent = scope.column(other)
        statement = statement.add_columns(parent.label("parent"))
        sort = query.sort or _relation_sort(self.overview, info, nested)
        terms = self._order(compiler, scope, sort)
        conditions = self.conditions(compiler, scope, query)
        parents = {row.key for row in rows if row.key is not None}
        children: dict[Any, list[_Row]] = {}
        fetched: list[_Row] = []
        for chunk in _chunks(list(parents)):
            chunked = statement.where(parent.in_(chunk), *conditions)
            if query.limit is not None or query.offset:
                position = sa.func.row_number().over(partition_by=parent, order_by=terms)
                inner = chunked.add_columns(position.label("position")).subquery()
                low = query.offset
                outer = sa.select(*[inner.c[f"c{i}"] for i in range(len(names))], inner.c.parent)
                outer = outer.where(inner.c.position > low)
                if query.limit is not None:
                    outer = outer.where(inner.c.position <= low + query.limit)
                chunked = outer.order_by(inner.c.parent, inner.c.position)
            else:
                chunked = chunked.order_by(*terms)
            for record in self.conn.execute(chunked):
                item = self._row(level, names, record[:-1])
                fetched.append(item)
                children.setdefault(_plain(record[-1]), []).append(item)
        self._fill(level, fetched)
        primary = info.primary or "id"
        for row in rows:
            found = children.get(_plain(row.key), [])
            if nested.keys_only:
                row.out[nested.key] = [item.out[primary] for item in found]
            else:
                row.out[nested.key] = [item.out for item in found]


def _relation_sort(
    overview: SchemaOverview, info: CollectionInfo, nested: Nested
) -> tuple[SortKey, ...]:
    """A nested to-many list's default order: the relation's sort field, else the key."""
    relation = overview.relation(info.collection, nested.link.other or "")
    sort_field = (relation.meta or {}).get("sort_field") if relation else None
    if sort_field and sort_field in info.fields:
        return (SortKey((sort_field,), None, False),)
    return ()


def _as_key(raw: Any, info: CollectionInfo) -> Any:
    """A stored reference as the related table's key type (a many-to-any keeps text)."""
    primary = info.fields.get(info.primary or "id")
    if primary is not None and primary.type in ("integer", "bigInteger") and isinstance(raw, str):
        try:
            return int(raw)
        except ValueError:
            return None
    return _plain(raw)


def _plain(value: Any) -> Any:
    return str(value) if not isinstance(value, int | str) and value is not None else value


def _chunks(keys: Sequence[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(keys), CHUNK):
        yield list(keys[start : start + CHUNK])
