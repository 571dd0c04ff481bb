"""``aggregate`` and ``groupBy``: one GROUP BY statement, answered in Directus's shapes.

``{count: ["*"]}`` gives ``[{"count": 42}]``; a field gives ``{"sum": {"price": 10.5}}``;
group keys sit beside the aggregates (``{"status": "draft", "count": 2}``), a function
of a field under its output name (``published_on_year``). ``countAll`` counts items as
``count: *`` does (Directus has it in GraphQL only).

Aggregates see what a read sees: the caller's row rule applies, and a field readable on
only some items counts only there. ``sum`` and ``avg`` take numeric fields; ``min`` and
``max`` any field with a value; counting any field. The result sorts by group keys or by
an aggregate (``-count``, ``sum.price``); by default by the first group key.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tessera.errors import InvalidQueryError
from tessera.query.expressions import field_value
from tessera.query.filter_relations import Scope, forbidden
from tessera.query.model import FieldRef, Query, SortKey
from tessera.query.read import Reader
from tessera.query.selection import output_key
from tessera.schema.overview import CollectionInfo

NUMERIC = frozenset({"integer", "bigInteger", "float", "decimal"})
_NUMERIC_ONLY = frozenset({"sum", "sumDistinct", "avg", "avgDistinct"})


def aggregate_items(reader: Reader, info: CollectionInfo, query: Query) -> list[dict[str, Any]]:
    compiler = reader.compiler()
    scope = Scope(info, info.sql_table, ())
    grant = reader.access.of(info.collection)
    columns: list[sa.ColumnElement[Any]] = []
    names: list[tuple[str, str | None]] = []
    groups: list[sa.ColumnElement[Any]] = []
    by_name: dict[str, sa.ColumnElement[Any]] = {}
    for ref in query.group_by:
        if len(ref.path) != 1:
            raise InvalidQueryError(
                f'groupBy takes the collection\'s own fields, not "{_text(ref)}"'
            )
        expr = field_value(compiler, scope, ref.path, ref.function, ref.json_path)
        key = output_key(ref)
        groups.append(expr)
        columns.append(expr)
        names.append((key, None))
        by_name[key] = expr
        by_name[_text(ref)] = expr
    for function, targets in query.aggregate.items():
        for target in targets:
            if target == "*":
                expr = sa.func.count()
                columns.append(expr)
                names.append((function, None))
                by_name[function] = expr
                continue
            field = info.fields.get(target)
            if field is None or not grant.readable(target):
                raise forbidden(scope, target, reader.admin)
            if field.is_alias:
                raise InvalidQueryError(f'"aggregate.{function}": "{target}" holds no value')
            if function in _NUMERIC_ONLY and field.type not in NUMERIC:
                raise InvalidQueryError(
                    f'"aggregate.{function}" takes numeric fields, and "{target}" is '
                    f'of type "{field.type}"'
                )
            value = compiler.value(scope, target)
            expr = _aggregate(function, value, field.type)
            columns.append(expr)
            names.append((function, target))
            by_name[f"{function}.{target}"] = expr
    if not columns:
        raise InvalidQueryError('"groupBy" needs at least one field')
    statement = sa.select(*[c.label(f"c{i}") for i, c in enumerate(columns)]).select_from(
        scope.table
    )
    statement = statement.where(*reader.conditions(compiler, scope, query))
    if groups:
        statement = statement.group_by(*groups)
    order = (
        _order(query.sort, by_name) if query.sort else [g.asc().nulls_first() for g in groups[:1]]
    )
    statement = statement.order_by(*order)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    if query.offset:
        statement = statement.offset(query.offset)
    return [_shape(names, row) for row in reader.conn.execute(statement)]


def _aggregate(function: str, value: sa.ColumnElement[Any], field_type: str) -> Any:
    if function == "count":
        return sa.func.count(value)
    if function == "countDistinct":
        return sa.func.count(sa.distinct(value))
    if function in ("min", "max"):
        return getattr(sa.func, function)(value, type_=value.type)
    distinct = function.endswith("Distinct")
    operand = sa.distinct(value) if distinct else value
    if function.startswith("sum"):
        result_type = value.type if field_type != "integer" else sa.BigInteger()
        return sa.func.sum(operand, type_=result_type)
    if field_type == "decimal":
        return sa.func.avg(operand, type_=value.type)
    return sa.cast(sa.func.avg(operand), sa.Float())


def _order(sort: tuple[SortKey, ...], by_name: dict[str, Any]) -> list[Any]:
    terms = []
    for key in sort:
        name = _text(FieldRef(key.path, key.function, key.json_path))
        expr = by_name.get(name)
        if expr is None:
            raise InvalidQueryError(
                f'Sort "{name}" must name a groupBy field or an aggregate, such as "count"'
            )
        terms.append(expr.desc().nulls_last() if key.descending else expr.asc().nulls_first())
    return terms


def _shape(names: list[tuple[str, str | None]], row: sa.Row[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (name, target), value in zip(names, row, strict=True):
        if target is None:
            out[name] = value
        else:
            out.setdefault(name, {})[target] = value
    return out


def _text(ref: FieldRef) -> str:
    path = ".".join(ref.path)
    return f"{ref.function}({path})" if ref.function else path
