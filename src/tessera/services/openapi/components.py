"""The shared parts of the OpenAPI document: field types, parameters, responses,
schemas, security schemes, and how one operation is written."""

from __future__ import annotations

import re
from typing import Any

OPENAPI_VERSION = "3.0.1"
#: Specials whose field the server fills on create: such a field is never required.
FILLED = frozenset(
    {"uuid", "date-created", "date-updated", "user-created", "user-updated"}
    | {"role-created", "role-updated"}
)

#: Each Directus field type as an OpenAPI schema.
FIELD_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "text": {"type": "string"},
    "hash": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
    "integer": {"type": "integer"},
    "bigInteger": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "float"},
    "decimal": {"type": "string", "format": "decimal"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "dateTime": {"type": "string", "format": "date-time"},
    "timestamp": {"type": "string", "format": "date-time"},
    "json": {},
    "csv": {"type": "array", "items": {"type": "string"}},
    "binary": {"type": "string", "format": "binary"},
}

#: The system collections with routes of their own, by tag: (collection, description).
SYSTEM_TAGS = {
    "Collections": ("directus_collections", "Collections: tables and folders, with metadata."),
    "Fields": ("directus_fields", "Fields: columns and aliases, with metadata."),
    "Relations": ("directus_relations", "Relations between collections."),
    "Activity": ("directus_activity", "The audit log: who did what, when (read-only)."),
    "Revisions": ("directus_revisions", "Item snapshots and deltas (read-only)."),
}
SERVER_TAG = {"name": "Server", "description": "The server's health and information."}

_ERRORS = {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}
_ERROR_BODY = {
    "application/json": {"schema": {"type": "object", "properties": {"errors": _ERRORS}}}
}
RESPONSES = {
    name: {"description": description, "content": _ERROR_BODY}
    for name, description in (
        ("BadRequestError", "Invalid payload or query."),
        ("UnauthorizedError", "Invalid or expired credentials."),
        ("ForbiddenError", "Not permitted, or does not exist."),
    )
}
STANDARD_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequestError"},
    "401": {"$ref": "#/components/responses/UnauthorizedError"},
    "403": {"$ref": "#/components/responses/ForbiddenError"},
}
NO_CONTENT = {"description": "Done; nothing to return, or nothing the caller may read."}


def _query_json(name: str, description: str) -> dict[str, Any]:
    """A parameter whose value is JSON (``filter={"a":{"_eq":1}}``) or qs brackets."""
    return {
        "name": name,
        "in": "query",
        "description": description,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": "query", "description": description}
    parameter["schema"] = schema
    if schema.get("type") == "array":
        parameter |= {"style": "form", "explode": False}
    return parameter


_TEXT = {"type": "string"}
_TEXTS = {"type": "array", "items": _TEXT}
PARAMETERS: dict[str, dict[str, Any]] = {
    "Fields": _query("fields", "Fields to return; dot paths reach related items.", _TEXTS),
    "Filter": _query_json("filter", "Only the items matching these conditions."),
    "Search": _query("search", "Only the items containing this text.", {"type": "string"}),
    "Sort": _query("sort", "Fields to sort by; a leading - sorts descending.", _TEXTS),
    "Limit": _query("limit", "At most this many items; -1 for all.", {"type": "integer"}),
    "Offset": _query("offset", "Skip this many items.", {"type": "integer", "minimum": 0}),
    "Page": _query("page", "The page of `limit` items to return.", {"type": "integer"}),
    "Aggregate": _query_json("aggregate", "Aggregate functions and the fields they apply to."),
    "GroupBy": _query("groupBy", "Fields to group aggregates by.", _TEXTS),
    "Deep": _query_json("deep", "Query parameters for related items, per relation."),
    "Alias": _query_json("alias", "Other names for fields."),
    "Backlink": _query("backlink", "Whether *.* walks back the way it came.", {"type": "boolean"}),
    "Meta": _query("meta", "Counts to return: total_count, filter_count or *.", {"type": "string"}),
    "Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
    "Collection": {"name": "collection", "in": "path", "required": True, "schema": _TEXT},
    "Field": {"name": "field", "in": "path", "required": True, "schema": _TEXT},
}
LIST_PARAMETERS = (
    *("Fields", "Filter", "Search", "Sort", "Limit", "Offset", "Page"),
    *("Aggregate", "GroupBy", "Deep", "Alias", "Backlink", "Meta"),
)

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["message", "extensions"],
        "properties": {
            "message": {"type": "string"},
            "extensions": {
                "type": "object",
                "required": ["code"],
                "properties": {"code": {"type": "string"}},
                "additionalProperties": True,
            },
        },
    },
    "x-metadata": {
        "type": "object",
        "properties": {"total_count": {"type": "integer"}, "filter_count": {"type": "integer"}},
    },
    # What SEARCH takes as {"query": …}: the list parameters as one object.
    "Query": {
        "type": "object",
        "properties": {
            PARAMETERS[name]["name"]: PARAMETERS[name].get("schema", {"type": "object"})
            for name in LIST_PARAMETERS
        },
    },
}

SECURITY_SCHEMES = {
    "Auth": {"type": "http", "scheme": "bearer", "description": "An access or static token."},
    "KeyAuth": {"type": "apiKey", "in": "query", "name": "access_token"},
}


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def parameter_refs(*names: str) -> list[dict[str, str]]:
    return [ref("parameters", name) for name in names]


def data_answer(schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    body = {"type": "object", "properties": {"data": schema, **more}}
    return {"description": "Successful request", "content": {"application/json": {"schema": body}}}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


ANY_OBJECT = {"type": "object"}


def operation(
    summary: str,
    operation_id: str,
    tag: str,
    *,
    ok: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    no_content: bool = False,
) -> dict[str, Any]:
    """One operation: ``ok`` is the ``200`` answer; ``no_content`` adds (or is) ``204``."""
    responses: dict[str, Any] = {}
    if ok is not None:
        responses["200"] = ok
    if no_content:
        responses["204"] = NO_CONTENT
    found: dict[str, Any] = {"summary": summary, "operationId": operation_id, "tags": [tag]}
    if parameters:
        found["parameters"] = parameters
    if body is not None:
        found["requestBody"] = json_body(body)
    return {**found, "responses": {**responses, **STANDARD_ERRORS}}


def title(name: str) -> str:
    """``blog_posts`` or ``blogPosts`` as ``BlogPosts``, for schema and tag names."""
    spaced = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name)
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", spaced))
