"""``fields`` (admins): create, read, update and delete the fields of a collection.

Over :class:`~tessera.services.fields.FieldsService`. Several fields in one call are
created or updated in one transaction: all of them, or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field, TypeAdapter
from typing_extensions import TypedDict

from tessera.mcp.arguments import ANY_OBJECT, Strict, action_schema, nullable, object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.services.fields import FieldsService

_CONFIG = {"extra": "forbid", "strict": True}


class FieldChange(TypedDict):
    """A field as create and update take it; create also needs ``type``."""

    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    field: str
    type: NotRequired[str | None]
    name: NotRequired[str]
    collection: NotRequired[str]
    schema: NotRequired[dict[str, Any] | None]
    meta: NotRequired[dict[str, Any] | None]
    children: NotRequired[list[dict[str, Any]] | None]


class FieldPayload(FieldChange):
    """A new field: ``type`` is required (null for an alias group)."""

    type: str | None  # type: ignore[misc]


class Create(Strict):
    action: Literal["create"]
    collection: str
    data: FieldPayload | list[FieldPayload]


class Read(Strict):
    action: Literal["read"]
    collection: str | None = None
    field: str | None = None


class Update(Strict):
    action: Literal["update"]
    collection: str
    data: list[FieldChange]


class Delete(Strict):
    action: Literal["delete"]
    collection: str
    field: str


FieldsArgs = Annotated[Create | Read | Update | Delete, Field(discriminator="action")]


def run(ctx: ToolContext, args: Create | Read | Update | Delete) -> Any:
    context = ctx.schema_context()
    service = FieldsService(context)
    if isinstance(args, Read):
        if args.collection is not None and args.field is not None:
            return service.read_one(args.collection, args.field)
        return service.read_all(args.collection)
    if isinstance(args, Delete):
        service.delete(args.collection, args.field)
        return {"collection": args.collection, "field": args.field}
    with context.transaction():
        if isinstance(args, Create):
            given = args.data if isinstance(args.data, list) else [args.data]
            return [service.create(args.collection, _payload(one)) for one in given]
        return [service.update(args.collection, one["field"], _payload(one)) for one in args.data]


def _payload(field: Mapping[str, Any]) -> dict[str, Any]:
    """The service's payload; a null ``type`` means "unchanged" (or an alias, on create)."""
    payload = {key: value for key, value in field.items() if key != "collection"}
    if payload.get("type") is None:
        payload.pop("type", None)
    return payload


def field_schema(*, type_required: bool) -> dict[str, Any]:
    """A field object in an input schema (``collections`` nests it too)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "field": {"type": "string"},
            "type": {"type": "string"} if type_required else nullable({"type": "string"}),
            "name": {"type": "string"},
            "children": nullable({"type": "array", "items": ANY_OBJECT}),
            "collection": {"type": "string"},
            "schema": nullable(ANY_OBJECT),
            "meta": nullable(ANY_OBJECT),
        },
        "required": ["field", "type"] if type_required else ["field"],
        "additionalProperties": False,
    }
    return schema


TOOL = Tool(
    name="fields",
    title="Fields",
    description=(
        "Admins only. Create, read, update or delete fields. read: one (`collection` and "
        "`field`), a collection's (`collection`), or all. create: `collection` and `data`, "
        "a field or a list, each with `field`, `type` (string, text, integer, bigInteger, "
        "float, decimal, boolean, date, dateTime, time, timestamp, json, csv, uuid, hash, "
        "alias; null for an alias group), optional `schema` (default_value, max_length, "
        "is_nullable, is_unique, is_indexed, numeric_precision, numeric_scale) and `meta` "
        "(interface, options, special, note, required, readonly, hidden, width, ...). "
        "update: `collection` and `data`, a list of fields named by `field` with what "
        "changes. delete: `collection` and `field`; the column and its values are dropped."
    ),
    input_schema=object_schema(
        {
            "action": action_schema(("read", "create", "update", "delete"), "What to do"),
            "collection": {"description": "The collection's name", "type": "string"},
            "field": {
                "description": "The field's name, for read (one field) and delete",
                "type": "string",
            },
            "data": {
                "description": "The fields to create or update, each named by `field`",
                "type": "array",
                "items": field_schema(type_required=False),
            },
        },
        required=("action",),
    ),
    arguments=TypeAdapter(FieldsArgs),
    handler=run,
    raw_schema={
        "description": "A field, or a list of fields",
        "anyOf": [{"type": "array"}, {"type": "object"}],
    },
    admin_only=True,
)
