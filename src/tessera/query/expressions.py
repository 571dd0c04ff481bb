"""The SQL for a field as ``sort``, ``groupBy``, ``fields`` functions and ``search`` use it.

Every value goes through :meth:`FilterCompiler.value`, so a field the caller may read on
only some items is null on the others here too, and a path through a many-to-one
(``author.name``) reads the related item only where the caller may read it: the
related value comes from a correlated subquery carrying that collection's row rule.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tessera.errors import InvalidQueryError
from tessera.query.compile_filter import FilterCompiler
from tessera.query.filter_json import array_length
from tessera.query.filter_relations import Scope, describe, related_count
from tessera.query.filter_sql import FUNCTIONS_FOR_TYPE, date_part, text_match
from tessera.query.model import FieldFunction, JsonPath, Path, SortKey

SEARCHED_TEXT = frozenset({"string", "text"})
SEARCHED_NUMBERS = frozenset({"integer", "bigInteger", "float", "decimal"})
INTEGER_RANGES = {"integer": (-(2**31), 2**31 - 1), "bigInteger": (-(2**63), 2**63 - 1)}


def field_value(
    compiler: FilterCompiler,
    scope: Scope,
    path: Path,
    function: FieldFunction | None = None,
    json_path: JsonPath = (),
) -> sa.ColumnElement[Any]:
    """The value at ``path`` (through many-to-one steps), or ``function`` of it."""
    name = path[0]
    info = compiler.field(scope, name)
    where = describe(scope, path, function)
    if len(path) > 1:
        link = compiler.link(scope, name)
        if link.kind != "m2o":
            raise InvalidQueryError(
                f'"{where}" goes through a to-many relation: only many-to-one paths have '
                "one value per item"
            )
        related = compiler.scope(link.target, (*scope.prefix, name))
        inner = field_value(compiler, related, path[1:], function, json_path)
        found = sa.select(inner).where(related.primary == compiler.value(scope, name))
        rows = compiler.rows(related)
        if rows is not None:
            found = found.where(rows)
        return found.scalar_subquery()
    if function == "count":
        if info.type == "json":
            return array_length(compiler.value(scope, name), compiler.dialect)
        counted = compiler.link(scope, name) if info.is_alias else None
        if counted is None or counted.kind != "o2m":
            raise InvalidQueryError(
                f'"{where}": count() takes a one-to-many, many-to-many or JSON field'
            )
        related = compiler.scope(counted.target, scope.prefix)
        return related_count(scope, counted, related, compiler.rows(related))
    if info.is_alias:
        raise InvalidQueryError(f'"{where}" holds no value of its own')
    value = compiler.value(scope, name)
    if function == "json":
        if info.type != "json" or "conceal" in info.special:
            raise InvalidQueryError(f'"{where}": json() takes a JSON field')
        return json_at(value, json_path, compiler.dialect)
    if function is not None:
        if function not in FUNCTIONS_FOR_TYPE.get(info.type, ()):
            raise InvalidQueryError(
                f'"{where}": {function}() does not take a field of type "{info.type}"'
            )
        return date_part(function, value, info.type, compiler.dialect)
    return value


def json_at(column: sa.ColumnElement[Any], path: JsonPath, dialect: sa.Dialect) -> Any:
    """The JSON value at ``path`` as JSON (text on SQLite, jsonb on PostgreSQL)."""
    if dialect.name == "sqlite":
        steps = "".join(f"[{s}]" if isinstance(s, int) else f'."{s}"' for s in path)
        valid = sa.case((sa.func.json_valid(column) == 1, column))
        return valid.op("->", return_type=sa.Text())(sa.literal(f"${steps}", sa.String()))
    keys = sa.literal([str(step) for step in path], postgresql.ARRAY(sa.Text()))
    return sa.cast(column, postgresql.JSONB).op("#>", return_type=postgresql.JSONB())(keys)


def order_by(
    compiler: FilterCompiler, scope: Scope, keys: tuple[SortKey, ...]
) -> list[sa.ColumnElement[Any]]:
    """``sort`` as ORDER BY terms; nulls come first ascending and last descending, as in
    Directus on PostgreSQL, on both databases."""
    terms: list[sa.ColumnElement[Any]] = []
    native = compiler.dialect.name == "sqlite"  # SQLite's own order; saying it costs its index
    for key in keys:
        value = field_value(compiler, scope, key.path, key.function, key.json_path)
        if key.descending:
            terms.append(value.desc() if native else value.desc().nulls_last())
        else:
            terms.append(value.asc() if native else value.asc().nulls_first())
    return terms


def search_condition(compiler: FilterCompiler, scope: Scope, text: str) -> sa.ColumnElement[bool]:
    """``search``: any readable, searchable field of the collection matches ``text``.

    Text fields contain it (case-insensitively), numeric fields equal it when it is a
    number that fits them, uuid fields equal it when it is a uuid. Concealed and hashed
    fields, and those whose ``meta.searchable`` is false, are never searched. No field
    to search means no match.
    """
    grant = compiler.access.of(scope.info.collection)
    number = _number(text)
    as_uuid = _uuid(text)
    tests: list[sa.ColumnElement[bool]] = []
    for name, info in scope.info.fields.items():
        if info.is_alias or not grant.readable(name):
            continue
        if {"conceal", "hash"} & set(info.special) or (info.meta or {}).get("searchable") is False:
            continue
        value = compiler.value(scope, name)
        if info.type in SEARCHED_TEXT:
            tests.append(text_match("_icontains", value, text, compiler.dialect))
        elif info.type in SEARCHED_NUMBERS and number is not None:
            bound = _numeric(info.type, number)
            if bound is not None:
                tests.append(value == bound)
        elif info.type == "uuid" and as_uuid is not None:
            tests.append(value == sa.literal(as_uuid, scope.column(name).type))
    return sa.or_(*tests) if tests else sa.false()


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _numeric(field_type: str, number: int | float) -> sa.ColumnElement[Any] | None:
    if field_type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[field_type]
        if not isinstance(number, int) and not float(number).is_integer():
            return None
        whole = int(number)
        return sa.literal(whole, sa.BigInteger()) if low <= whole <= high else None
    return sa.literal(float(number), sa.Float())


def _uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None
