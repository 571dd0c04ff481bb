"""The OpenAPI 3 document of the REST API, as one caller may use it.

Shaped like Directus's ``/server/specs/oas``: OpenAPI 3.0.1, a tag and a schema named
``Items<Name>`` per collection, ``/items/<collection>`` and ``/items/<collection>/{id}``
paths, shared parameters, responses and security schemes. It is generated from the live
schema narrowed to the caller: a collection they cannot read is absent, a field they
cannot read is not in its schema, an operation they hold no permission for is not listed,
and schema changes are listed for admins only.

Where Directus's document disagrees with its own API, this one describes the API: deletes
answer ``204``; what is missing or not readable is ``403``; a write may answer ``204``
when the caller cannot read the result back; fields and relations are addressed by
collection and field; a singleton has no ``/{id}`` path; an item's key has its primary
key's type; timestamps are date-times and decimals are strings, as the API answers them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from tessera.access.accountability import Accountability
from tessera.access.permissions import Action, load_permissions
from tessera.db.engine import Database
from tessera.schema.overview import CollectionInfo, FieldInfo, SchemaCache, SchemaOverview
from tessera.services.grants import is_full
from tessera.services.schema_change import visible_part

OPENAPI_VERSION = "3.0.1"
#: Specials whose field the server fills on create: such a field is never required.
_FILLED = frozenset(
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
_STANDARD_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequestError"},
    "401": {"$ref": "#/components/responses/UnauthorizedError"},
    "403": {"$ref": "#/components/responses/ForbiddenError"},
}
_NO_CONTENT = {"description": "Done; nothing to return, or nothing the caller may read."}


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
_LIST_PARAMETERS = (
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
            for name in _LIST_PARAMETERS
        },
    },
}

SECURITY_SCHEMES = {
    "Auth": {"type": "http", "scheme": "bearer", "description": "An access or static token."},
    "KeyAuth": {"type": "apiKey", "in": "query", "name": "access_token"},
}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _parameters(*names: str) -> list[dict[str, str]]:
    return [_ref("parameters", name) for name in names]


def _data(schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    body = {"type": "object", "properties": {"data": schema, **more}}
    return {"description": "Successful request", "content": {"application/json": {"schema": body}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_ACTION: dict[str, Action] = {
    "get": "read",
    "post": "create",
    "patch": "update",
    "delete": "delete",
}
#: A route: (path suffix, method, summary, operationId, answer, request body). An answer or
#: body names a shape: ``one``, ``many``, ``both`` (either), ``page`` (many, with ``meta``),
#: ``batch`` or ``selection``; an answer of None is ``204``.
Routes = tuple[tuple[str, str, str, str, str | None, str | None], ...]
ITEM_ROUTES: Routes = (
    ("", "post", "Create Items", "create{}", "both", "both"),
    ("", "get", "List Items", "read{}", "page", None),
    ("", "patch", "Update Multiple Items", "update{}", "many", "batch"),
    ("", "delete", "Delete Multiple Items", "delete{}", None, "selection"),
    ("/{id}", "get", "Retrieve an Item", "readSingle{}", "one", None),
    ("/{id}", "patch", "Update an Item", "updateSingle{}", "one", "one"),
    ("/{id}", "delete", "Delete an Item", "deleteSingle{}", None, None),
)
SINGLETON_ROUTES: Routes = (
    ("", "get", "Retrieve the Item", "read{}", "one", None),
    ("", "patch", "Update the Item", "update{}", "one", "one"),
)
_C, _CF = "/{collection}", "/{collection}/{field}"
SYSTEM_ROUTES: dict[str, Routes] = {
    "Collections": (
        ("", "get", "List Collections", "readCollections", "many", None),
        ("", "post", "Create Collections", "createCollections", "both", "both"),
        ("", "patch", "Update Collections", "updateCollections", "many", "many"),
        (_C, "get", "Retrieve a Collection", "readCollection", "one", None),
        (_C, "patch", "Update a Collection", "updateCollection", "one", "one"),
        (_C, "delete", "Delete a Collection", "deleteCollection", None, None),
    ),
    "Fields": (
        ("", "get", "List All Fields", "readFields", "many", None),
        (_C, "get", "List Fields in a Collection", "readCollectionFields", "many", None),
        (_C, "post", "Create a Field", "createField", "one", "one"),
        (_C, "patch", "Update Fields", "updateFields", "many", "many"),
        (_CF, "get", "Retrieve a Field", "readField", "one", None),
        (_CF, "patch", "Update a Field", "updateField", "one", "one"),
        (_CF, "delete", "Delete a Field", "deleteField", None, None),
    ),
    "Relations": (
        ("", "get", "List Relations", "readRelations", "many", None),
        ("", "post", "Create a Relation", "createRelation", "one", "one"),
        (_C, "get", "List a Collection's Relations", "readCollectionRelations", "many", None),
        (_CF, "get", "Retrieve a Relation", "readRelation", "one", None),
        (_CF, "patch", "Update a Relation", "updateRelation", "one", "one"),
        (_CF, "delete", "Delete a Relation", "deleteRelation", None, None),
    ),
    "Activity": (
        ("", "get", "List Activity", "readActivities", "page", None),
        ("/{id}", "get", "Retrieve an Activity", "readActivity", "one", None),
    ),
    "Revisions": (
        ("", "get", "List Revisions", "readRevisions", "page", None),
        ("/{id}", "get", "Retrieve a Revision", "readRevision", "one", None),
    ),
}
_ANY_OBJECT = {"type": "object"}


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
        responses["204"] = _NO_CONTENT
    found: dict[str, Any] = {"summary": summary, "operationId": operation_id, "tags": [tag]}
    if parameters:
        found["parameters"] = parameters
    if body is not None:
        found["requestBody"] = _json(body)
    return {**found, "responses": {**responses, **_STANDARD_ERRORS}}


def title(name: str) -> str:
    """``blog_posts`` or ``blogPosts`` as ``BlogPosts``, for schema and tag names."""
    spaced = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name)
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", spaced))


class _Document:
    """The document for one caller: ``may(collection, action)`` says what they can do."""

    def __init__(
        self, overview: SchemaOverview, may: Callable[[str, Action], bool], admin: bool
    ) -> None:
        self.overview = overview
        self.may = may
        self.admin = admin
        self.names: dict[str, str] = {}
        for tag, (collection, _) in SYSTEM_TAGS.items():
            if collection in overview.collections:
                self.names[collection] = tag
        for collection, info in sorted(overview.collections.items()):
            if not info.system and info.table is not None:
                name, n = f"Items{title(collection)}", 1
                while name in self.names.values():  # "a_b" and "aB" both read "AB"
                    n += 1
                    name = f"Items{title(collection)}{n}"
                self.names[collection] = name

    def build(self, server_url: str) -> dict[str, Any]:
        tags = [SERVER_TAG]
        paths = _server_paths()
        schemas = dict(SCHEMAS)
        for collection, name in self.names.items():
            info = self.overview.collections[collection]
            if info.system:
                tags.append({"name": name, "description": SYSTEM_TAGS[name][1]})
                schemas[name] = self._system_schema(name, info)
                paths |= self._paths(f"/{name.lower()}", name, SYSTEM_ROUTES[name], info)
                continue
            tag = {"name": name, "x-collection": collection}
            note = (info.meta or {}).get("note")
            if isinstance(note, str) and note:
                tag["description"] = note
            tags.append(tag)
            schemas[name] = self._object(info)
            singleton = (info.meta or {}).get("singleton")
            routes = SINGLETON_ROUTES if singleton else ITEM_ROUTES
            paths |= self._paths(f"/items/{collection}", name, routes, info)
        document: dict[str, Any] = {
            "openapi": OPENAPI_VERSION,
            "info": {
                "title": "Dynamic API Specification",
                "description": "The REST API of this project, as the caller may use it.",
            },
            "servers": [{"url": server_url, "description": "This Tessera instance."}],
            "security": [{"Auth": []}, {"KeyAuth": []}, {}],
            "paths": paths,
            "tags": tags,
            "components": {
                "schemas": schemas,
                "parameters": PARAMETERS,
                "responses": RESPONSES,
                "securitySchemes": SECURITY_SCHEMES,
            },
        }
        # The same schema and rights give the same version, so a client can tell a change.
        digest = hashlib.sha1(json.dumps(document, sort_keys=True).encode(), usedforsecurity=False)
        document["info"]["version"] = digest.hexdigest()
        return document

    def _allowed(self, info: CollectionInfo, method: str) -> bool:
        """Items: the caller's permissions; system routes: reads, and the rest for admins."""
        if info.system:
            return method == "get" or self.admin
        if method == "patch" and (info.meta or {}).get("singleton"):
            return self.may(info.collection, "update") or self.may(info.collection, "create")
        return self.may(info.collection, _ACTION[method])

    def _paths(self, base: str, name: str, routes: Routes, info: CollectionInfo) -> dict[str, Any]:
        one = _ref("schemas", name)
        key = self._key_schema(info)
        keys = {"type": "array", "items": key}
        query = _ref("schemas", "Query")
        by = {"type": "object", "required": ["data"], "properties": {"data": one}}
        shapes: dict[str, Any] = {"one": one, "many": {"type": "array", "items": one}}
        shapes |= {
            "both": {"oneOf": [shapes["many"], one]},
            "batch": {"oneOf": [shapes["many"], _with(by, keys=keys), _with(by, query=query)]},
            "selection": {
                "oneOf": [keys, {"type": "object", "properties": {"keys": keys, "query": query}}]
            },
        }
        by_path: dict[str, Any] = {
            "id": {"name": "id", "in": "path", "required": True, "schema": key},
            "collection": _ref("parameters", "Collection"),
            "field": _ref("parameters", "Field"),
        }
        # Items and the audit trail read with ``fields``; the schema routes ignore queries.
        reads_fields = not info.system or name in ("Activity", "Revisions")
        paths: dict[str, Any] = {}
        for suffix, method, summary, operation_id, answer, body in routes:
            if not self._allowed(info, method):
                continue
            parameters = [by_path[part] for part in re.findall(r"{(\w+)}", suffix)]
            if answer == "page":
                parameters[:0] = _parameters(*_LIST_PARAMETERS)
                ok = _data(shapes["many"], meta=_ref("schemas", "x-metadata"))
            elif answer is not None:
                parameters[:0] = _parameters("Fields") if reads_fields else []
                ok = _data(shapes[answer])
            else:
                ok = None
            paths.setdefault(f"{base}{suffix}", {})[method] = operation(
                summary,
                operation_id.format(name),
                name,
                ok=ok,
                parameters=parameters,
                body=shapes[body] if body else None,
                # writes answer 204 when the caller may not read the result back
                no_content=method != "get" and (answer is None or not info.system),
            )
        return paths

    def _key_schema(self, info: CollectionInfo | None) -> dict[str, Any]:
        primary = info.fields.get(info.primary or "") if info else None
        return dict(FIELD_TYPES.get(primary.type, {})) if primary else {}

    def _object(self, info: CollectionInfo) -> dict[str, Any]:
        """The schema of one item: each readable field, with its relations resolved."""
        properties: dict[str, Any] = {}
        required = []
        for field in info.fields.values():
            found = self._property(field)
            if found is None:
                continue
            properties[field.field] = found
            column = field.schema
            if (
                column is not None
                and not column.is_nullable
                and column.default_value is None
                and not column.has_auto_increment
                and not column.is_generated
                and not _FILLED & set(field.special)
            ):
                required.append(field.field)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return {**schema, "x-collection": info.collection}

    def _property(self, field: FieldInfo) -> dict[str, Any] | None:
        """A field's schema; None for an alias that carries no data."""
        found: dict[str, Any] = {}
        note = (field.meta or {}).get("note")
        if isinstance(note, str) and note and not note.startswith("$t:"):
            found["description"] = note
        for relation in self.overview.relations:
            meta = relation.meta or {}
            if relation.collection == field.collection and relation.field == field.field:
                if relation.related_collection is None:  # the "any" side of a many-to-any
                    allowed = meta.get("one_allowed_collections") or []
                    refs = [_ref("schemas", self.names[n]) for n in allowed if n in self.names]
                    return {**found, "nullable": True, "oneOf": [{"type": "string"}, *refs]}
                related = self._related(relation.related_collection, FIELD_TYPES.get(field.type))
                return {**found, "nullable": _nullable(field), **related}
            if (
                relation.related_collection == field.collection
                and meta.get("one_field") == field.field
            ):
                return {**found, "type": "array", "items": self._related(relation.collection)}
        if field.is_alias:
            return None
        return {**found, "nullable": _nullable(field), **FIELD_TYPES.get(field.type, {})}

    def _related(self, collection: str, key: dict[str, Any] | None = None) -> dict[str, Any]:
        """A related item: its key, or the item itself when the caller may read it."""
        if key is None:
            key = self._key_schema(self.overview.collections.get(collection))
        name = self.names.get(collection)
        if name is None:
            return dict(key)
        return {"oneOf": [key, _ref("schemas", name)]}

    # --- system collections ------------------------------------------------------------

    def _system_schema(self, name: str, info: CollectionInfo) -> dict[str, Any]:
        """Collections, fields and relations answer ``{…, meta, schema}``; the rest are rows."""
        row = self._object(info)
        if name not in ("Collections", "Fields", "Relations"):
            return row
        text = {"type": "string"}
        properties: dict[str, Any] = {"collection": text}
        if name == "Fields":
            properties |= {"field": text, "type": text}
        elif name == "Relations":
            properties |= {"field": text, "related_collection": {**text, "nullable": True}}
        meta = {key: value for key, value in row.items() if key != "required"}
        properties |= {"meta": {**meta, "nullable": True}, "schema": _ANY_OBJECT}
        return {"type": "object", "properties": properties, "x-collection": info.collection}


