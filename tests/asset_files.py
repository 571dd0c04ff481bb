"""Files for the asset tests: a blob written with a storage driver and its directus_files row.

The files service is not what these tests exercise, so they store files the way it leaves
them: ``<id>.<ext>`` in the location, and a row saying what it is.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import sqlalchemy as sa
from PIL import Image

from tessera.db import Database
from tessera.db.system_tables import directus_files
from tessera.storage import StorageDriver


def image_bytes(
    size: tuple[int, int] = (400, 300), fmt: str = "JPEG", mode: str = "RGB", **save: Any
) -> bytes:
    """An image with a gradient and a red square in its top-left quarter, so crops differ."""
    width, height = size
    picture = Image.linear_gradient("L").resize(size).convert(mode)
    picture.paste((255, 0, 0) if mode.startswith("RGB") else 128, (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    picture.save(out, fmt, **save)
    return out.getvalue()


async def _chunks(data: bytes):
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]
    if not data:
        yield b""


async def store_file(
    db: Database,
    driver: StorageDriver,
    data: bytes,
    *,
    type: str = "image/jpeg",
    ext: str = "jpg",
    filename_download: str | None = None,
    location: str = "local",
    **row: Any,
) -> str:
    """Write ``data`` under ``<id>.<ext>`` and insert its row; the new file's id."""
    file_id = str(uuid.uuid4())
    key = f"{file_id}.{ext}"
    await driver.write(key, _chunks(data), content_type=type)
    if type.startswith("image/") and "width" not in row:
        try:
            with Image.open(io.BytesIO(data)) as picture:
                row.setdefault("width", picture.width)
                row.setdefault("height", picture.height)
        except OSError:
            pass
    with db.write() as conn:
        conn.execute(
            sa.insert(directus_files).values(
                id=file_id,
                storage=location,
                filename_disk=key,
                filename_download=filename_download or f"picture.{ext}",
                type=type,
                filesize=len(data),
                **row,
            )
        )
    return file_id
