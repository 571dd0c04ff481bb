"""One filter condition as SQL: which operators a field type takes, and what each one means.

The same semantics on SQLite and PostgreSQL:

- ``_contains``, ``_starts_with``, ``_ends_with`` (and their negations) are case-sensitive
  on both: GLOB on SQLite (whose LIKE ignores case), LIKE on PostgreSQL. The caller's
  text is escaped for either, so ``%``, ``_``, ``*``, ``?`` and ``[`` are never wildcards.
- ``_icontains`` and the other ``i`` operators fold the letters A-Z only, on both
  databases: SQLite's ``lower()`` folds nothing else, and PostgreSQL's depends on the
  database's collation, so it is not used there (``translate()`` is). ``É`` and ``é``
  are different letters to every operator.
- A negated operator (``_neq``, ``_nin``, ``_ncontains``, ``_nbetween`` …) never matches a
  NULL, as in Directus: "not equal to 5" does not include "no value". ``_null``,
  ``_nnull``, ``_empty`` and ``_nempty`` are the ways to ask about NULL.
- Date parts (``year()`` … ``second()``) are read in UTC for timestamps; ``week()`` is the
  ISO 8601 week and ``weekday()`` counts from Sunday = 0 on both databases.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tessera.errors import InvalidQueryError
from tessera.query.filter import TEXT_MATCH

_PRESENCE = frozenset({"_null", "_nnull"})
_TEXT_FIELD = TEXT_MATCH | _PRESENCE | {"_eq", "_neq", "_ieq", "_nieq", "_empty", "_nempty"}
_TEXT_FIELD |= {"_in", "_nin"}
_ORDERED = _PRESENCE | {"_eq", "_neq", "_lt", "_lte", "_gt", "_gte", "_in", "_nin"}
_ORDERED |= {"_between", "_nbetween"}
_CONCEALED = _PRESENCE | {"_empty", "_nempty"}

#: Directus 12.4's operators per field type (``getFilterOperatorsForType``), plus ``_ieq``
#: and ``_nieq`` on text, which its SQL layer implements but its check refuses. Timestamps
#: take what dates take. ``binary`` and types introspection could not name take only
#: ``_null``/``_nnull``: text operators on bytes mean different things on each database.
OPERATORS_FOR_TYPE: dict[str, frozenset[str]] = {
    "string": _TEXT_FIELD,
    "text": _TEXT_FIELD,
    "csv": _TEXT_FIELD,
    "hash": _CONCEALED,
    "uuid": _PRESENCE | {"_eq", "_neq", "_in", "_nin"},
    "boolean": _PRESENCE | {"_eq", "_neq"},
    "json": _PRESENCE,
    "binary": _PRESENCE,
    "integer": _ORDERED,
    "bigInteger": _ORDERED,
    "float": _ORDERED,
    "decimal": _ORDERED,
    "date": _ORDERED,
    "dateTime": _ORDERED,
    "timestamp": _ORDERED,
    "time": _ORDERED,
}

#: Directus's functions per field type (``getFunctionsForType``), ``count`` apart.
FUNCTIONS_FOR_TYPE: dict[str, frozenset[str]] = {
    "dateTime": frozenset({"year", "month", "week", "day", "weekday", "hour", "minute", "second"}),
    "timestamp": frozenset({"year", "month", "week", "day", "weekday", "hour", "minute", "second"}),
    "date": frozenset({"year", "month", "week", "day", "weekday"}),
    "time": frozenset({"hour", "minute", "second"}),
}

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_SQLITE_PART = {
    "year": "%Y",
    "month": "%m",
    "day": "%d",
    "hour": "%H",
    "minute": "%M",
    "second": "%S",
    "weekday": "%w",
}
_POSTGRES_PART = {
    "year": "year",
    "month": "month",
    "week": "week",
    "day": "day",
    "hour": "hour",
    "minute": "minute",
    "second": "second",
    "weekday": "dow",
}


def check_operator(field_type: str, special: Sequence[str], operator: str, where: str) -> None:
    allowed = OPERATORS_FOR_TYPE.get(field_type, _PRESENCE)
    if operator not in allowed:
        raise InvalidQueryError(
            f'"{field_type}" field type does not contain the "{operator}" filter operator '
            f'at "{where}"'
        )
    if "conceal" in special and operator not in _CONCEALED:
        raise InvalidQueryError(
            f'Field with "conceal" special does not allow the "{operator}" filter operator '
            f'at "{where}"'
        )


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _fold(expr: sa.ColumnElement[Any], dialect: sa.Dialect) -> sa.ColumnElement[Any]:
    if dialect.name == "sqlite":
        return sa.func.lower(expr)
    # Under the C collation lower() folds ASCII letters only, as SQLite's does, and it is
    # an order of magnitude faster than translate() over a big table.
    return sa.func.lower(expr.collate("C"))


def text_match(
    operator: str, expr: sa.ColumnElement[Any], needle: str, dialect: sa.Dialect
) -> sa.ColumnElement[bool]:
    """``_contains`` and family; the needle is bound, escaped so it is only ever literal."""
    positive = operator.removeprefix("_n") if operator.startswith("_n") else operator[1:]
    if positive.startswith("i"):
        expr, needle = _fold(expr, dialect), ascii_lower(needle)
        positive = positive[1:]
    if dialect.name == "sqlite":
        literal = needle.translate({ord("*"): "[*]", ord("?"): "[?]", ord("["): "[[]"})
        pattern = {"contains": "*{}*", "starts_with": "{}*", "ends_with": "*{}"}[positive]
        test = expr.op("GLOB", is_comparison=True)(sa.literal(pattern.format(literal), sa.String()))
    else:
        literal = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = {"contains": "%{}%", "starts_with": "{}%", "ends_with": "%{}"}[positive]
        test = expr.like(sa.literal(pattern.format(literal), sa.String()), escape="\\")
    return sa.not_(test) if operator.startswith("_n") else test


def case_insensitive_equal(
    operator: str, expr: sa.ColumnElement[Any], value: str, dialect: sa.Dialect
) -> sa.ColumnElement[bool]:
    folded = _fold(expr, dialect)
    bound = sa.literal(ascii_lower(value), sa.String())
    return folded == bound if operator == "_ieq" else folded != bound


def presence(
    operator: str, expr: sa.ColumnElement[Any], flag: bool, textual: bool
) -> sa.ColumnElement[bool]:
    """``_null``/``_nnull``/``_empty``/``_nempty``; ``false`` turns each into its opposite."""
    wants_missing = flag == (operator in ("_null", "_empty"))
    if operator in ("_empty", "_nempty") and textual:
        empty = sa.literal("", sa.String())
        if wants_missing:
            return sa.or_(expr.is_(None), expr == empty)
        return sa.and_(expr.is_not(None), expr != empty)
    return expr.is_(None) if wants_missing else expr.is_not(None)


def compare(
    operator: str, expr: sa.ColumnElement[Any], bound: Sequence[sa.ColumnElement[Any]]
) -> sa.ColumnElement[bool]:
    """The comparison operators on already bound operands."""
    if operator == "_eq":
        return expr == bound[0]
    if operator == "_neq":
        return expr != bound[0]
    if operator == "_lt":
        return expr < bound[0]
    if operator == "_lte":
        return expr <= bound[0]
    if operator == "_gt":
        return expr > bound[0]
    if operator == "_gte":
        return expr >= bound[0]
    if operator in ("_in", "_nin"):
        if not bound:
            return sa.false() if operator == "_in" else expr.is_not(None)
        return expr.in_(bound) if operator == "_in" else expr.not_in(bound)
    if operator == "_between":
        return sa.and_(expr >= bound[0], expr <= bound[1])
    if operator == "_nbetween":
        return sa.or_(expr < bound[0], expr > bound[1])
    raise AssertionError(operator)  # pragma: no cover - the caller checked the operator


def date_part(
    function: str, expr: sa.ColumnElement[Any], field_type: str, dialect: sa.Dialect
) -> sa.ColumnElement[int]:
    """``year(field)`` and the other date parts, as integers."""
    if dialect.name == "sqlite":
        if function == "week":
            # The ISO week is the week of the year of that week's Thursday.
            thursday = sa.func.date(
                expr, sa.literal_column("'-3 days'"), sa.literal_column("'weekday 4'")
            )
            day_of_year = sa.cast(sa.func.strftime(sa.literal_column("'%j'"), thursday), sa.Integer)
            return (day_of_year - 1) // 7 + 1
        part = sa.func.strftime(sa.literal_column(f"'{_SQLITE_PART[function]}'"), expr)
        return sa.cast(part, sa.Integer)
    if field_type == "timestamp":
        expr = sa.func.timezone(sa.literal_column("'UTC'"), expr)
    extracted: sa.ColumnElement[Any] = sa.extract(_POSTGRES_PART[function], expr)
    if function == "second":
        extracted = sa.func.floor(extracted)
    return sa.cast(extracted, sa.Integer)