def _with(schema: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {**schema, "properties": {**schema["properties"], **properties}}


def _nullable(field: FieldInfo) -> bool:
    return field.schema is None or field.schema.is_nullable


def _server_paths() -> dict[str, Any]:
    """``/server/*``: open to anyone, so listed for every caller."""

    def answer(media: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"description": description, "content": {media: {"schema": schema}}}

    def get(summary: str, operation_id: str, *responses: tuple[str, dict[str, Any]]) -> Any:
        found = {"summary": summary, "operationId": operation_id, "tags": ["Server"]}
        return {"get": {**found, "responses": dict(responses)}}

    health = answer("application/health+json", _ANY_OBJECT, "The server's health.")
    return {
        "/server/ping": get(
            "Ping", "ping", ("200", answer("text/plain", {"type": "string"}, "pong"))
        ),
        "/server/info": get("Server Info", "serverInfo", ("200", _data(_ANY_OBJECT))),
        "/server/health": get("Health", "serverHealth", ("200", health), ("503", health)),
        "/server/specs/oas": get(
            "OpenAPI Specification",
            "oas",
            ("200", answer("application/json", _ANY_OBJECT, "This document.")),
        ),
    }


def openapi_document(
    db: Database, cache: SchemaCache, accountability: Accountability | None, server_url: str
) -> dict[str, Any]:
    """The OpenAPI document for ``accountability``, whose server is ``server_url``."""
    overview = cache.get()
    if is_full(accountability):
        return _Document(overview, lambda _collection, _action: True, admin=True).build(server_url)
    assert accountability is not None
    with db.read() as conn:
        granted = load_permissions(conn, accountability)

    def may(collection: str, action: Action) -> bool:
        return granted.get(collection, action) is not None

    return _Document(visible_part(overview, granted), may, admin=False).build(server_url)
