"""Directus field types: which column each one creates, and which type a column reads as."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

#: Types that are stored in a column of their own.
COLUMN_TYPES = frozenset(
    {
        "string",
        "text",
        "integer",
        "bigInteger",
        "float",
        "decimal",
        "boolean",
        "date",
        "dateTime",
        "time",
        "timestamp",
        "json",
        "csv",
        "uuid",
        "hash",
        "binary",
    }
)
#: Every type a field may be created with (``unknown`` only ever comes from introspection).
FIELD_TYPES = COLUMN_TYPES | {"alias"}

#: ``special`` flags that make a field an alias: it has no column.
ALIAS_SPECIALS = frozenset(
    {"alias", "o2m", "m2m", "m2a", "o2a", "files", "translations", "no-data", "group"}
)

#: A ``special`` flag that overrides the type read from the column.
SPECIAL_TYPE_OVERRIDES = {
    "cast-json": "json",
    "hash": "hash",
    "cast-csv": "csv",
    "uuid": "uuid",
    "file": "uuid",
    "cast-timestamp": "timestamp",
    "cast-datetime": "dateTime",
}

DEFAULT_STRING_LENGTH = 255
DEFAULT_PRECISION, DEFAULT_SCALE = 10, 5

_INTEGER = ("int", "integer", "int2", "int4", "smallint", "mediumint", "tinyint", "serial")
_BIGINT = ("bigint", "int8", "bigserial")
_FLOAT = ("float", "double", "double precision", "real", "float4", "float8", "money")
_STRING = ("varchar", "char", "character varying", "character", "bpchar", "nvarchar", "interval")
_TEXT = ("text", "clob", "longtext", "mediumtext", "tinytext", "citext", "ntext")


def column_type(
    field_type: str,
    *,
    max_length: int | None = None,
    precision: int | None = None,
    scale: int | None = None,
) -> sa.types.TypeEngine:
    """The SQLAlchemy column type a Directus field type creates, on either database."""
    match field_type:
        case "string":
            return sa.String(max_length or DEFAULT_STRING_LENGTH)
        case "hash":
            return sa.String(DEFAULT_STRING_LENGTH)
        case "text" | "csv":
            return sa.Text()
        case "integer":
            return sa.Integer()
        case "bigInteger":
            return sa.BigInteger()
        case "float":
            return sa.Float()
        case "decimal":
            return sa.Numeric(
                precision or DEFAULT_PRECISION, DEFAULT_SCALE if scale is None else scale
            )
        case "boolean":
            return sa.Boolean()
        case "date":
            return sa.Date()
        case "time":
            return sa.Time()
        case "dateTime":
            return sa.DateTime(timezone=False)
        case "timestamp":
            # SQLite keeps the declared name, so TIMESTAMP reads back as a timestamp.
            return sa.DateTime(timezone=True).with_variant(sqlite.TIMESTAMP(), "sqlite")
        case "json":
            return sa.JSON()
        case "uuid":
            return sa.Uuid(as_uuid=False).with_variant(sqlite.CHAR(36), "sqlite")
        case "binary":
            return sa.LargeBinary().with_variant(postgresql.BYTEA(), "postgresql")
    raise ValueError(f"no column for type {field_type!r}")


def data_type_name(column_type_: sa.types.TypeEngine, dialect: sa.Dialect) -> str:
    """The vendor's name for a reflected column type, without its arguments (``varchar``)."""
    try:
        compiled = column_type_.compile(dialect=dialect)
    except Exception:  # a type SQLAlchemy reflected but cannot render (NullType)
        return "unknown"
    return re.sub(r"\(.*?\)", "", compiled).strip().lower()


def field_type_for(
    data_type: str,
    *,
    precision: int | None = None,
    scale: int | None = None,
    length: int | None = None,
) -> str:
    """Directus's type for a column of vendor type ``data_type`` (before ``special`` overrides)."""
    name = data_type.lower()
    if name in ("char", "bpchar", "nchar") and length == 36:
        return "uuid"  # how SQLite (and Directus on it) stores UUIDs
    # PostgreSQL spells out its zone; a bare TIMESTAMP is one Tessera declared on SQLite.
    if name in ("timestamp", "timestamp with time zone", "timestamptz", "datetimeoffset"):
        return "timestamp"
    if name.startswith(("timestamp without", "datetime")):
        return "dateTime"
    if name == "date":
        return "date"
    if name.startswith("time"):
        return "time"
    if name in _BIGINT:
        return "bigInteger"
    if name in _INTEGER or name == "year":
        return "integer"
    if name == "decimal":
        return "decimal"
    if name in ("numeric", "number"):
        return "decimal" if precision is not None else "integer"
    if name in _FLOAT:
        return "float"
    if name in ("bool", "boolean", "bit"):
        return "boolean"
    if name in ("json", "jsonb"):
        return "json"
    if name in ("uuid", "uniqueidentifier"):
        return "uuid"
    if name in ("blob", "bytea", "varbinary", "binary", "image", "largebinary"):
        return "binary"
    if name in _TEXT:
        return "text"
    if name in _STRING:
        return "string"
    return "unknown"


def effective_type(column_type_name: str | None, special: list[str]) -> str:
    """The field's type once its ``special`` flags have had their say."""
    if any(flag in ALIAS_SPECIALS for flag in special) and column_type_name is None:
        return "alias"
    for flag in special:
        if flag in SPECIAL_TYPE_OVERRIDES:
            return SPECIAL_TYPE_OVERRIDES[flag]
    return column_type_name or "alias"
