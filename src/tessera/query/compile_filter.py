"""A parsed filter as a SQLAlchemy Core condition over one collection's table.

``compile_filter(filter, "articles", overview, dialect=...)`` returns a boolean expression
over ``overview.collections["articles"].sql_table``, for ``select(table).where(...)``.
Names are checked against the schema and values are always bound: nothing a caller sends
shapes the statement except through the schema.

Relations, Directus's way:

- a path through a many-to-one (``author.name``) asks whether the related item matches:
  ``author IN (SELECT id FROM authors WHERE name = ...)``. An item with no author matches
  no condition on the author's fields, ``_null`` included (Directus's LEFT JOIN would let
  it match ``author.name _null``);
- a path through a one-to-many or many-to-many field (the alias of an o2m to a junction)
  asks whether *some* related item matches, as ``_some`` does; ``_none`` asks that none do.
  An article with no comments matches no condition on the comments' fields
  (``{comments: {text: {_null: true}}}``), where Directus's LEFT JOIN matches it;
  Sibling conditions on the same relation (``{comments: {text: ..., likes: ...}}``, or the
  same relation twice in one ``_and``) must hold on the same related item, as Directus's
  join makes them;
- ``{comments: {_null: true}}`` means "has no comments" and ``_nnull`` "has some";
  another operator on a to-many field applies to the related items' primary keys;
- an m2a step names its collection (``item:headings``);
- ``count(comments)`` counts the related items (junction rows for a many-to-many);
  ``count(json_field)`` is the length of the array it holds (NULL for anything else);
- ``_some`` and ``_none`` may follow a to-many field at any depth (Directus takes them only
  on the root collection's fields), never a many-to-one.

An unknown collection or field anywhere on a path is FORBIDDEN, as it is in Directus, so
the schema does not leak; an operator or function that does not fit the field's type, or
a value that cannot be one, is INVALID_QUERY naming the part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from tessera.errors import ForbiddenError, InvalidQueryError
from tessera.query import filter_values as values
from tessera.query.access import FULL, ReadAccess
from tessera.query.filter import TEXT_MATCH
from tessera.query.filter_json import JsonValue, array_length, json_condition
from tessera.query.filter_relations import (
    Link,
    Scope,
    describe,
    field_of,
    find_link,
    forbidden,
    member,
    related_count,
)
from tessera.query.filter_sql import (
    FUNCTIONS_FOR_TYPE,
    case_insensitive_equal,
    check_operator,
    compare,
    date_part,
    presence,
    text_match,
)
from tessera.query.filter_variables import Variables, now_value
from tessera.query.model import And, Condition, DynamicVariable, Filter, Or, Relational
from tessera.schema.overview import CollectionInfo, FieldInfo, SchemaOverview

_LIST = frozenset({"_in", "_nin"})
_PAIR = frozenset({"_between", "_nbetween"})
_PRESENCE = frozenset({"_null", "_nnull", "_empty", "_nempty"})
#: The text operators whose operand is text whatever the field.
_TEXTUAL = TEXT_MATCH | {"_ieq", "_nieq"}


def compile_filter(
    filter: Filter,
    collection: str,
    overview: SchemaOverview,
    *,
    dialect: sa.Dialect,
    variables: Variables | None = None,
    now: dt.datetime | None = None,
    admin: bool = False,
    access: ReadAccess = FULL,
) -> sa.ColumnElement[bool]:
    """The condition ``filter`` puts on the items of ``collection``.

    ``variables`` gives ``$CURRENT_*`` (see :func:`tessera.query.filter_variables.load_variables`
    for sub-paths); ``now`` is ``$NOW`` (an aware datetime; the current time by default).
    ``admin`` lets a FORBIDDEN answer name the field that does not exist, as Directus does
    for admins; anyone else learns nothing about the schema from it. ``access`` limits what
    the filter may name and which related items it sees (see :class:`FilterCompiler`).
    """
    info = overview.collections.get(collection)
    if info is None or info.table is None:
        raise ForbiddenError()
    compiler = FilterCompiler(
        overview,
        dialect,
        variables or Variables(),
        now or dt.datetime.now(dt.UTC),
        admin,
        access,
    )
    return compiler.filter(filter, Scope(info, info.sql_table, ()))


@dataclass
class FilterCompiler:
    """Compiles filters for one statement; the statement's subquery aliases stay unique.

    Under a limited ``access`` a filter may name only readable fields (anything else is
    FORBIDDEN, as an unknown field is), a field readable on only some items compares as
    null on the others, and related items count only where the caller may read them.
    Row rules themselves compile with :meth:`trusted`: a rule may test fields the caller
    cannot read.
    """

    overview: SchemaOverview
    dialect: sa.Dialect
    variables: Variables
    now: dt.datetime
    admin: bool
    access: ReadAccess = FULL
    _aliases: int = field(default=0)

    def trusted(self, node: Filter, scope: Scope) -> sa.ColumnElement[bool]:
        """``node`` with no permission checks: for row rules, which the caller did not write."""
        limited, self.access = self.access, FULL
        try:
            return self.filter(node, scope)
        finally:
            self.access = limited

    def rows(self, scope: Scope) -> sa.ColumnElement[bool] | None:
        """The caller's row rule on ``scope``; None when every item is readable."""
        rule = self.access.of(scope.info.collection).rule
        return None if rule is None else self.trusted(rule, scope)

    def value(self, scope: Scope, name: str) -> sa.ColumnElement[Any]:
        """A column as the caller sees it: null on items where the field is not granted."""
        column = scope.column(name)
        rule = self.access.of(scope.info.collection).field_rule(name)
        if rule is None:
            return column
        return sa.case((self.trusted(rule, scope), column))

    def field(self, scope: Scope, name: str) -> FieldInfo:
        """The field ``name`` of ``scope``, if it exists and the caller may read it."""
        info = field_of(scope, name, self.admin)
        if not self.access.of(scope.info.collection).readable(name):
            raise forbidden(scope, name, self.admin)
        return info

    def scope(self, info: CollectionInfo, prefix: tuple[str, ...]) -> Scope:
        """A fresh alias: the same table may appear at several levels (self-relations)."""
        self._aliases += 1
        return Scope(info, info.sql_table.alias(f"tessera_f{self._aliases}"), prefix)

    # --- tree ------------------------------------------------------------------------

    def filter(self, node: Filter, scope: Scope) -> sa.ColumnElement[bool]:
        if isinstance(node, And):
            return sa.and_(sa.true(), *self._siblings(node.filters, scope, And))
        if isinstance(node, Or):
            return sa.or_(*self._siblings(node.filters, scope, Or))
        return self._siblings((node,), scope, And)[0]

    def _siblings(
        self, nodes: Sequence[Filter], scope: Scope, group: type[And] | type[Or]
    ) -> list[sa.ColumnElement[bool]]:
        """Each node's condition, with nodes that follow the same relation in one subquery.

        Under ``_and`` that makes them hold on the same related item; under ``_or`` it is
        the same answer with fewer subqueries.
        """
        parts: list[sa.ColumnElement[bool] | str] = []
        followed: dict[str, list[Filter]] = {}
        for node in nodes:
            node = self._through_alias(node, scope)
            step = _first_step(node)
            if step is None:
                parts.append(self._node(node, scope))
                continue
            if step not in followed:
                followed[step] = []
                parts.append(step)
            followed[step].append(_rest(node))
        return [
            part
            if not isinstance(part, str)
            else self._follow(scope, part, _combined(followed[part], group))
            for part in parts
        ]

    def _node(self, node: Filter, scope: Scope) -> sa.ColumnElement[bool]:
        if isinstance(node, And | Or):
            return self.filter(node, scope)
        if isinstance(node, Relational):
            return self._quantified(node, scope)
        return self._condition(node, scope)

    def _through_alias(self, node: Filter, scope: Scope) -> Filter:
        """``{comments: {op: v}}`` on a to-many field: a question about its related items."""
        if not isinstance(node, Condition) or len(node.path) != 1 or node.function:
            return node
        info = self.field(scope, node.path[0])
        if not info.is_alias:
            return node
        link = find_link(self.overview, scope, node.path[0], self.admin)
        if link.kind != "o2m":
            raise InvalidQueryError(f'"{describe(scope, node.path)}" holds no value to filter on')
        missing = (
            (node.operator in ("_null", "_empty") and node.value is True)
            or (node.operator in ("_nnull", "_nempty") and node.value is False)
            or (node.operator == "_eq" and node.value is None)
        )
        if missing:
            return Relational(node.path, "none", And(()))
        related_key = (node.path[0], link.target.primary or "id")
        return replace(node, path=related_key)

    # --- relations ---------------------------------------------------------------------

    def _follow(self, scope: Scope, step: str, inner: Filter) -> sa.ColumnElement[bool]:
        """Some item related through ``step`` matches ``inner``."""
        link = self.link(scope, step)
        related = self.scope(link.target, (*scope.prefix, step))
        return member(scope, link, related, self._within(related, self.filter(inner, related)))

    def link(self, scope: Scope, step: str) -> Link:
        """The relation ``step`` follows, if its field exists and the caller may read it."""
        self.field(scope, step.partition(":")[0])
        return find_link(self.overview, scope, step, self.admin)

    def _within(self, related: Scope, where: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        """``where``, on related items the caller may read."""
        rows = self.rows(related)
        return where if rows is None else sa.and_(where, rows)

    def _quantified(self, node: Relational, scope: Scope) -> sa.ColumnElement[bool]:
        link = self.link(scope, node.path[0])
        if link.kind != "o2m":
            raise InvalidQueryError(
                f'"_{node.quantifier}" can only follow a one-to-many or many-to-many field '
                f'at "{describe(scope, node.path)}"'
            )
        related = self.scope(link.target, scope.prefix + node.path)
        where = self._within(related, self.filter(node.filter, related))
        some = member(scope, link, related, where)
        return some if node.quantifier == "some" else sa.not_(some)

    # --- conditions -------------------------------------------------------------------

    def _condition(self, node: Condition, scope: Scope) -> sa.ColumnElement[bool]:
        name = node.path[0]
        where = describe(scope, node.path, node.function)
        info = self.field(scope, name)
        if node.json_path:
            return self._json(node, scope, info, where)
        if node.function == "count" and info.type == "json":
            counted = array_length(self.value(scope, name), self.dialect)
            return self._apply(node, counted, "integer", (), None, where)
        if node.function == "count":
            link = self.link(scope, name) if info.is_alias else None
            if link is None or link.kind != "o2m":
                raise InvalidQueryError(
                    f'Invalid filter key "{where}": count() takes a '
                    "one-to-many, many-to-many or JSON field"
                )
            related = self.scope(link.target, scope.prefix)
            counted = related_count(scope, link, related, self.rows(related))
            return self._apply(
                node,
                counted,
                "integer",
                (),
                None,
                where,
            )
        if info.is_alias:
            raise InvalidQueryError(f'"{where}" holds no value to filter on')
        column = scope.column(name)
        shown = self.value(scope, name)
        if node.function:
            if node.function not in FUNCTIONS_FOR_TYPE.get(info.type, ()):
                raise InvalidQueryError(
                    f'Invalid filter key "{where}": {node.function}() '
                    f'does not take a field of type "{info.type}"'
                )
            expr = date_part(node.function, shown, info.type, self.dialect)
            return self._apply(node, expr, "integer", (), None, where)
        return self._apply(node, shown, info.type, info.special, column, where)

    def _json(
        self, node: Condition, scope: Scope, info: FieldInfo, where: str
    ) -> sa.ColumnElement[bool]:
        where = f"{where}._json.{'.'.join(map(str, node.json_path))}"
        if info.type != "json" or "conceal" in info.special:
            raise InvalidQueryError(
                f'"{info.type}" field type does not contain the "_json" filter operator '
                f'at "{where}"'
            )
        target = JsonValue(self.value(scope, info.field), node.json_path, self.dialect)
        if isinstance(node.value, tuple):
            operand: Any = self._many(node.value, where)
        elif node.operator in _PRESENCE or node.value is None:
            operand = node.value
        else:
            operand = self._single(node.value, where)
            if operand is None:
                return sa.false()
        return json_condition(node.operator, target, operand, where)

    def _apply(
        self,
        node: Condition,
        expr: sa.ColumnElement[Any],
        field_type: str,
        special: Sequence[str],
        column: sa.ColumnElement[Any] | None,
        where: str,
    ) -> sa.ColumnElement[bool]:
        operator = node.operator
        check_operator(field_type, special, operator, where)
        if operator in _PRESENCE:
            textual = field_type in values.TEXT_TYPES
            return presence(operator, expr, bool(node.value), textual)
        if operator in _TEXTUAL:
            needle = self._single(node.value, where)
            if needle is None:
                return sa.false()
            text = values.text(needle, where)
            if operator in TEXT_MATCH:
                return text_match(operator, expr, text, self.dialect)
            return case_insensitive_equal(operator, expr, text, self.dialect)
        bind = self._binder(field_type, column, where)
        if operator in _LIST:
            found = [v for v in self._many(node.value, where) if v is not None]
            return compare(operator, expr, [bind(v) for v in found])
        if operator in _PAIR:
            assert isinstance(node.value, tuple)
            low, high = (self._single(v, where) for v in node.value)
            if low is None or high is None:
                return sa.false()
            return compare(operator, expr, [bind(low), bind(high)])
        if node.value is None:  # as sent: _eq null is IS NULL, _neq null IS NOT NULL
            return expr.is_(None) if operator == "_eq" else expr.is_not(None)
        value = self._single(node.value, where)
        if value is None:  # a variable with no value: equal to nothing, unequal to all
            return expr.is_not(None) if operator == "_neq" else sa.false()
        return compare(operator, expr, [bind(value)])

    # --- values -----------------------------------------------------------------------

    def _resolve(self, operand: Any) -> Any:
        if not isinstance(operand, DynamicVariable):
            return operand
        if operand.name == "NOW":
            return now_value(operand, self.now)
        return self.variables.value(operand)

    def _single(self, operand: Any, where: str) -> Any:
        value = self._resolve(operand)
        if isinstance(value, list):
            raise InvalidQueryError(
                f'"{where}" takes one value, and the variable gives a list: use "_in"'
            )
        return value

    def _many(self, operand: Any, where: str) -> list[Any]:
        found: list[Any] = []
        for item in operand if isinstance(operand, tuple) else (operand,):
            value = self._resolve(item)
            found.extend(value if isinstance(value, list) else [value])
        return found

    def _binder(
        self, field_type: str, column: sa.ColumnElement[Any] | None, where: str
    ) -> Callable[[Any], sa.ColumnElement[Any]]:
        """Coerces an operand to ``field_type`` and binds it with the column's own type."""

        def bind(value: Any) -> sa.ColumnElement[Any]:
            if field_type in values.NUMBER_TYPES:
                number = values.number(value, where)
                if field_type == "decimal" and column is not None:
                    return sa.literal(number, column.type)
                if isinstance(number, int):
                    return sa.literal(number, sa.BigInteger())
                return sa.literal(float(number), sa.Float())
            assert column is not None
            if field_type == "boolean":
                return sa.literal(values.boolean(value, where), column.type)
            if field_type == "uuid":
                return sa.literal(values.uuid_text(value, where), column.type)
            if field_type in values.TEMPORAL_TYPES:
                return sa.literal(values.temporal(value, column, field_type, where), column.type)
            return sa.literal(values.text(value, where), sa.String())

        return bind


def _first_step(node: Filter) -> str | None:
    """The relation a node follows first, when it is one to group with its siblings."""
    if isinstance(node, Condition | Relational) and len(node.path) > 1:
        return node.path[0]
    return None


def _rest(node: Filter) -> Filter:
    assert isinstance(node, Condition | Relational)
    return replace(node, path=node.path[1:])


def _combined(nodes: list[Filter], group: type[And] | type[Or]) -> Filter:
    return nodes[0] if len(nodes) == 1 else group(tuple(nodes))
