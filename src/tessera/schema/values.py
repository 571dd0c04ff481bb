"""Column values in Directus's shapes, the same on SQLite and PostgreSQL.

Each Directus field type gets a SQLAlchemy type that binds what an API caller
sends and returns what Directus returns: dates and times as ISO strings, booleans
as booleans (SQLite stores 0/1), decimals as strings with their scale, JSON as
JSON, csv as lists, and integers beyond JavaScript's safe range as strings.

Reading is lenient, because a database may have been written by someone else:
Directus stores dates on SQLite as epoch milliseconds, SQLite's
``CURRENT_TIMESTAMP`` writes ``YYYY-MM-DD HH:MM:SS``, and hand-written rows hold
whatever text they hold — a value that cannot be understood is returned as it is
rather than failing the whole read. Writing on SQLite uses one text format per
type (``YYYY-MM-DD HH:MM:SS[.ffffff]`` for date-times, UTC for timestamps), so
values sort and compare correctly and SQLite's date functions work on them.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from tessera.db.engine import dumps_json
from tessera.schema.types import DEFAULT_PRECISION, DEFAULT_SCALE

JS_SAFE_INTEGER = 2**53 - 1
#: What a ``conceal`` field reads as while it holds a value, whatever reads it.
CONCEALED = "**********"
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S"


def _is_sqlite(dialect: sa.Dialect) -> bool:
    return dialect.name == "sqlite"


def parse_datetime(value: Any) -> dt.datetime | None:
    """A datetime from what a caller or a database may hold; None if it is not one."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)  # Directus on SQLite
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return parse_datetime(int(text))
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    return None


class _Lenient(TypeDecorator[Any]):
    """Binds through :meth:`to_db` (raising ValueError on nonsense), reads through
    :meth:`to_api` (returning the stored value when it cannot be understood)."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return None if value is None else self.to_db(value, dialect)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        try:
            return self.to_api(value)
        except (ValueError, TypeError, InvalidOperation, OverflowError):
            return value

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        raise NotImplementedError

    def to_api(self, value: Any) -> Any:
        raise NotImplementedError


class DateValue(_Lenient):
    cache_ok = True
    impl = sa.Date

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        return dialect.type_descriptor(sa.Text() if _is_sqlite(dialect) else sa.Date())

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        if isinstance(value, str) and len(value.strip()) == 10:
            day = dt.date.fromisoformat(value.strip())
        else:
            parsed = parse_datetime(value)
            if parsed is None:
                raise ValueError(f"{value!r} is not a date")
            day = parsed.date()
        return day.isoformat() if _is_sqlite(dialect) else day

    def to_api(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) == 10:
            return dt.date.fromisoformat(value).isoformat()
        parsed = parse_datetime(value)
        return value if parsed is None else parsed.date().isoformat()


class TimeValue(_Lenient):
    cache_ok = True
    impl = sa.Time

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        return dialect.type_descriptor(sa.Text() if _is_sqlite(dialect) else sa.Time())

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        moment = value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value).strip())
        return moment.isoformat() if _is_sqlite(dialect) else moment

    def to_api(self, value: Any) -> Any:
        moment = value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))
        return moment.replace(microsecond=0, tzinfo=None).isoformat()


class DateTimeValue(_Lenient):
    """A date and time with no zone: stored and returned as given."""

    cache_ok = True
    impl = sa.DateTime

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        return dialect.type_descriptor(sa.Text() if _is_sqlite(dialect) else sa.DateTime())

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"{value!r} is not a date and time")
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        return _sqlite_text(parsed) if _is_sqlite(dialect) else parsed

    def to_api(self, value: Any) -> Any:
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        return parsed.replace(microsecond=0).isoformat()


class TimestampValue(_Lenient):
    """An instant: stored in UTC, returned as ISO 8601 with milliseconds and ``Z``."""

    cache_ok = True
    impl = sa.DateTime

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if _is_sqlite(dialect):
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"{value!r} is not a timestamp")
        instant = _utc(parsed)
        return _sqlite_text(instant.replace(tzinfo=None)) if _is_sqlite(dialect) else instant

    def to_api(self, value: Any) -> Any:
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        instant = _utc(parsed)
        return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def _utc(moment: dt.datetime) -> dt.datetime:
    """Naive values are taken as UTC, which is how SQLite's CURRENT_TIMESTAMP writes them."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _sqlite_text(moment: dt.datetime) -> str:
    text = moment.strftime(_SQLITE_DATETIME)
    return text + f".{moment.microsecond:06d}" if moment.microsecond else text


