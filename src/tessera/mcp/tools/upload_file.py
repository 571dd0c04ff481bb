"""``upload-file``: store a file an assistant holds, sent as base64 (Tessera's own tool).

Directus's tools can only import files from URLs; an assistant that made or was handed a
file (a chart, a CSV, a note) has no URL to give. The content comes base64-encoded in the
call and goes through the files service as an upload through REST does: the type sniffed
from the content and checked against ``FILES_MIME_TYPE_ALLOW_LIST``, the size against
``FILES_MAX_UPLOAD_SIZE``, the caller's create permission, all or nothing. A call is at
most about 3 MB of content: the ``/mcp`` body limit is 4 MB, and base64 adds a third.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from typing import Any

import anyio.from_thread
from pydantic import TypeAdapter

from tessera.errors import InvalidPayloadError
from tessera.mcp.arguments import Strict, object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.mcp.tools.files import FileData, granted
from tessera.services.files.service import FILES

#: The size of the pieces the decoded content is handed to storage in.
CHUNK = 256 * 1024


class UploadArgs(Strict):
    filename: str
    content: str
    data: FileData | None = None


def run(ctx: ToolContext, args: UploadArgs) -> Any:
    try:
        content = base64.b64decode(args.content, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPayloadError('"content" must be base64') from None

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), CHUNK):
            yield content[start : start + CHUNK]

    files = ctx.files()
    data = dict(args.data or {})
    key = anyio.from_thread.run(lambda: files.upload(chunks(), data, filename=args.filename))
    return files.items().read_one(FILES, key)


def available(ctx: ToolContext) -> bool:
    return "create" in granted(ctx)


TOOL = Tool(
    name="upload-file",
    title="Upload file",
    description=(
        "Store a new file from content you hold: `filename` (its extension helps when the "
        "type cannot be told from the content), `content` base64-encoded, at most about "
        "3 MB, and optional `data` for its record (title, description, folder, tags). "
        "For a file on the web use files with action import. Answers the file's record."
    ),
    input_schema=object_schema(
        {
            "filename": {"description": "The file's name, with its extension", "type": "string"},
            "content": {"description": "The file's bytes, base64-encoded", "type": "string"},
            "data": {"description": "Fields of the file's record", "type": "object"},
        },
        required=("filename", "content"),
    ),
    arguments=TypeAdapter(UploadArgs),
    handler=run,
    raw_schema={"description": "The new file's record", "type": "object"},
    read_only=False,
    destructive=False,
    available=available,
)
