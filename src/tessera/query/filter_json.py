"""``{"data": {"_json": {"a.b[0]": {"_eq": 1}}}}``: conditions on a value inside a JSON field.

The value at the path is compared by the operand's kind, the same way on both databases:
a text operand with JSON strings, a number with JSON numbers, ``true``/``false`` with JSON
booleans. ``_lt`` … ``_nbetween`` compare numbers only (text that is a number counts as
one), since the databases order text differently. ``_null`` means the path is missing or
holds JSON null; ``_empty`` adds the empty string. A value of another kind never matches,
a negated operator included. The path is bound, like every value.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tessera.query import filter_values as values
from tessera.query.filter import TEXT_MATCH
from tessera.query.filter_sql import case_insensitive_equal, compare, text_match
from tessera.query.model import JsonPath

_ORDERING = frozenset({"_lt", "_lte", "_gt", "_gte", "_between", "_nbetween"})


class JsonValue:
    """Typed views of the value at one path inside one JSON column."""

    def __init__(self, column: sa.ColumnElement[Any], path: JsonPath, dialect: sa.Dialect) -> None:
        self.sqlite = dialect.name == "sqlite"
        self.dialect = dialect
        self.path: sa.ColumnElement[Any]
        self.document: sa.ColumnElement[Any]
        if self.sqlite:
            steps = "".join(f"[{s}]" if isinstance(s, int) else f'."{s}"' for s in path)
            self.path = sa.literal(f"${steps}", sa.String())
            self.document = sa.case((sa.func.json_valid(column) == 1, column))
        else:
            keys = [str(step) for step in path]
            self.path = sa.literal(keys, postgresql.ARRAY(sa.Text()))
            self.document = sa.cast(column, postgresql.JSONB)

    def _kind(self) -> sa.ColumnElement[Any]:
        if self.sqlite:
            return sa.func.json_type(self.document, self.path)
        return sa.func.jsonb_typeof(self.document.op("#>")(self.path))

    def _text(self) -> sa.ColumnElement[Any]:
        if self.sqlite:
            return sa.func.json_extract(self.document, self.path)
        return self.document.op("#>>", return_type=sa.Text())(self.path)

    def scalar(self) -> sa.ColumnElement[Any]:
        """NULL when the path is missing or holds JSON null."""
        return self._text()

    def string(self) -> sa.ColumnElement[Any]:
        kind = "text" if self.sqlite else "string"
        return sa.case((self._kind() == sa.literal_column(f"'{kind}'"), self._text()))

    def number(self) -> sa.ColumnElement[Any]:
        if self.sqlite:
            numeric = self._kind().in_(
                [sa.literal_column("'integer'"), sa.literal_column("'real'")]
            )
            return sa.case((numeric, self._text()))
        is_number = self._kind() == sa.literal_column("'number'")
        return sa.case((is_number, sa.cast(self._text(), sa.Numeric())))

    def boolean(self) -> sa.ColumnElement[Any]:
        if self.sqlite:
            kind = self._kind()
            return sa.case(
                (kind == sa.literal_column("'true'"), sa.literal_column("1")),
                (kind == sa.literal_column("'false'"), sa.literal_column("0")),
            )
        is_boolean = self._kind() == sa.literal_column("'boolean'")
        return sa.case((is_boolean, sa.cast(self._text(), sa.Boolean())))


def array_length(column: sa.ColumnElement[Any], dialect: sa.Dialect) -> sa.ColumnElement[int]:
    """``count(field)`` on a JSON field: its length when it holds an array, else NULL."""
    if dialect.name == "sqlite":
        valid = sa.case((sa.func.json_valid(column) == 1, column))
        is_array = sa.func.json_type(valid) == sa.literal_column("'array'")
        return sa.case((is_array, sa.func.json_array_length(valid)))
    document = sa.cast(column, postgresql.JSONB)
    is_array = sa.func.jsonb_typeof(document) == sa.literal_column("'array'")
    return sa.case((is_array, sa.func.jsonb_array_length(document)))


def json_condition(
    operator: str, target: JsonValue, operand: Any, where: str
) -> sa.ColumnElement[bool]:
    """``operator`` on the value at the path; ``operand`` is resolved (a value or a list)."""
    if operator in ("_null", "_nnull", "_empty", "_nempty"):
        missing: sa.ColumnElement[bool] = target.scalar().is_(None)
        if operator in ("_empty", "_nempty"):
            string = target.string()  # NULL for a value of another kind: keep NOT away from it
            empty = sa.and_(string.is_not(None), string == sa.literal("", sa.String()))
            missing = sa.or_(missing, empty)
        wants_missing = bool(operand) == (operator in ("_null", "_empty"))
        return missing if wants_missing else sa.not_(missing)
    if operator in TEXT_MATCH or operator in ("_ieq", "_nieq"):
        text = values.text(operand, where)
        if operator in TEXT_MATCH:
            return text_match(operator, target.string(), text, target.dialect)
        return case_insensitive_equal(operator, target.string(), text, target.dialect)
    operands = list(operand) if isinstance(operand, list | tuple) else [operand]
    if operator in _ORDERING:
        bound = [_number(value, target, where) for value in operands]
        return compare(operator, target.number(), bound)
    if operator in ("_eq", "_neq") and operand is None:  # as sent: null means missing
        missing = target.scalar().is_(None)
        return missing if operator == "_eq" else sa.not_(missing)
    if any(value is None for value in operands):  # a variable with no value
        return sa.false()
    if operator in ("_eq", "_neq"):
        expr, one = _typed(operands[0], target, where)
        return compare(operator, expr, [one])
    groups: dict[str, tuple[sa.ColumnElement[Any], list[sa.ColumnElement[Any]]]] = {}
    for value in operands:
        expr, one = _typed(value, target, where)
        kind = type(value).__name__ if isinstance(value, bool | str) else "number"
        groups.setdefault(kind, (expr, []))[1].append(one)
    # A value is compared with the operands of its own kind only.
    return sa.or_(*(compare(operator, expr, group) for expr, group in groups.values()))


def _number(value: Any, target: JsonValue, where: str) -> sa.ColumnElement[Any]:
    number = values.number(value, where)
    if isinstance(number, int):
        return sa.literal(number, sa.BigInteger())
    return sa.literal(number, sa.Numeric()) if not target.sqlite else sa.literal(float(number))


def _typed(
    value: Any, target: JsonValue, where: str
) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    if isinstance(value, bool):
        bound = sa.literal_column("1" if value else "0") if target.sqlite else sa.literal(value)
        return target.boolean(), bound
    if isinstance(value, str):
        return target.string(), sa.literal(value, sa.String())
    return target.number(), _number(value, target, where)
