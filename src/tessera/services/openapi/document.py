"""The OpenAPI document for one caller, built from the schema they may see."""

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
from tessera.services.openapi.components import (
    ANY_OBJECT,
    FIELD_TYPES,
    FILLED,
    LIST_PARAMETERS,
    OPENAPI_VERSION,
    PARAMETERS,
    RESPONSES,
    SCHEMAS,
    SECURITY_SCHEMES,
    SERVER_TAG,
    SYSTEM_TAGS,
    data_answer,
    operation,
    parameter_refs,
    ref,
    title,
)
from tessera.services.openapi.routes import (
    ACTION,
    ITEM_ROUTES,
    SINGLETON_ROUTES,
    SYSTEM_ROUTES,
    Routes,
)
from tessera.services.schema_change import visible_part


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
        return self.may(info.collection, ACTION[method])

    def _paths(self, base: str, name: str, routes: Routes, info: CollectionInfo) -> dict[str, Any]:
        one = ref("schemas", name)
        key = self._key_schema(info)
        keys = {"type": "array", "items": key}
        query = ref("schemas", "Query")
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
            "collection": ref("parameters", "Collection"),
            "field": ref("parameters", "Field"),
        }
        # Items and the audit trail read with ``fields``; the schema routes ignore queries.
        reads_fields = not info.system or name in ("Activity", "Revisions")
        paths: dict[str, Any] = {}
        for suffix, method, summary, operation_id, answer, body in routes:
            if not self._allowed(info, method):
                continue
            parameters = [by_path[part] for part in re.findall(r"{(\w+)}", suffix)]
            if answer == "page":
                parameters[:0] = parameter_refs(*LIST_PARAMETERS)
                ok = data_answer(shapes["many"], meta=ref("schemas", "x-metadata"))
            elif answer is not None:
                parameters[:0] = parameter_refs("Fields") if reads_fields else []
                ok = data_answer(shapes[answer])
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
                and not FILLED & set(field.special)
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
                    refs = [ref("schemas", self.names[n]) for n in allowed if n in self.names]
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
        return {"oneOf": [key, ref("schemas", name)]}

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
        properties |= {"meta": {**meta, "nullable": True}, "schema": ANY_OBJECT}
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

    health = answer("application/health+json", ANY_OBJECT, "The server's health.")
    return {
        "/server/ping": get(
            "Ping", "ping", ("200", answer("text/plain", {"type": "string"}, "pong"))
        ),
        "/server/info": get("Server Info", "serverInfo", ("200", data_answer(ANY_OBJECT))),
        "/server/health": get("Health", "serverHealth", ("200", health), ("503", health)),
        "/server/specs/oas": get(
            "OpenAPI Specification",
            "oas",
            ("200", answer("application/json", ANY_OBJECT, "This document.")),
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
