"""``relations`` (admins): create, read, update and delete relations between collections.

Over :class:`~tessera.services.relations.RelationsService`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field, TypeAdapter
from typing_extensions import TypedDict

from tessera.mcp.arguments import ANY_OBJECT, Strict, action_schema, nullable, object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.services.relations import RelationsService

_CONFIG = {"extra": "forbid", "strict": True}


class NewRelation(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    collection: str
    field: str
    related_collection: str | None
    schema: NotRequired[dict[str, Any] | None]
    meta: dict[str, Any] | None


class RelationChange(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    collection: str
    field: str
    related_collection: NotRequired[str | None]
    schema: NotRequired[dict[str, Any] | None]
    meta: NotRequired[dict[str, Any] | None]


class Create(Strict):
    action: Literal["create"]
    collection: str
    field: str | None = None
    data: NewRelation


class Read(Strict):
    action: Literal["read"]
    collection: str | None = None
    field: str | None = None


class Update(Strict):
    action: Literal["update"]
    collection: str
    field: str
    data: RelationChange | None = None


class Delete(Strict):
    action: Literal["delete"]
    collection: str
    field: str


RelationsArgs = Annotated[Create | Read | Update | Delete, Field(discriminator="action")]


def run(ctx: ToolContext, args: Create | Read | Update | Delete) -> Any:
    service = RelationsService(ctx.schema_context())
    if isinstance(args, Read):
        if args.collection is not None and args.field is not None:
            return service.read_one(args.collection, args.field)
        return service.read_all(args.collection)
    if isinstance(args, Create):
        created = service.create(dict(args.data))
        return service.read_one(args.collection, args.field or created["field"])
    if isinstance(args, Update):
        return service.update(args.collection, args.field, dict(args.data or {}))
    service.delete(args.collection, args.field)
    return {"collection": args.collection, "field": args.field}


TOOL = Tool(
    name="relations",
    title="Relations",
    description=(
        "Admins only. Create, read, update or delete relations; the fields they join must "
        "exist first. read: one (`collection` and `field`), a collection's, or all. "
        "create: `data` with `collection` and `field` (the many side, holding the foreign "
        "key), `related_collection` (null for many-to-any), `meta` (one_field for the "
        "reverse alias, junction_field for many-to-many, one_allowed_collections and "
        "one_collection_field for many-to-any, sort_field, one_deselect_action) and "
        "optional `schema` (on_delete, on_update). update: `collection`, `field` and the "
        "`data` to change. delete: `collection` and `field`; the foreign key is dropped."
    ),
    input_schema=object_schema(
        {
            "action": action_schema(("create", "read", "update", "delete"), "What to do"),
            "collection": {
                "description": "The many side's collection (for create, update, delete)",
                "type": "string",
            },
            "field": {
                "description": "The many side's field (for create, update, delete)",
                "type": "string",
            },
            "data": {
                "description": "The relation (for create and update)",
                "type": "object",
                "properties": {
                    "collection": {"type": "string"},
                    "field": {"type": "string"},
                    "related_collection": nullable({"type": "string"}),
                    "schema": nullable(ANY_OBJECT),
                    "meta": nullable(ANY_OBJECT),
                },
                "required": ["collection", "field", "related_collection", "schema", "meta"],
                "additionalProperties": False,
            },
        },
        required=("action",),
    ),
    arguments=TypeAdapter(RelationsArgs),
    handler=run,
    raw_schema={
        "description": "A relation, or a list of relations",
        "anyOf": [{"type": "array"}, {"type": "object"}],
    },
    admin_only=True,
)
