"""``items``: create, read, update and delete the items of one collection.

A thin layer over :class:`~tessera.services.items.ItemsService`, as the REST routes are:
permissions, validation, presets, nested writes and activity all happen there. Writes
answer with the written items re-read with the call's ``query``; when the caller may not
read them back, with their keys (Directus fails the whole call after writing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from tessera.errors import ForbiddenError, InvalidPayloadError
from tessera.mcp.arguments import (
    ANY_OBJECT,
    KEYS,
    QUERY_SCHEMA,
    QueryArgs,
    Strict,
    action_schema,
    object_schema,
)
from tessera.mcp.context import ToolContext
from tessera.mcp.narrowing import item_actions
from tessera.mcp.registry import Page, Tool
from tessera.services.items import ItemsService

Key = int | float | str
Item = dict[str, Any]
#: What in a write's ``query`` chose the items; the read-back takes the written keys instead
#: (Directus applies the filter again, so an update that changes the filtered field
#: answers with nothing).
SELECTING = frozenset({"filter", "search", "limit", "offset", "page"})


class _Collection(Strict):
    collection: str
    query: QueryArgs | None = None

    def raw_query(self) -> dict[str, Any]:
        return self.query.raw() if self.query else {}


class Create(_Collection):
    action: Literal["create"]
    data: Item | list[Item]


class Read(_Collection):
    action: Literal["read"]
    keys: list[Key] | None = None


class Update(_Collection):
    action: Literal["update"]
    data: Item | list[Item]
    keys: list[Key] | None = None


class Delete(Strict):
    action: Literal["delete"]
    collection: str
    keys: list[Key]


ItemsArgs = Annotated[Create | Read | Update | Delete, Field(discriminator="action")]


def run(ctx: ToolContext, args: Create | Read | Update | Delete) -> Any:
    if args.collection.startswith("directus_"):
        raise InvalidPayloadError("Cannot provide a core collection")
    items = ctx.items()
    if isinstance(args, Delete):
        return items.delete_many(args.collection, args.keys)
    collection, query = args.collection, args.raw_query()
    singleton = items.is_singleton(collection)
    if isinstance(args, Read):
        if singleton:
            return items.read_singleton(collection, query)
        if args.keys is not None:
            return items.read_many(collection, args.keys, query)
        return _read_page(items, collection, query)
    if singleton:
        if not isinstance(args.data, dict):
            raise InvalidPayloadError('"data" must be an object on a singleton')
        items.upsert_singleton(collection, args.data)
        return _read_back(lambda: items.read_singleton(collection, query), None)
    keys = _create(items, args) if isinstance(args, Create) else _update(items, args)
    shown = {name: value for name, value in query.items() if name not in SELECTING}
    return _read_back(lambda: items.read_many(collection, keys, shown), keys)


def _read_page(items: ItemsService, collection: str, raw: dict[str, Any]) -> list[Any] | Page:
    """A query's items; a :class:`Page` with the next page's query when more are left.

    One item past the limit is read to know; aggregates are answered whole.
    """
    query = items.query(raw)
    if query.limit is None or query.aggregate or query.group_by:
        return items.read_by_query(collection, query).data
    found = items.read_by_query(collection, replace(query, limit=query.limit + 1)).data
    if len(found) <= query.limit:
        return found
    if query.page is not None:
        return Page(found[: query.limit], {"page": query.page + 1, "limit": query.limit})
    return Page(found[: query.limit], {"offset": query.offset + query.limit, "limit": query.limit})


def _create(items: ItemsService, args: Create) -> list[Any]:
    data = args.data if isinstance(args.data, list) else [args.data]
    return items.create_many(args.collection, data)


def _update(items: ItemsService, args: Update) -> list[Any]:
    if isinstance(args.data, list):
        return items.update_batch(args.collection, args.data)
    if args.keys is not None:
        return items.update_many(args.collection, args.keys, args.data)
    if args.query is not None:
        return items.update_by_query(args.collection, args.raw_query(), args.data)
    # Directus would update the first QUERY_LIMIT_DEFAULT items here; naming them is safer.
    raise InvalidPayloadError('"keys" or "query" is required to update with one "data" object')


def _read_back(read: Callable[[], Any], keys: Sequence[Any] | None) -> Any:
    try:
        return read()
    except ForbiddenError:
        return list(keys) if keys is not None else None


def url_path(ctx: ToolContext, args: Any, item: Any) -> tuple[object, ...] | None:
    if not isinstance(item, dict):
        return None
    info = ctx.schema.get().collections.get(args.collection)
    primary = info.primary if info else None
    if primary is None or item.get(primary) is None:
        return None
    return ("content", args.collection, item[primary])


TOOL = Tool(
    name="items",
    title="Items",
    description=(
        "Create, read, update or delete items of one collection, with the connected user's "
        "permissions. read: `keys` for those items, else `query` (fields, filter, sort, "
        "limit (default 100), offset, page, search, aggregate with groupBy, deep, alias); "
        "when more items match than the limit, the result says `truncated` and gives "
        "`next`, the offset (or page) and limit that read on. "
        "create: `data` is an item or a list of items; related items may be nested. "
        "update: `data` with `keys` or `query` (the same values for each item), or a list "
        "of items that each carry their primary key. On a singleton, `data` is the item and "
        "read needs no keys. delete: `keys`. Writes answer with the items as `query` reads "
        "them. System collections (directus_*) have tools of their own."
    ),
    input_schema=object_schema(
        {
            "action": action_schema(("create", "read", "update", "delete"), "What to do"),
            "collection": {"description": "The collection's name", "type": "string"},
            "query": QUERY_SCHEMA,
            "keys": KEYS,
            "data": {
                "description": "An item, or a list of items",
                "anyOf": [{"type": "array", "items": ANY_OBJECT}, ANY_OBJECT],
            },
        },
        required=("action", "collection"),
    ),
    arguments=TypeAdapter(ItemsArgs),
    handler=run,
    raw_schema={
        "description": "The items (an object for a singleton); the keys, for delete",
        "anyOf": [{"type": "array"}, {"type": "object"}, {"type": "null"}],
    },
    url_path=url_path,
    granted=item_actions,
)
