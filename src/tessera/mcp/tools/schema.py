"""``schema``: the data model as an assistant needs it, in two steps.

Without ``keys``: the names of the collections (and of the collection folders) the caller
may see, and their notes. With ``keys``: each named collection's fields, with the type,
whether it is the primary key, required or read-only, its note, its interface (and
choices), and where a relational field leads. The shapes are Directus's schema tool's.
Who may see what is the schema services' rule: admins see everything, others what their
read permissions on ``directus_collections`` / ``directus_fields`` cover.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from tessera.mcp.arguments import STRINGS, Strict, object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.schema.overview import FieldInfo, RelationInfo, SchemaOverview

#: How deep the fields of a JSON field's repeater options are described.
MAX_NESTED_DEPTH = 5


class SchemaArgs(Strict):
    keys: list[str] | None = None


def run(ctx: ToolContext, args: SchemaArgs) -> dict[str, Any]:
    context = ctx.schema_context()
    overview = context.overview("directus_collections")
    if not args.keys:
        return _lightweight(overview)
    fields = context.overview("directus_fields")
    relations = context.overview("directus_relations").relations
    wanted = set(args.keys)
    detailed: dict[str, Any] = {}
    for name, info in fields.collections.items():
        if name not in wanted or name not in overview.collections:
            continue
        described = {
            field_name: _field(field, fields, relations)
            for field_name, field in info.fields.items()
            if not (field.type == "alias" and "no-data" in field.special)
        }
        if described:
            detailed[name] = described
    return detailed


def _lightweight(overview: SchemaOverview) -> dict[str, Any]:
    collections: list[str] = []
    folders: list[str] = []
    notes: dict[str, str] = {}
    for name, info in overview.collections.items():
        (folders if info.is_folder else collections).append(name)
        note = (info.meta or {}).get("note")
        if note and not str(note).startswith("$t"):
            notes[name] = note
    return {"collections": collections, "collection_folders": folders, "notes": notes}


def _field(
    field: FieldInfo, overview: SchemaOverview, relations: list[RelationInfo]
) -> dict[str, Any]:
    meta = field.meta or {}
    described: dict[str, Any] = {"type": field.type}
    if field.schema is not None and field.schema.is_primary_key:
        described["primary_key"] = True
    for flag in ("required", "readonly"):
        if meta.get(flag):
            described[flag] = True
    if meta.get("note"):
        described["note"] = meta["note"]
    options = meta.get("options") or {}
    if meta.get("interface"):
        described["interface"] = _interface(meta["interface"], options, values_only=True)
    if field.type == "json" and options.get("fields"):
        described["fields"] = _nested(options["fields"], 0)
    if field.type == "json" and meta.get("interface") == "collection-item-dropdown":
        described["fields"] = _item_dropdown(options, overview)
    relation = _relation(field, relations)
    if relation is not None:
        described["relation"] = relation
    return described


def _interface(name: str, options: dict[str, Any], *, values_only: bool) -> dict[str, Any]:
    described: dict[str, Any] = {"type": name}
    choices = options.get("choices")
    if isinstance(choices, list):
        described["choices"] = (
            [c.get("value") if isinstance(c, dict) else c for c in choices]
            if values_only
            else choices
        )
    return described


def _nested(fields: Any, depth: int) -> dict[str, Any]:
    """A repeater's fields, as far as :data:`MAX_NESTED_DEPTH` levels down."""
    described: dict[str, Any] = {}
    if depth >= MAX_NESTED_DEPTH or not isinstance(fields, list):
        return described
    for spec in fields:
        name = spec.get("field") or spec.get("name") if isinstance(spec, dict) else None
        if not name:
            continue
        meta = spec.get("meta") or {}
        one: dict[str, Any] = {"type": spec.get("type") or "any"}
        for flag in ("required", "readonly"):
            if meta.get(flag):
                one[flag] = meta[flag]
        if meta.get("note"):
            one["note"] = meta["note"]
        if meta.get("interface"):
            one["interface"] = _interface(
                meta["interface"], meta.get("options") or {}, values_only=False
            )
        inner = (meta.get("options") or {}).get("fields") or (spec.get("options") or {}).get(
            "fields"
        )
        if spec.get("type") == "json" and inner:
            one["fields"] = _nested(inner, depth + 1)
        described[str(name)] = one
    return described


def _item_dropdown(options: dict[str, Any], overview: SchemaOverview) -> dict[str, Any]:
    selected = options.get("selectedCollection")
    key_type = "string | number | uuid"
    target = overview.collections.get(selected) if isinstance(selected, str) else None
    if target is not None and target.primary is not None:
        key_type = target.fields[target.primary].type
    return {"collection": {"value": selected, "type": "string"}, "key": {"type": key_type}}


def _relation(field: FieldInfo, relations: list[RelationInfo]) -> dict[str, Any] | None:
    special = field.special
    own = next(
        (r for r in relations if r.collection == field.collection and r.field == field.field),
        None,
    )
    # Directus goes by the ``special`` flag alone, which a relation made through the API
    # does not set; the relation itself says it too.
    if "m2o" in special or "file" in special or (own and own.related_collection):
        return {"type": "m2o", "collection": own.related_collection if own else None}
    if not {"o2m", "m2m", "files", "m2a"} & set(special):
        return None
    junction = next(
        (
            r
            for r in relations
            if r.related_collection == field.collection
            and (r.meta or {}).get("one_field") == field.field
        ),
        None,
    )
    if junction is None:
        return {"type": "o2m" if "o2m" in special else "m2a" if "m2a" in special else "m2m"}
    junction_field = (junction.meta or {}).get("junction_field")
    if junction_field is None:
        return {"type": "o2m", "collection": junction.collection, "many_field": junction.field}
    other = next(
        (r for r in relations if r.collection == junction.collection and r.field == junction_field),
        None,
    )
    # A junction whose far side allows several collections is many-to-any, whatever the
    # alias's ``special`` says.
    kind = "m2a" if other is not None and other.related_collection is None else "m2m"
    link: dict[str, Any] = {
        "collection": junction.collection,
        "many_field": junction.field,
        "junction_field": junction_field,
    }
    if kind == "m2a":
        other_meta = (other.meta or {}) if other else {}
        link["one_collection_field"] = other_meta.get("one_collection_field") or "collection"
        _sort(link, junction, other)
        allowed = other_meta.get("one_allowed_collections")
        return {"type": "m2a", "one_allowed_collections": allowed, "junction": link}
    _sort(link, junction, None)
    target = (other.related_collection if other else None) or "directus_files"
    return {"type": "m2m", "collection": target, "junction": link}


def _sort(link: dict[str, Any], junction: RelationInfo, other: RelationInfo | None) -> None:
    sort_field = (junction.meta or {}).get("sort_field") or (
        (other.meta or {}).get("sort_field") if other else None
    )
    if sort_field:
        link["sort_field"] = sort_field


TOOL = Tool(
    name="schema",
    title="Schema",
    description=(
        "The data model you can use. Without `keys`: the collection names, the collection "
        "folders (groups with no items) and the collections' notes. With `keys`: for each "
        "named collection its fields, with type, primary key, required, read-only, note, "
        "interface (with choices) and, for relational fields, the related collection "
        "(m2o, o2m, m2m with its junction, m2a). Call it before reading or writing items."
    ),
    input_schema=object_schema(
        {
            "keys": {
                **STRINGS,
                "description": "Collections to describe in detail; omit for the list of all",
            }
        }
    ),
    arguments=TypeAdapter(SchemaArgs),
    handler=run,
    raw_schema={"type": "object"},
    read_only=True,
)
