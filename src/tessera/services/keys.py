"""Primary keys as callers send them: URL segments and JSON values, checked against the key's type.

A key that cannot be one of the collection's keys (``abc`` for an integer key, a
malformed uuid) names no item. Callers treat it like any other item they may not
read — FORBIDDEN — rather than as a malformed query, so the schema does not leak.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from tessera.schema.overview import CollectionInfo

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_RANGES = {"integer": (-(2**31), 2**31 - 1), "bigInteger": (-(2**63), 2**63 - 1)}


def parse_key(info: CollectionInfo, raw: Any) -> Any | None:
    """``raw`` as a value of ``info``'s primary key, or None when it cannot be one."""
    field = info.fields.get(info.primary or "id")
    kind = field.type if field is not None else "string"
    if kind in _RANGES:
        if isinstance(raw, bool):
            return None
        if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
            raw = int(raw)
        if not isinstance(raw, int):
            return None
        low, high = _RANGES[kind]
        return raw if low <= raw <= high else None
    if kind == "uuid":
        try:
            return str(uuid.UUID(str(raw)))
        except ValueError:
            return None
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        return str(raw)
    return None