class BooleanValue(_Lenient):
    cache_ok = True
    impl = sa.Boolean

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if _is_sqlite(dialect):
            return dialect.type_descriptor(sa.Integer())
        return dialect.type_descriptor(sa.Boolean())

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        flag = _as_bool(value)
        if flag is None:
            raise ValueError(f"{value!r} is not a boolean")
        return int(flag) if _is_sqlite(dialect) else flag

    def to_api(self, value: Any) -> Any:
        flag = _as_bool(value)
        return value if flag is None else flag


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else None
    text = str(value).strip().lower()
    return {"1": True, "true": True, "0": False, "false": False}.get(text)


class DecimalValue(_Lenient):
    """Exact numbers, returned as strings with the column's scale ("12.50")."""

    cache_ok = True
    impl = sa.Numeric

    def __init__(self, precision: int | None = None, scale: int | None = None) -> None:
        super().__init__()
        self.precision = precision or DEFAULT_PRECISION
        self.scale = DEFAULT_SCALE if scale is None else scale

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if _is_sqlite(dialect):
            return dialect.type_descriptor(sa.Text())  # raw: SQLite's REAL comes back as is
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        if isinstance(value, bool):
            raise ValueError("a boolean is not a number")
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return float(number) if _is_sqlite(dialect) else number

    def to_api(self, value: Any) -> Any:
        number = Decimal(str(value))
        quantum = Decimal(1).scaleb(-self.scale)
        return str(number.quantize(quantum))


class BigIntegerValue(_Lenient):
    """Whole numbers; beyond 2^53 they are strings, so JavaScript clients read them exactly."""

    cache_ok = True
    impl = sa.BigInteger

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        return _whole(value)

    def to_api(self, value: Any) -> Any:
        number = int(value)
        return number if abs(number) <= JS_SAFE_INTEGER else str(number)


class IntegerValue(_Lenient):
    cache_ok = True
    impl = sa.Integer

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        return _whole(value)

    def to_api(self, value: Any) -> Any:
        return int(value)


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


class FloatValue(_Lenient):
    cache_ok = True
    impl = sa.Float

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        if isinstance(value, bool):
            raise ValueError("a boolean is not a number")
        return float(value)

    def to_api(self, value: Any) -> Any:
        return float(value)


class JsonValue(_Lenient):
    """JSON documents; text that is not JSON (written by someone else) reads as text.

    ``in_text``: the column is a text column holding JSON (Directus's ``cast-json`` fields,
    such as a file's ``tags``), so it is written and parsed as text on every database, not
    only on SQLite, where every JSON column is text.
    """

    cache_ok = True
    impl = sa.Text

    def __init__(self, in_text: bool = False) -> None:
        super().__init__()
        self.in_text = in_text

    def _as_text(self, dialect: sa.Dialect) -> bool:
        return self.in_text or _is_sqlite(dialect)

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if self._as_text(dialect):
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.JSON(none_as_null=True))

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if not self._as_text(dialect):
            return value  # the driver has parsed it already
        return super().process_result_value(value, dialect)

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        return dumps_json(value) if self._as_text(dialect) else value

    def to_api(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str | bytes) else value


class CsvValue(_Lenient):
    """A list stored comma-joined, as Directus's ``csv`` type."""

    cache_ok = True
    impl = sa.Text

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        return str(value)

    def to_api(self, value: Any) -> Any:
        text = str(value)
        return text.split(",") if text else []


class UuidValue(_Lenient):
    cache_ok = True
    impl = sa.String

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if _is_sqlite(dialect):
            return dialect.type_descriptor(sa.String(36))
        return dialect.type_descriptor(sa.Uuid(as_uuid=False))

    def to_db(self, value: Any, dialect: sa.Dialect) -> Any:
        return str(value)

    def to_api(self, value: Any) -> Any:
        return str(value)


def value_type(
    field_type: str,
    *,
    precision: int | None = None,
    scale: int | None = None,
    data_type: str | None = None,
) -> sa.types.TypeEngine[Any]:
    """The type that reads and writes a field of ``field_type`` in Directus's shapes
    (``data_type``: the column's type in the database, where it matters)."""
    match field_type:
        case "date":
            return DateValue()
        case "time":
            return TimeValue()
        case "dateTime":
            return DateTimeValue()
        case "timestamp":
            return TimestampValue()
        case "boolean":
            return BooleanValue()
        case "decimal":
            return DecimalValue(precision, scale)
        case "bigInteger":
            return BigIntegerValue()
        case "integer":
            return IntegerValue()
        case "float":
            return FloatValue()
        case "json":
            return JsonValue(in_text=data_type is not None and "json" not in data_type.lower())
        case "csv":
            return CsvValue()
        case "uuid":
            return UuidValue()
        case "binary":
            return sa.LargeBinary()
    return sa.Text()
