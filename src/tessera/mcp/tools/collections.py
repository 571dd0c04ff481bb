"""``collections`` (admins): create, read, update and delete collections.

Over :class:`~tessera.services.collections.CollectionsService`. Several collections in one
call are created, updated or deleted in one transaction: all of them, or none.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field, TypeAdapter
from typing_extensions import TypedDict

from tessera.mcp.arguments import (
    ANY_OBJECT,
    STRINGS,
    Strict,
    action_schema,
    nullable,
    object_schema,
)
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.mcp.tools.fields import FieldPayload, field_schema
from tessera.services.collections import CollectionsService

_CONFIG = {"extra": "forbid", "strict": True}


class EmptyObject(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]


class NewCollection(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    collection: str
    fields: NotRequired[list[FieldPayload]]
    meta: NotRequired[dict[str, Any] | None]
    schema: NotRequired[EmptyObject | None]


class CollectionChange(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    collection: str
    meta: NotRequired[dict[str, Any] | None]
    schema: NotRequired[EmptyObject | None]


class Create(Strict):
    action: Literal["create"]
    data: list[NewCollection]


class Read(Strict):
    action: Literal["read"]
    keys: list[str] | None = None


class Update(Strict):
    action: Literal["update"]
    data: list[CollectionChange]


class Delete(Strict):
    action: Literal["delete"]
    keys: list[str]


CollectionsArgs = Annotated[Create | Read | Update | Delete, Field(discriminator="action")]


def run(ctx: ToolContext, args: Create | Read | Update | Delete) -> Any:
    context = ctx.schema_context()
    service = CollectionsService(context)
    if isinstance(args, Read):
        if args.keys is None:
            return service.read_all()
        return [service.read_one(name) for name in args.keys]
    with context.transaction():
        if isinstance(args, Create):
            return [service.create(dict(payload)) for payload in args.data]
        if isinstance(args, Update):
            return [service.update(p["collection"], dict(p)) for p in args.data]
        for name in args.keys:
            service.delete(name)
        return args.keys


def url_path(_ctx: ToolContext, _args: Any, item: Any) -> tuple[object, ...] | None:
    return ("content", item["collection"]) if isinstance(item, dict) else None


_SCHEMA_KEY = {
    "description": "{} for a collection with a table; null for a folder that only groups others",
    **nullable({"type": "object", "properties": {}, "additionalProperties": False}),
}

TOOL = Tool(
    name="collections",
    title="Collections",
    description=(
        "Admins only. Create, read, update or delete collections. create: `data` lists "
        "collections, each with `collection` (its name), `schema` ({} for a table, null for "
        "a folder), optional `meta` (icon, note, hidden, singleton, sort_field, "
        "archive_field, group, ...) and optional `fields` (without a primary key one "
        "integer `id` is added). read: all, or `keys`. update: `data` lists `collection` "
        "with the `meta` to change. delete: `keys`; the table and its items are dropped. "
        "Several collections in one call change together or not at all."
    ),
    input_schema=object_schema(
        {
            "action": action_schema(("create", "read", "update", "delete"), "What to do"),
            "keys": STRINGS,
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "collection": {"type": "string"},
                        "fields": {"type": "array", "items": field_schema(type_required=True)},
                        "meta": nullable(ANY_OBJECT),
                        "schema": _SCHEMA_KEY,
                    },
                    "required": ["collection"],
                    "additionalProperties": False,
                },
            },
        },
        required=("action",),
    ),
    arguments=TypeAdapter(CollectionsArgs),
    handler=run,
    raw_schema={"description": "The collections; the names, for delete", "type": "array"},
    admin_only=True,
    url_path=url_path,
)
