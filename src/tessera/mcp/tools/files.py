"""``files``: read, update and delete files' records, and import files from URLs.

Over the files service, as every door: reads are items reads of ``directus_files`` with
the caller's permissions; an update changes a file's record (never where its blob is); a
delete removes the records and then the blobs and their transformed variants; an import
fetches each URL through the SSRF guard and stores it whole or not at all. Directus's
shapes: ``read`` with ``keys`` or a ``query``; ``update`` with one ``data`` object for
``keys`` or for what ``query`` selects; ``delete`` with ``keys``; ``import`` with
``data`` a list of ``{url, file}``, answering the new ids.

Uploading content an assistant holds is the ``upload-file`` tool's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.from_thread
from pydantic import Field, TypeAdapter
from typing_extensions import TypedDict

from tessera.mcp.arguments import (
    KEYS,
    QUERY_SCHEMA,
    QueryArgs,
    Strict,
    action_schema,
    nullable,
    object_schema,
)
from tessera.mcp.context import ToolContext
from tessera.mcp.narrowing import collection_actions
from tessera.mcp.registry import Tool
from tessera.services.files.service import FILES

Key = int | float | str
_CONFIG = {"extra": "forbid", "strict": True}


class FileData(TypedDict, total=False):
    """A file's record as Directus's tool takes it (all optional)."""

    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    id: str
    storage: str
    filename_disk: str
    filename_download: str
    title: str | None
    type: str | None
    folder: str | None
    created_on: str
    uploaded_by: str | None
    uploaded_on: str | None
    modified_by: str | None
    modified_on: str
    charset: str | None
    filesize: int | float
    width: int | float | None
    height: int | float | None
    duration: int | float | None
    embed: str | None
    description: str | None
    location: str | None
    tags: str | list[str] | None
    metadata: dict[str, Any] | None
    focal_point_x: int | float | None
    focal_point_y: int | float | None
    tus_id: str | None
    tus_data: dict[str, Any] | None


class Imported(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    url: str
    file: FileData


class Read(Strict):
    action: Literal["read"]
    keys: list[Key] | None = None
    query: QueryArgs | None = None


class Update(Strict):
    action: Literal["update"]
    data: FileData
    keys: list[Key] | None = None
    query: QueryArgs | None = None


class Delete(Strict):
    action: Literal["delete"]
    keys: list[Key]


class Import(Strict):
    action: Literal["import"]
    data: list[Imported]


FilesArgs = Annotated[Read | Update | Delete | Import, Field(discriminator="action")]


def run(ctx: ToolContext, args: Read | Update | Delete | Import) -> Any:
    files = ctx.files()
    if isinstance(args, Import):
        return [anyio.from_thread.run(_import, files, entry) for entry in args.data]
    if isinstance(args, Delete):
        return anyio.from_thread.run(files.delete_many, args.keys)
    query = args.query.raw() if args.query else {}
    items = files.items()
    if isinstance(args, Update):
        change = dict(args.data)
        if args.keys is not None:
            keys = anyio.from_thread.run(files.update_many, args.keys, change)
        else:
            keys = anyio.from_thread.run(files.update_by_query, query, change)
        fields = {"fields": query["fields"]} if "fields" in query else {}
        return items.read_many(FILES, keys, fields)
    if args.keys is not None:
        return items.read_many(FILES, args.keys, query)
    return items.read_by_query(FILES, query).data


async def _import(files: Any, entry: Imported) -> str:
    return await files.import_url(entry.get("url"), dict(entry.get("file") or {}))


def granted(ctx: ToolContext) -> frozenset[str]:
    """The actions the caller's permissions on files allow (import needs create)."""
    allowed = collection_actions(ctx, FILES)
    return allowed | {"import"} if "create" in allowed else allowed


def readable(ctx: ToolContext) -> bool:
    """Whether the caller may read some file (the tools that fetch content need it)."""
    return "read" in granted(ctx)


def url_path(_ctx: ToolContext, args: Any, item: Any) -> tuple[object, ...] | None:
    """The one file's page: its id from the answer, or the one key asked for."""
    if isinstance(item, dict) and "id" in item:
        return ("files", item["id"])
    if isinstance(item, str):
        return ("files", item)
    keys = getattr(args, "keys", None)
    return ("files", keys[0]) if keys and len(keys) == 1 else None


_TEXT = {"type": "string"}
_NUMBER = {"type": "number"}
_OBJECT = {"type": "object", "propertyNames": {"type": "string"}, "additionalProperties": {}}
#: The file record's properties in the order Directus's tool lists them.
_FILE_PROPERTIES: dict[str, Any] = {
    "id": _TEXT,
    "storage": _TEXT,
    "filename_disk": _TEXT,
    "filename_download": _TEXT,
    "type": nullable(_TEXT),
    "folder": nullable(_TEXT),
    "created_on": _TEXT,
    "uploaded_by": nullable(_TEXT),
    "uploaded_on": nullable(_TEXT),
    "modified_by": nullable(_TEXT),
    "modified_on": _TEXT,
    "charset": nullable(_TEXT),
    "filesize": _NUMBER,
    "width": nullable(_NUMBER),
    "height": nullable(_NUMBER),
    "duration": nullable(_NUMBER),
    "embed": nullable(_TEXT),
    "location": nullable(_TEXT),
    "tags": nullable(_TEXT),
    "metadata": nullable(_OBJECT),
    "focal_point_x": nullable(_NUMBER),
    "focal_point_y": nullable(_NUMBER),
    "tus_id": nullable(_TEXT),
    "tus_data": nullable(_OBJECT),
}


def _entry() -> dict[str, Any]:
    """One ``data`` entry: a file's record, and for imports ``url`` and ``file``."""
    file = {"type": "object", "properties": _FILE_PROPERTIES, "additionalProperties": False}
    properties = {**_FILE_PROPERTIES, "url": _TEXT, "file": file}
    return {"type": "object", "properties": properties, "additionalProperties": False}


TOOL = Tool(
    name="files",
    title="Files",
    description=(
        "Files' records (the content itself: assets or file-content; new content: "
        "upload-file). read: `keys`, or a `query` on fields such as title, type, "
        "filesize, width, height, folder, uploaded_on, tags. update: `data` with the "
        "fields to change (title, description, folder, tags as a list, focal_point_x/y, "
        "filename_download…) for `keys` or what `query` selects. delete: `keys`; the "
        "content goes too. import: `data` a list of {url, file}: each URL is fetched and "
        "stored as a new file with the `file` fields; answers the new ids."
    ),
    input_schema=object_schema(
        {
            "action": action_schema(("read", "update", "delete", "import"), "What to do"),
            "query": {"description": "Which files and fields to read", **QUERY_SCHEMA},
            "keys": {"description": "The files' ids", **KEYS},
            "data": {
                "description": "The change (update) or the URLs to import (import)",
                "anyOf": [{"type": "array", "items": _entry()}, _entry()],
            },
        },
        required=("action",),
    ),
    arguments=TypeAdapter(FilesArgs),
    handler=run,
    raw_schema={"description": "The files, or their ids", "type": "array"},
    url_path=url_path,
    granted=granted,
)
