"""Schema snapshots: the data model as one document, and applying one to a database.

The document has Directus's shape (``version``, ``directus``, ``vendor``,
``collections``, ``fields``, ``relations``), so a model can move between
environments — and between SQLite and PostgreSQL. Applying computes a diff
against the live schema and runs it through the same services every other door
uses, in one transaction: it all lands, or none of it does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from tessera import __version__
from tessera.access.accountability import require_admin
from tessera.errors import InvalidPayloadError
from tessera.schema.overview import SYSTEM_PREFIX
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext

SNAPSHOT_VERSION = 1
#: The ``schema`` keys a field can be created or altered with; the rest is the vendor's.
WRITABLE_COLUMN_KEYS = (
    "max_length",
    "numeric_precision",
    "numeric_scale",
    "is_nullable",
    "default_value",
    "is_unique",
    "is_indexed",
    "is_primary_key",
    "has_auto_increment",
)
_VOLATILE_META = ("id", "collection", "field", "many_collection", "many_field", "system")

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class Change:
    kind: Literal["collection", "field", "relation"]
    action: Action
    name: str
    target: dict[str, Any] | None = None
    detail: list[str] = field(default_factory=list)


def take_snapshot(context: SchemaContext) -> dict[str, Any]:
    """The user data model (system collections left out) as a snapshot document."""
    require_admin(context.accountability)
    overview = context.overview()
    vendor = "sqlite" if context.db.is_sqlite else "postgres"
    collections: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    relations: list[dict[str, Any]] = []
    for name in sorted(overview.collections):
        info = overview.collections[name]
        if info.system:
            continue
        collections.append(_strip(info.to_api()))
        fields.extend(_strip(f.to_api()) for f in info.fields.values())
    for relation in overview.relations:
        if relation.collection.startswith(SYSTEM_PREFIX):
            continue
        relations.append(_strip(relation.to_api()))
    relations.sort(key=lambda r: (r["collection"], r["field"]))
    return {
        "version": SNAPSHOT_VERSION,
        "directus": __version__,
        "vendor": vendor,
        "collections": collections,
        "fields": fields,
        "relations": relations,
    }


def _strip(entry: dict[str, Any]) -> dict[str, Any]:
    entry = dict(entry)
    if entry.get("meta"):
        entry["meta"] = {k: v for k, v in entry["meta"].items() if k not in _VOLATILE_META}
    return entry


def _comparable_field(entry: dict[str, Any]) -> dict[str, Any]:
    schema = entry.get("schema")
    return {
        "type": entry.get("type"),
        "schema": None
        if schema is None
        else {
            key: schema.get(key)
            for key in WRITABLE_COLUMN_KEYS
            if key != "max_length" or entry.get("type") == "string"
        },
        "meta": entry.get("meta"),
    }


def _comparable_relation(entry: dict[str, Any]) -> dict[str, Any]:
    schema = entry.get("schema")
    return {
        "related_collection": entry.get("related_collection"),
        "schema": None
        if schema is None
        else {
            "on_delete": schema.get("on_delete"),
            "on_update": schema.get("on_update"),
        },
        "meta": entry.get("meta"),
    }


def _differences(current: dict[str, Any], target: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(current) | set(target)):
        was, now = current.get(key), target.get(key)
        if isinstance(was, dict) and isinstance(now, dict):
            out.extend(_differences(was, now, f"{prefix}{key}."))
        elif was != now:
            out.append(f"{prefix}{key}: {was!r} → {now!r}")
    return out


def diff(current: dict[str, Any], target: dict[str, Any]) -> list[Change]:
    """What must change for ``current`` to become ``target``, in the order to apply it."""
    _check_document(target)
    changes: list[Change] = []
    have = {c["collection"]: c for c in current["collections"]}
    want = {c["collection"]: c for c in target["collections"]}
    for name, entry in want.items():
        if name not in have:
            changes.append(Change("collection", "create", name, {**entry, "fields": []}))
        elif (entry.get("meta") or None) != (have[name].get("meta") or None):
            detail = _differences(have[name].get("meta") or {}, entry.get("meta") or {})
            changes.append(Change("collection", "update", name, entry, detail))

    have_f = {(f["collection"], f["field"]): f for f in current["fields"]}
    want_f = {(f["collection"], f["field"]): f for f in target["fields"]}
    new_tables = {
        c.name: c
        for c in changes
        if c.action == "create" and (c.target or {}).get("schema") is not None
    }
    for key, entry in want_f.items():
        label = ".".join(key)
        if key[0] in new_tables and entry.get("schema") is not None:
            new_tables[key[0]].target.setdefault("fields", []).append(entry)  # type: ignore[union-attr]
            continue
        if key not in have_f:
            changes.append(Change("field", "create", label, entry))
            continue
        was, now = _comparable_field(have_f[key]), _comparable_field(entry)
        if was != now:
            changes.append(Change("field", "update", label, entry, _differences(was, now)))

    have_r = {(r["collection"], r["field"]): r for r in current["relations"]}
    want_r = {(r["collection"], r["field"]): r for r in target["relations"]}
    for key, entry in want_r.items():
        label = ".".join(key)
        if key not in have_r:
            changes.append(Change("relation", "create", label, entry))
            continue
        was, now = _comparable_relation(have_r[key]), _comparable_relation(entry)
        if was != now:
            changes.append(Change("relation", "update", label, entry, _differences(was, now)))
    for key in have_r.keys() - want_r.keys():
        changes.append(Change("relation", "delete", ".".join(key)))
    for key in have_f.keys() - want_f.keys():
        if key[0] in want:
            changes.append(Change("field", "delete", ".".join(key)))
    for name in have.keys() - want.keys():
        changes.append(Change("collection", "delete", name))
    return changes


def _check_document(document: Any) -> None:
    if not isinstance(document, dict):
        raise InvalidPayloadError("A snapshot must be an object")
    if document.get("version") != SNAPSHOT_VERSION:
        raise InvalidPayloadError(f'"version" must be {SNAPSHOT_VERSION}')
    for key in ("collections", "fields", "relations"):
        if not isinstance(document.get(key), list):
            raise InvalidPayloadError(f'"{key}" must be an array')


def apply_changes(
    context: SchemaContext, changes: list[Change], progress: Callable[[Change], None] | None = None
) -> None:
    """Apply a diff in one transaction; ``progress`` is told of each change once it is done."""
    collections = CollectionsService(context)
    fields = FieldsService(context)
    relations = RelationsService(context)
    created = {c.name for c in changes if c.kind == "collection" and c.action == "create"}
    with context.transaction():
        for change in changes:
            _apply_one(change, created, collections, fields, relations)
            if progress:
                progress(change)
        for change in changes:  # groups may name collections created after them
            if change.kind == "collection" and change.action == "create":
                group = ((change.target or {}).get("meta") or {}).get("group")
                if group:
                    collections.update(change.name, {"meta": {"group": group}})


def _apply_one(
    change: Change,
    created: set[str],
    collections: CollectionsService,
    fields: FieldsService,
    relations: RelationsService,
) -> None:
    target = change.target or {}
    if change.kind == "collection":
        if change.action == "create":
            meta = target.get("meta")
            if meta:
                meta = {k: v for k, v in meta.items() if k != "group"}
            collections.create(
                {
                    "collection": change.name,
                    "meta": meta,
                    "schema": None if target.get("schema") is None else {},
                    "fields": [_field_payload(f) for f in target.get("fields", [])],
                }
            )
        elif change.action == "update":
            collections.update(change.name, {"meta": target.get("meta") or {}})
        else:
            collections.delete(change.name)
        return
    if change.kind == "field":
        collection, name = change.name.split(".", 1)
        if change.action == "create":
            fields.create(collection, _field_payload(target))
        elif change.action == "update":
            payload = _field_payload(target)
            payload["schema"] = {
                k: v
                for k, v in (payload.get("schema") or {}).items()
                if k not in ("is_primary_key", "has_auto_increment")
            }
            fields.update(collection, name, payload)
        else:
            fields.delete(collection, name)
        return
    collection, name = change.name.split(".", 1)
    if change.action == "create":
        relations.create(
            {
                "collection": collection,
                "field": name,
                "related_collection": target.get("related_collection"),
                "schema": _relation_schema(target),
                "meta": target.get("meta"),
            }
        )
    elif change.action == "update":
        relations.update(
            collection,
            name,
            {
                "schema": _relation_schema(target),
                "meta": target.get("meta") or {},
            },
        )
    else:
        relations.delete(collection, name)


def _field_payload(entry: dict[str, Any]) -> dict[str, Any]:
    schema = entry.get("schema")
    return {
        "field": entry["field"],
        "type": entry.get("type"),
        "meta": entry.get("meta"),
        "schema": None
        if schema is None
        else {key: schema.get(key) for key in WRITABLE_COLUMN_KEYS if key in schema},
    }


def _relation_schema(entry: dict[str, Any]) -> dict[str, Any] | None:
    schema = entry.get("schema")
    if schema is None:
        return None
    return {"on_delete": schema.get("on_delete"), "on_update": schema.get("on_update")}
