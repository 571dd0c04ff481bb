"""``assets``: an image or a sound, as MCP content a model can see or hear.

Read as the assets route reads it (read permission on ``directus_files`` decides). As in
Directus, an image larger than 1200 pixels either way is sent scaled to 800 on its long
side (``fit: contain``, through the assets transformer, so the result is cached like any
transformation), and the content is labelled with the file's own type. Anything but an
image or a sound is UNSUPPORTED_MEDIA_TYPE; ``file-content`` reads documents.
"""

from __future__ import annotations

import base64
import contextlib
from typing import Any

import anyio.from_thread
from pydantic import TypeAdapter

from tessera.errors import ContentTooLargeError, UnsupportedMediaTypeError
from tessera.mcp.arguments import Strict, object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Content, Tool
from tessera.mcp.tools.files import readable
from tessera.services.assets.errors import IllegalAssetTransformationError

#: Past this many pixels on either side, an image is sent scaled down.
LARGEST_SENT = 1200
#: The long side of a scaled image.
SCALED_TO = 800
#: The most bytes sent in one answer (base64 makes them a third more).
MAX_BYTES = 10 * 1024 * 1024


class AssetArgs(Strict):
    id: str


def run(ctx: ToolContext, args: AssetArgs) -> Content:
    assets = ctx.assets()
    asset = anyio.from_thread.run(lambda: assets.get(args.id, {}))
    kind = str(asset.file.get("type") or "")
    if not kind.startswith(("image/", "audio/")):
        raise UnsupportedMediaTypeError(f'Unsupported media type "{kind}" in asset tool.')
    width, height = asset.file.get("width") or 0, asset.file.get("height") or 0
    if kind.startswith("image/") and max(width, height) > LARGEST_SENT:
        side = "width" if width >= height else "height"
        query = {side: str(SCALED_TO), "fit": "contain"}
        # A type Pillow cannot scale, or transformations turned off: the original is sent.
        with contextlib.suppress(IllegalAssetTransformationError):
            asset = anyio.from_thread.run(lambda: assets.get(args.id, query))
    data = anyio.from_thread.run(_read, asset)
    block = "image" if kind.startswith("image/") else "audio"
    encoded = base64.b64encode(data).decode()
    return Content([{"type": block, "data": encoded, "mimeType": kind}])


async def _read(asset: Any) -> bytes:
    if asset.size > MAX_BYTES:
        raise ContentTooLargeError(
            f"The asset is {asset.size} bytes; the assets tool sends at most {MAX_BYTES}"
        )
    kept = bytearray()
    async for chunk in asset.read():
        kept += chunk
    return bytes(kept)


TOOL = Tool(
    name="assets",
    title="Assets",
    description=(
        "See or hear a file by `id`: an image (scaled to 800 px when larger than 1200) or "
        "a sound, as content. For a document's text use file-content."
    ),
    input_schema=object_schema({"id": {"description": "The file's id", "type": "string"}}, ("id",)),
    arguments=TypeAdapter(AssetArgs),
    handler=run,
    raw_schema=None,
    read_only=True,
    available=readable,
)
