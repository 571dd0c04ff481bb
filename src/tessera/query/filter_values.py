"""Filter operands coerced to a field's type, checked before any SQL is built.

A filter value arrives as the caller sent it: REST gives every value as text
(``filter[rating][_gt]=3`` is ``"3"``), JSON gives numbers, booleans and text. Each is
turned into the Python value the column binds, or refused with INVALID_QUERY naming the
part. Dates and times are checked with the column's own bind processing
(:mod:`tessera.schema.values`), so a filter compares with exactly what a write stores.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from tessera.errors import InvalidQueryError

NUMBER_TYPES = frozenset({"integer", "bigInteger", "float", "decimal"})
TEMPORAL_TYPES = frozenset({"date", "dateTime", "timestamp", "time"})
TEXT_TYPES = frozenset({"string", "text", "csv", "hash"})

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_INT64 = range(-(2**63), 2**63)


def number(value: Any, where: str) -> int | float | Decimal:
    """An int when the value is whole, else a Decimal (exact) — text or JSON number alike."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidQueryError(f'"{where}" needs a number, not {_shown(value)}')
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            raise InvalidQueryError(f'"{where}" needs a number, not {_shown(value)}')
        try:
            exact = Decimal(text)
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only numbers
            raise InvalidQueryError(f'"{where}" needs a number') from error
    else:
        exact = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    if exact == exact.to_integral_value():
        whole = int(exact)
        if whole not in _INT64:
            raise InvalidQueryError(f'The number at "{where}" is out of range')
        return whole
    return exact


def boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise InvalidQueryError(f'"{where}" needs true or false, not {_shown(value)}')


def text(value: Any, where: str) -> str:
    """Text as given; a number becomes the text JavaScript would write for it."""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        exact = Decimal(str(value))
        if exact == exact.to_integral_value() and abs(exact) < 10**21:
            return str(int(exact))
        return str(value)
    raise InvalidQueryError(f'"{where}" needs a text, not {_shown(value)}')


def uuid_text(value: Any, where: str) -> str:
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError as error:
        raise InvalidQueryError(f'"{where}" needs a UUID, not {_shown(value)}') from error


def temporal(value: Any, column: sa.ColumnElement[Any], field_type: str, where: str) -> Any:
    """A date, time or timestamp operand, checked by the column's own bind processing."""
    if isinstance(value, bool) or value is None:
        raise InvalidQueryError(f'"{where}" needs a {_TEMPORAL_NAMES[field_type]}')
    if isinstance(value, dt.datetime) and field_type == "time":
        value = value.time()
    elif isinstance(value, dt.datetime) and field_type == "date":
        value = value.date()
    try:
        column.type.process_bind_param(value, _CHECK_DIALECT)  # type: ignore[attr-defined]
    except (ValueError, TypeError, OverflowError, OSError) as error:
        raise InvalidQueryError(
            f'"{where}" needs a {_TEMPORAL_NAMES[field_type]}, not {_shown(value)}'
        ) from error
    return value


_TEMPORAL_NAMES = {
    "date": "date",
    "dateTime": "date and time",
    "timestamp": "timestamp",
    "time": "time",
}
#: Parsing is the same on both databases; only the stored shape differs.
_CHECK_DIALECT = sqlite.dialect()


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value[:40]}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)[:40]
