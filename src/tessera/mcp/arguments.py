"""Tool arguments: the JSON-string coercion Directus does, validation, and shared schemas.

Each tool advertises an ``inputSchema`` written out as Directus 12.4 serves it (so a
client or an agent that knows one knows the other) and validates with stricter
per-action pydantic models, as Directus does with its zod ``validateSchema``: keys that
do not belong to the chosen action are refused, not ignored.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from tessera.errors import InvalidPayloadError

#: Arguments a model often sends as a JSON string instead of the object or list itself.
JSON_STRING_ARGUMENTS = ("data", "keys", "query", "headers")

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: ``{"type": "object", "additionalProperties": {}}`` as zod writes a record of anything.
ANY_OBJECT: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"type": "string"},
    "additionalProperties": {},
}
STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
KEYS: dict[str, Any] = {
    "type": "array",
    "items": {"anyOf": [{"type": "number"}, {"type": "string"}]},
}
QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "fields": STRINGS,
        "sort": STRINGS,
        "filter": ANY_OBJECT,
        "limit": {"type": "number"},
        "offset": {"type": "number"},
        "page": {"type": "number"},
        "search": {"type": "string"},
        "deep": ANY_OBJECT,
        "alias": {
            "type": "object",
            "propertyNames": {"type": "string"},
            "additionalProperties": {"type": "string"},
        },
        "aggregate": {
            "type": "object",
            "properties": dict.fromkeys(("count", "sum", "avg", "min", "max"), STRINGS),
            "additionalProperties": False,
        },
        "backlink": {"type": "boolean"},
        "version": {"type": "string"},
        "versionRaw": {"type": "boolean"},
        "export": {"type": "string"},
        "groupBy": STRINGS,
    },
    "additionalProperties": False,
}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def action_schema(actions: Sequence[str], description: str) -> dict[str, Any]:
    return {"description": description, "type": "string", "enum": list(actions)}


def object_schema(properties: Mapping[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    """An input schema: a closed object, with the 2020-12 dialect named as Directus names it."""
    schema: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "type": "object",
        "properties": dict(properties),
    }
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    return schema


class Strict(BaseModel):
    """One action's arguments: nothing unknown, no silent type conversions."""

    model_config = ConfigDict(extra="forbid", strict=True)


class QueryArgs(Strict):
    """The shared ``query`` object; its values are checked in depth by the query parser."""

    fields: list[str] | None = None
    sort: list[str] | None = None
    filter: dict[str, Any] | None = None
    limit: int | float | None = None
    offset: int | float | None = None
    page: int | float | None = None
    search: str | None = None
    deep: dict[str, Any] | None = None
    alias: dict[str, str] | None = None
    aggregate: dict[str, list[str]] | None = None
    backlink: bool | None = None
    version: str | None = None
    versionRaw: bool | None = None
    export: str | None = None
    groupBy: list[str] | None = None

    def raw(self) -> dict[str, Any]:
        """The query as the items service reads it (what was given, nulls left out)."""
        return self.model_dump(exclude_none=True)


def coerce_json_strings(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Parse the JSON-string forms of ``data``, ``keys``, ``query`` and ``headers``.

    A string that is not JSON stays as it is, so validation names the argument.
    """
    coerced = dict(arguments)
    for name in JSON_STRING_ARGUMENTS:
        value = coerced.get(name)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                coerced[name] = json.loads(value)
    return coerced


def validate(adapter: TypeAdapter[Any], arguments: Mapping[str, Any]) -> Any:
    """The validated arguments; INVALID_PAYLOAD naming every problem and where it is."""
    try:
        return adapter.validate_python(arguments)
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise InvalidPayloadError(f"Validation error: {problems}") from None


def _problem(error: Any) -> str:
    location = [str(step) for step in error["loc"]]
    kind = error["type"]
    if kind == "union_tag_invalid":
        expected = error["ctx"]["expected_tags"]
        return f'"action" must be one of {expected}'
    if kind == "union_tag_not_found":
        return 'Required at "action"'
    # A discriminated union puts the chosen tag first; it is not part of the path.
    if location and location[0] in _ACTIONS:
        location = location[1:]
    # A union of types lists each member's complaint under the member's name.
    location = [step for step in location if not _is_type_name(step)]
    if kind == "missing":
        message = "Required"
    elif kind == "extra_forbidden":
        message = "Unrecognized key"
    else:
        message = error["msg"]
    return f'{message} at "{".".join(location)}"' if location else message


_ACTIONS = frozenset({"create", "read", "update", "delete", "import"})


def _is_type_name(step: str) -> bool:
    return step in {"str", "int", "float", "bool", "list", "dict", "none"} or step.startswith(
        ("list[", "dict[", "function-", "constrained-")
    )
