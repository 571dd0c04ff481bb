"""Database errors, translated into the Directus error a caller can act on."""

from __future__ import annotations

import re

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


def translate_db_error(exc: sa.exc.DBAPIError) -> TesseraError | None:
    """The Directus error for a constraint violation, or None when it is something else."""
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
                return RecordNotUniqueError(
                    f"Value has to be unique. {detail}", collection=table, field=column
                )
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
        return RecordNotUniqueError("Value has to be unique.", collection=table, field=column)
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
