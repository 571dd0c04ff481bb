"""Input and output schemas as TypeScript-like types, the way registry mode's ``search``
describes a tool: shorter than the JSON schema, and a form models read fluently.

Only the JSON-schema words the tools use are understood; anything else reads as
``unknown``, which is never wrong, only less precise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def type_of(schema: Mapping[str, Any], depth: int = 0) -> str:
    """``schema`` written as a TypeScript type, objects indented with tabs from ``depth``."""
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "anyOf" in schema:
        return " | ".join(_member(option, depth) for option in schema["anyOf"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(type_of({**schema, "type": one}, depth) for one in kind)
    if kind == "array":
        return f"{_member(schema.get('items', {}), depth)}[]"
    if kind == "object":
        return _object(schema, depth)
    if kind == "integer":
        return "number"
    if kind in {"string", "number", "boolean", "null"}:
        return str(kind)
    return "unknown"


def _member(schema: Mapping[str, Any], depth: int) -> str:
    """A type inside ``[]`` or ``|``: a union there needs parentheses."""
    written = type_of(schema, depth)
    return f"({written})" if " | " in written and not written.startswith("{") else written


def _object(schema: Mapping[str, Any], depth: int) -> str:
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    if not properties:
        if isinstance(extra, Mapping):
            value = type_of(extra, depth) if extra else "unknown"
            return f"Record<string, {value}>"
        return "{}" if extra is False else "Record<string, unknown>"
    required = set(schema.get("required", ()))
    inner = "\t" * (depth + 1)
    lines = ["{"]
    for name, prop in properties.items():
        if prop.get("description"):
            lines.append(f"{inner}/** {prop['description']} */")
        optional = "" if name in required else "?"
        lines.append(f"{inner}{name}{optional}: {type_of(prop, depth + 1)};")
    lines.append("\t" * depth + "}")
    return "\n".join(lines)
