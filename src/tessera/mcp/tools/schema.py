"""``schema``: the data model as an assistant needs it, in two steps.

Without ``keys``: the names of the collections (and of the collection folders) the caller
may see, and their notes. With ``keys``: each named collection's fields, with the type,
whether it is the primary key, required or read-only, its note, its interface (and
choices), and where a relational field leads. Directus's schema tool says
the same in about twice the bytes (``tests/mcp/test_schema_size.py`` measures it): here a
field is one line of words, ``integer pk readonly ui:input``, instead of an object of
flags, and a collection's note follows its name.
Who may see what is the schema services' rule: admins see everything, others what their
read permissions on ``directus_collections`` / ``directus_fields`` cover.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from tessera.mcp.arguments import STRINGS, Strict, object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.schema.overview import FieldInfo, RelationInfo, SchemaOverview

#: How deep the fields of a JSON field's repeater options are described.
MAX_NESTED_DEPTH = 5
#: Between a name (or a field's line) and its note.
NOTE = " # "


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
    system: list[str] = []
    for name, info in overview.collections.items():
        if info.is_folder:
            folders.append(name)
            continue
        note = (info.meta or {}).get("note")
        described = name if not note or str(note).startswith("$t") else f"{name}{NOTE}{note}"
        (system if name.startswith("directus_") else collections).append(described)
    listed: dict[str, Any] = {"collections": collections}
    if folders:
        listed["folders"] = folders
    if system:
        listed["system"] = system
    return listed


def _field(field: FieldInfo, overview: SchemaOverview, relations: list[RelationInfo]) -> Any:
    """One field as a line: ``type [pk] [required] [readonly] [ui:…] [relation] [# note]``.

    A JSON field with fields of its own (a repeater) is ``{"is": <line>, "fields": …}``.
    """
    meta = field.meta or {}
    words = [field.type]
    if field.schema is not None and field.schema.is_primary_key:
        words.append("pk")
    words.extend(flag for flag in ("required", "readonly") if meta.get(flag))
    options = meta.get("options") or {}
    if meta.get("interface"):
        words.append(_interface(meta["interface"], options))
    if field.type == "json" and meta.get("interface") == "collection-item-dropdown":
        words.append(_item_dropdown(options, overview))
    relation = _relation(field, relations)
    if relation is not None:
        words.append(relation)
    line = _line(words, meta.get("note"))
    if field.type == "json" and options.get("fields"):
        return {"is": line, "fields": _nested(options["fields"], 0)}
    return line


def _line(words: list[str], note: Any) -> str:
    return " ".join(words) + (f"{NOTE}{note}" if note else "")


def _interface(name: str, options: dict[str, Any]) -> str:
    """``ui:<interface>``, with its choices' values as ``(a|b)`` (as JSON when that is unclear)."""
    choices = options.get("choices")
    if not isinstance(choices, list):
        return f"ui:{name}"
    values = [c.get("value") if isinstance(c, dict) else c for c in choices]
    plain = all(isinstance(v, str) and v and not set(v) & set("|() ") for v in values)
    listed = (
        "|".join(str(v) for v in values)
        if plain
        else json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    )
    return f"ui:{name}({listed})"


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
        words = [spec.get("type") or "any"]
        words.extend(flag for flag in ("required", "readonly") if meta.get(flag))
        if meta.get("interface"):
            words.append(_interface(meta["interface"], meta.get("options") or {}))
        line = _line(words, meta.get("note"))
        inner = (meta.get("options") or {}).get("fields") or (spec.get("options") or {}).get(
            "fields"
        )
        if spec.get("type") == "json" and inner:
            described[str(name)] = {"is": line, "fields": _nested(inner, depth + 1)}
        else:
            described[str(name)] = line
    return described


def _item_dropdown(options: dict[str, Any], overview: SchemaOverview) -> str:
    """``item:<collection>(<key type>)``: the one item of another collection it points at."""
    selected = options.get("selectedCollection")
    key_type = "string|number|uuid"
    target = overview.collections.get(selected) if isinstance(selected, str) else None
    if target is not None and target.primary is not None:
        key_type = target.fields[target.primary].type
    return f"item:{selected}({key_type})"


def _relation(field: FieldInfo, relations: list[RelationInfo]) -> str | None:
    """``m2o:c``, ``o2m:c.many_field``, ``m2m:c via j(many,junction[,sort])`` or
    ``m2a:c1|c2 via j(many,junction,collection_field[,sort])``."""
    special = field.special
    own = next(
        (r for r in relations if r.collection == field.collection and r.field == field.field),
        None,
    )
    # Directus goes by the ``special`` flag alone, which a relation made through the API
    # does not set; the relation itself says it too.
    if "m2o" in special or "file" in special or (own and own.related_collection):
        return f"m2o:{own.related_collection if own else None}"
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
        return "o2m" if "o2m" in special else "m2a" if "m2a" in special else "m2m"
    junction_field = (junction.meta or {}).get("junction_field")
    if junction_field is None:
        return f"o2m:{junction.collection}.{junction.field}"
    other = next(
        (r for r in relations if r.collection == junction.collection and r.field == junction_field),
        None,
    )
    other_meta = (other.meta or {}) if other else {}
    link = [junction.field, junction_field]
    # A junction whose far side allows several collections is many-to-any, whatever the
    # alias's ``special`` says.
    if other is not None and other.related_collection is None:
        link.append(other_meta.get("one_collection_field") or "collection")
        target = "|".join(other_meta.get("one_allowed_collections") or [])
        kind = "m2a"
    else:
        target = (other.related_collection if other else None) or "directus_files"
        kind = "m2m"
    sort_field = (junction.meta or {}).get("sort_field") or other_meta.get("sort_field")
    if sort_field:
        link.append(f"sort={sort_field}")
    return f"{kind}:{target} via {junction.collection}({','.join(link)})"


TOOL = Tool(
    name="schema",
    title="Schema",
    description=(
        "The data model you can use; call it before reading or writing items. Without "
        "`keys`: `collections` (each `name` or `name # note`), `folders` (groups with no "
        "items) and `system` (directus_* collections, which have tools of their own). With "
        "`keys`: for each named collection, each field as one line: type, then `pk`, "
        "`required`, `readonly`, `ui:<interface>(<choice>|<choice>)`, the relation "
        "(`m2o:<collection>`, `o2m:<collection>.<field>`, `m2m:<collection> via "
        "<junction>(<field>,<field>[,sort=<field>])`, `m2a:<c1>|<c2> via "
        "<junction>(<field>,<field>,<collection field>[,sort=<field>])`), `# <note>`. A JSON "
        'field with sub-fields is {"is": <line>, "fields": {...}}.'
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
