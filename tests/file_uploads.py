"""Content for upload tests: small images, chunked streams, a stream that breaks off."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

from PIL import Image

from tessera.services.outbound import AddressGuard, Outbound

#: Lets the tests' own loopback servers be fetched: nothing denied.
OPEN = Outbound(AddressGuard.parse("", deny_internal=False), timeout=5)


def jpeg(size: tuple[int, int] = (40, 30), **exif_tags: Any) -> bytes:
    """A small JPEG, with EXIF tags by number when given."""
    picture = Image.new("RGB", size, "red")
    exif = Image.Exif()
    for tag, value in exif_tags.items():
        exif[int(tag.removeprefix("t"), 16)] = value
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (5, 7)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size).save(out, "PNG")
    return out.getvalue()


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def failing(data: bytes, after: int) -> AsyncIterator[bytes]:
    """``data`` in 1 KiB chunks, then a failure once ``after`` bytes went out."""
    sent = 0
    for start in range(0, len(data), 1024):
        if sent >= after:
            raise ConnectionResetError("the client went away")
        piece = data[start : start + 1024]
        sent += len(piece)
        yield piece
