"""What the tools over one system collection by key share (``flows``, ``operations``).

Directus gives them one shape: ``create`` with ``data`` answers the created item read back;
``read`` with an optional ``query``; ``update`` with ``key``, ``data`` and an optional
``query`` answers the item read back with that query; ``delete`` with ``key`` answers the
key. Everything runs through the items service on the system collection, as the
connected user, so the collection's own checks (a flow's rules on save, say), permissions
and activity are the same as through REST.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from tessera.mcp.arguments import QUERY_SCHEMA, QueryArgs, Strict, action_schema, object_schema
from tessera.mcp.context import ToolContext

ACTIONS = ("create", "read", "update", "delete")


def arguments(data: Any) -> TypeAdapter[Any]:
    """The four actions' arguments, with ``data`` of type ``data``."""

    class Create(Strict):
        action: Literal["create"]
        data: data

    class Read(Strict):
        action: Literal["read"]
        query: QueryArgs | None = None

    class Update(Strict):
        action: Literal["update"]
        key: str
        data: data
        query: QueryArgs | None = None

    class Delete(Strict):
        action: Literal["delete"]
        key: str

    union = Create | Read | Update | Delete
    return TypeAdapter(Annotated[union, Field(discriminator="action")])  # type: ignore[valid-type]


def input_schema(noun: str, data: dict[str, Any]) -> dict[str, Any]:
    return object_schema(
        {
            "action": action_schema(ACTIONS, "What to do"),
            "query": {"description": f"Which {noun}s and fields to read", **QUERY_SCHEMA},
            "data": {"description": f"The {noun} (for create and update)", **data},
            "key": {"description": f"The {noun}'s id (for update and delete)", "type": "string"},
        },
        required=("action",),
    )


def handler(collection: str) -> Callable[[ToolContext, Any], Any]:
    """The four actions over ``collection`` through the items service."""

    def run(ctx: ToolContext, args: Any) -> Any:
        items = ctx.items()
        query = args.query.raw() if getattr(args, "query", None) else {}
        if args.action == "create":
            return items.read_one(collection, items.create_one(collection, args.data))
        if args.action == "read":
            return items.read_by_query(collection, query).data
        if args.action == "update":
            return items.read_one(
                collection, items.update_one(collection, args.key, args.data), query
            )
        return items.delete_one(collection, args.key)

    return run
