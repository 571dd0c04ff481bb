"""Column defaults: from the API's ``default_value`` to DDL, and from reflection back.

The two directions must agree, so that a snapshot of one database applied to
another reproduces every default.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tessera.errors import InvalidPayloadError

NOW = "CURRENT_TIMESTAMP"
_NOW_FORMS = re.compile(r"^(now\(\)|current_timestamp(\(\d\))?|localtimestamp)$", re.I)
_CAST = re.compile(r"::[\w\s\[\]\"]+(\(\d+(,\s*\d+)?\))?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def server_default(value: Any, field_type: str, *, postgres: bool) -> Any:
    """What to pass as ``server_default`` for an API ``default_value`` (None: no default)."""
    if value is None:
        return None
    if isinstance(value, str) and _NOW_FORMS.match(value.strip()):
        return sa.text(NOW)
    if value == "gen_random_uuid()":
        if not postgres:
            raise InvalidPayloadError('"gen_random_uuid()" is only available on PostgreSQL')
        return sa.text("gen_random_uuid()")
    if field_type == "boolean":
        flag = _as_bool(value)
        if flag is None:
            raise InvalidPayloadError(f"Default value {value!r} is not a boolean")
        return sa.true() if flag else sa.false()
    if field_type in ("integer", "bigInteger", "float", "decimal"):
        if isinstance(value, bool) or not _NUMBER.match(str(value).strip()):
            raise InvalidPayloadError(f"Default value {value!r} is not a number")
        return sa.text(str(value).strip())
    if field_type == "json" and not isinstance(value, str):
        return json.dumps(value)
    if field_type == "csv" and isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def reflected_default(raw: str | None, field_type: str) -> Any:
    """The API's ``default_value`` for a default string as the database reports it."""
    if raw is None:
        return None
    text = raw.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if text.lower().startswith("nextval(") or text.upper() == "NULL":
        return None
    text = _CAST.sub("", text).strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if _NOW_FORMS.match(text):
        return NOW
    if text.upper() == "NULL":
        return None
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        text = text[1:-1].replace("''", "'")
        quoted = True
    else:
        quoted = False
    return _typed(text, field_type, quoted)


def _typed(text: str, field_type: str, quoted: bool) -> Any:
    if field_type == "boolean":
        flag = _as_bool(text)
        return text if flag is None else flag
    if field_type in ("integer", "bigInteger") and _NUMBER.match(text):
        return int(Decimal(text))
    if field_type in ("float", "decimal") and _NUMBER.match(text):
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)
    if field_type == "json":
        try:
            return json.loads(text)
        except ValueError:
            return text
    if not quoted and _NUMBER.match(text):
        return int(text) if text.lstrip("-").isdigit() else float(text)
    return text


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "t"):
        return True
    if lowered in ("0", "false", "f"):
        return False
    return None
