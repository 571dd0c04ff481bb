"""Database errors, translated into the Directus error a caller can act on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from tessera.errors import (
    InvalidForeignKeyError,
    InvalidPayloadError,
    NotNullViolationError,
    RecordNotUniqueError,
    TesseraError,
    ValueOutOfRangeError,
    ValueTooLongError,
)

_SQLITE_COLUMN = re.compile(r"constraint failed: (?:index '[^']+'|(\w+)\.(\w+))")
#: PostgreSQL's detail of a unique violation: ``Key (email)=(a@b.c) already exists.``
_PG_DUPLICATE = re.compile(r"Key \((\w+)\)=\((.*)\) already exists", re.DOTALL)


def not_unique(
    collection: str | None, field: str | None, value: Any = None
) -> RecordNotUniqueError:
    """Directus's wording: ``Value "x" for field "f" in collection "c" has to be unique.``"""
    message = "Value "
    if value is not None:
        message += f'"{value}" '
    if field:
        message += f'for field "{field}" '
    if collection:
        message += f'in collection "{collection}" '
    extensions = {"collection": collection, "field": field}
    if value is not None:
        extensions["value"] = value
    return RecordNotUniqueError(message + "has to be unique.", **extensions)


def translate_db_error(
    exc: sa.exc.DBAPIError, values: Mapping[str, Any] | None = None
) -> TesseraError | None:
    """The Directus error for a constraint violation, or None when it is something else.

    ``values`` (what the statement wrote) lets a unique violation name its value.
    """
    written = values or {}
    orig = exc.orig
    pgcode = getattr(orig, "sqlstate", None)
    message = str(orig)
    if pgcode:
        diag = getattr(orig, "diag", None)
        table = getattr(diag, "table_name", None)
        column = getattr(diag, "column_name", None)
        detail = getattr(diag, "message_detail", None) or message
        match pgcode:
            case "23505":
                duplicate = _PG_DUPLICATE.search(detail)
                if duplicate:
                    column = duplicate.group(1)
                return not_unique(table, column, written.get(column) if column else None)
            case "23502":
                return NotNullViolationError(
                    f'Value for field "{column}" in collection "{table}" can\'t be null.',
                    collection=table,
                    field=column,
                )
            case "23503":
                return InvalidForeignKeyError(f"Invalid foreign key. {detail}", collection=table)
            case "22001":
                return ValueTooLongError("Value is too long.", collection=table, field=column)
            case "22003":
                return ValueOutOfRangeError("Numeric value out of range.", collection=table)
            # 2BP01: a schema change would break what depends on it (a foreign key).
            case "42804" | "42846" | "22P02" | "42830" | "2BP01":
                return InvalidPayloadError(message.splitlines()[0])
        return None
    found = _SQLITE_COLUMN.search(message)
    table, column = (found.group(1), found.group(2)) if found else (None, None)
    if "UNIQUE constraint failed" in message:
        return not_unique(table, column, written.get(column) if column else None)
    if "NOT NULL constraint failed" in message:
        return NotNullViolationError(
            f'Value for field "{column}" in collection "{table}" can\'t be null.',
            collection=table,
            field=column,
        )
    if "FOREIGN KEY constraint failed" in message:
        return InvalidForeignKeyError("Invalid foreign key.", collection=table)
    if "foreign key mismatch" in message:  # a key would point at a column no longer unique
        return InvalidPayloadError(message.splitlines()[0])
    return None
