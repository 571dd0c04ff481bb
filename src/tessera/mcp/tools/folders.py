"""``folders``: create, read, update and delete the folders files (and flows) are kept in.

Over the items service on ``directus_folders``, so the folder rules of every door apply
(a folder cannot become its own ancestor), with the caller's permissions and activity.
The shapes are Directus's: ``create`` takes one folder or a list and answers them read
back; ``read`` takes ``keys`` or a ``query``; ``update`` applies one ``data`` object to
``keys`` or to what ``query`` selects; ``delete`` takes ``keys`` and answers them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field, TypeAdapter
from typing_extensions import TypedDict

from tessera.mcp.arguments import (
    KEYS,
    QUERY_SCHEMA,
    QueryArgs,
    Strict,
    action_schema,
    object_schema,
)
from tessera.mcp.context import ToolContext
from tessera.mcp.narrowing import collection_actions
from tessera.mcp.registry import Tool

COLLECTION = "directus_folders"
_CONFIG = {"extra": "forbid", "strict": True}
Key = int | float | str


class Folder(TypedDict):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    id: NotRequired[int | str]
    name: str
    parent: NotRequired[str | None]
    type: NotRequired[Literal["files", "flows"]]


class FolderChange(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    name: str
    parent: str | None
    type: Literal["files", "flows"]


class Create(Strict):
    action: Literal["create"]
    data: Folder | list[Folder]
    query: QueryArgs | None = None


class Read(Strict):
    action: Literal["read"]
    keys: list[Key] | None = None
    query: QueryArgs | None = None


class Update(Strict):
    action: Literal["update"]
    data: FolderChange
    keys: list[Key] | None = None
    query: QueryArgs | None = None


class Delete(Strict):
    action: Literal["delete"]
    keys: list[Key]


FoldersArgs = Annotated[Create | Read | Update | Delete, Field(discriminator="action")]


def run(ctx: ToolContext, args: Create | Read | Update | Delete) -> Any:
    items = ctx.items()
    if isinstance(args, Delete):
        return items.delete_many(COLLECTION, args.keys)
    query = args.query.raw() if args.query else {}
    if isinstance(args, Create):
        data = args.data if isinstance(args.data, list) else [args.data]
        keys = items.create_many(COLLECTION, [dict(folder) for folder in data])
        return items.read_many(COLLECTION, keys, _fields_only(query))
    if isinstance(args, Update):
        if args.keys is not None:
            keys = items.update_many(COLLECTION, args.keys, dict(args.data))
        else:
            keys = items.update_by_query(COLLECTION, query, dict(args.data))
        return items.read_many(COLLECTION, keys, _fields_only(query))
    if args.keys is not None:
        return items.read_many(COLLECTION, args.keys, query)
    return items.read_by_query(COLLECTION, query).data


def granted(ctx: ToolContext) -> frozenset[str]:
    """The actions the caller's permissions allow on folders (all of them for admins)."""
    return collection_actions(ctx, COLLECTION)


def _fields_only(query: dict[str, Any]) -> dict[str, Any]:
    """A write's read-back: the written folders, with the fields the query names."""
    return {"fields": query["fields"]} if "fields" in query else {}


_FOLDER = {
    "type": "object",
    "properties": {
        "id": {"anyOf": [{"type": "number"}, {"type": "string"}]},
        "name": {"type": "string"},
        "parent": {"type": "string"},
        "type": {"type": "string", "enum": ["files", "flows"]},
    },
    "required": ["name"],
    "additionalProperties": False,
}

TOOL = Tool(
    name="folders",
    title="Folders",
    description=(
        "Folders that group files (type files, the default) or flows (type flows); a "
        "folder's `parent` is another folder's id, or none for the top level. create: "
        "`data`, one folder or a list. read: `keys`, or a `query`. update: `data` with "
        "what changes, for `keys` or what `query` selects. delete: `keys`; what was in "
        "the folder moves up to its parent."
    ),
    input_schema=object_schema(
        {
            "action": action_schema(("create", "read", "update", "delete"), "What to do"),
            "query": {"description": "Which folders and fields to read", **QUERY_SCHEMA},
            "keys": {"description": "The folders' ids", **KEYS},
            "data": {
                "description": "Folders (create) or the change (update)",
                "type": "array",
                "items": _FOLDER,
            },
        },
        required=("action",),
    ),
    arguments=TypeAdapter(FoldersArgs),
    handler=run,
    raw_schema={"description": "The folders, or the deleted ids", "type": "array"},
    granted=granted,
)
