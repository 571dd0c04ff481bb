"""The assets service: a file's bytes, or a transformed image of it, for one caller.

Read permission on ``directus_files`` decides access, through the items service, so row
rules (``uploaded_by = $CURRENT_USER``) apply; the files the project's settings show to
everyone (logo, backgrounds, favicon) are public. Whatever the caller may not read, or does
not exist, or has no blob in storage, is FORBIDDEN, as in Directus.

A transformation runs once per file version and parameters: its result is stored beside
the original (see :mod:`tessera.services.assets.variants`) and served from there after.
Pillow runs in a worker thread, at most ``ASSETS_TRANSFORM_MAX_CONCURRENT`` at a time in a
process (one more is answered 503, as Directus does), each given
``ASSETS_TRANSFORM_TIMEOUT``.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import IO, Any

import anyio
import anyio.to_thread
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.config import Settings, parse_duration
from tessera.db.engine import Database
from tessera.db.system_tables import directus_files, directus_settings
from tessera.errors import ForbiddenError, ServiceUnavailableError
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.assets.errors import IllegalAssetTransformationError
from tessera.services.assets.image import transform
from tessera.services.assets.operations import output_format, plan
from tessera.services.assets.params import (
    Transformation,
    requested_params,
    resolve_format,
    transformation,
)
from tessera.services.assets.presets import apply_policy
from tessera.services.assets.variants import CONTENT_TYPES, variant_hash, variant_key
from tessera.services.items import ItemsService
from tessera.storage import ObjectNotFound, StorageDriver, StorageError, StorageLocations

#: Types Directus transforms; other images (GIF, SVG …) are served as they are.
TRANSFORMABLE = frozenset({"image/jpeg", "image/png", "image/webp", "image/tiff", "image/avif"})
#: Settings columns naming files everyone may fetch, whatever their permissions.
PUBLIC_FILE_SETTINGS = ("project_logo", "public_background", "public_foreground", "public_favicon")
#: Originals up to this size are spooled in memory before Pillow reads them, larger on disk.
SPOOL_IN_MEMORY = 8 * 1024 * 1024


@dataclass(frozen=True)
class Asset:
    """What to send: a stored object (the original or a variant) and the file it is of."""

    file: dict[str, Any]
    driver: StorageDriver
    key: str
    size: int
    content_type: str | None
    #: The variant's digest; None for the original.
    variant: str | None
    #: Whether the answer depends on the Accept header (``format=auto``).
    by_accept: bool
    #: Whether the request asked for any transformation parameter (ranges are then ignored).
    transform_params: bool

    def read(self, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        return self.driver.read(self.key, offset, length)

    @property
    def modified(self) -> dt.datetime | None:
        return _aware(self.file.get("modified_on"))


class TransformSlots:
    """How many transformations run in this process; past the limit, 503 at once.

    A timed-out transformation keeps its slot until its thread really ends, so abandoned
    work still counts against the limit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        #: Transformations started since the process began (tests observe the cache with it).
        self.started = 0

    def take(self, limit: int) -> None:
        with self._lock:
            if self.running >= limit:
                raise ServiceUnavailableError(
                    'Service "files" is unavailable. Server too busy.',
                    service="files",
                    reason="Server too busy",
                )
            self.running += 1
            self.started += 1

    def give_back(self) -> None:
        with self._lock:
            self.running -= 1


SLOTS = TransformSlots()


@dataclass
class AssetsService:
    db: Database
    schema: SchemaCache
    settings: Settings
    storage: StorageLocations
    accountability: Accountability | None = None
    cache: AccessCache = field(default_factory=AccessCache)

    async def get(self, file_id: str, query: Mapping[str, str], accept: str | None = None) -> Asset:
        """The asset ``query`` asks for: the original, or a variant made now or before."""
        requested = requested_params(query, self.settings.assets_transform_max_operations)
        policy, presets = await anyio.to_thread.run_sync(self._asset_settings)
        params = apply_policy(requested, policy, presets)
        wanted = transformation(params)
        file = await anyio.to_thread.run_sync(self._readable_file, file_id)
        driver = self.storage[file["storage"]]
        original = await _stat(driver, file["filename_disk"])
        by_accept = wanted.format == "auto"
        asset = functools.partial(
            Asset, file, driver, by_accept=by_accept, transform_params=bool(requested)
        )
        kind = file.get("type") or ""
        if wanted.is_empty or (kind.startswith("image/") and kind not in TRANSFORMABLE):
            return asset(file["filename_disk"], original, kind or None, None)
        if not kind.startswith("image/"):
            raise IllegalAssetTransformationError(
                sorted(requested), f'a file of type "{kind or "unknown"}" is no image to transform'
            )
        fmt = resolve_format(wanted.format, accept, kind)
        focal = _focal_point(wanted, file)
        normalised = {**asdict(wanted), "format": fmt, "focal": focal}
        digest = variant_hash(normalised, f"{file['filesize']}:{file.get('modified_on')}")
        named = output_format([*wanted.transforms, ("toFormat", fmt)] if fmt else wanted.transforms)
        key = variant_key(file["filename_disk"], digest, named)
        content_type = CONTENT_TYPES.get(named, kind) if named else kind
        try:
            size = (await driver.stat(key)).size
        except ObjectNotFound:
            size = await self._make(driver, file, key, wanted, fmt, focal)
        return asset(key, size, content_type, digest)

    # --- access ----------------------------------------------------------------------------

    def _asset_settings(self) -> tuple[str | None, list[Any] | None]:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(
                    directus_settings.c.storage_asset_transform,
                    directus_settings.c.storage_asset_presets,
                ).limit(1)
            ).first()
        if row is None:
            return None, None
        presets = row.storage_asset_presets
        return row.storage_asset_transform, presets if isinstance(presets, list) else None

    def _readable_file(self, file_id: str) -> dict[str, Any]:
        """The file's row when the caller may read it; FORBIDDEN otherwise."""
        try:
            key = str(uuid.UUID(file_id))
        except ValueError:
            raise ForbiddenError() from None
        caller = self.accountability
        if caller is not None and not caller.admin and key not in self._public_files():
            items = ItemsService(self.db, self.schema, self.settings, caller, cache=self.cache)
            items.read_one("directus_files", key, {"fields": ["id"]})
        with self.db.read() as conn:
            row = conn.execute(sa.select(directus_files).where(directus_files.c.id == key)).first()
        if row is None or not row.filename_disk:
            raise ForbiddenError()
        return dict(row._mapping)

    def _public_files(self) -> set[str]:
        columns = [directus_settings.c[name] for name in PUBLIC_FILE_SETTINGS]
        with self.db.read() as conn:
            row = conn.execute(sa.select(*columns).limit(1)).first()
        return {str(value) for value in (row or ()) if value}

    # --- transformation --------------------------------------------------------------------

    async def _make(
        self,
        driver: StorageDriver,
        file: dict[str, Any],
        key: str,
        wanted: Transformation,
        fmt: str | None,
        focal: tuple[float, float] | None,
    ) -> int:
        """Transform the original, store the result under ``key``; its size."""
        settings = self.settings
        limit = settings.assets_transform_image_max_dimension
        width, height = file.get("width"), file.get("height")
        if (width and width > limit) or (height and height > limit):
            raise IllegalAssetTransformationError(
                ["width", "height"],
                f"the image is {width}x{height} pixels; images over {limit} pixels "
                "wide or high are not transformed",
            )
        source_format = (file.get("type") or "").partition("/")[2] or None

        def planner(size: tuple[int, int]) -> list[tuple[Any, ...]]:
            return plan(
                wanted.transforms,
                source=size,
                width=wanted.width,
                height=wanted.height,
                fit=wanted.fit,
                without_enlargement=wanted.without_enlargement,
                focal_point=focal,
                output_format=fmt,
                quality=wanted.quality,
            )

        SLOTS.take(settings.assets_transform_max_concurrent)
        released = False
        try:
            with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as spool:
                await _spool(driver, file["filename_disk"], spool)

                def run() -> bytes:
                    try:
                        spool.seek(0)
                        return transform(
                            spool,  # type: ignore[arg-type]
                            planner,
                            source_format=source_format,
                            max_dimension=limit,
                            max_output=settings.assets_transform_image_max_output_dimension,
                        )
                    finally:
                        SLOTS.give_back()

                released = True
                timeout = parse_duration(settings.assets_transform_timeout).total_seconds()
                try:
                    with anyio.fail_after(timeout):
                        output = await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
                except TimeoutError:
                    raise ServiceUnavailableError(
                        'Service "assets" is unavailable. Transformation timed out.',
                        service="assets",
                        reason="Transformation timed out",
                    ) from None
        finally:
            if not released:
                SLOTS.give_back()
        written = await driver.write(key, _once(output), content_type=CONTENT_TYPES.get(fmt or ""))
        return written.size


def _focal_point(wanted: Transformation, file: Mapping[str, Any]) -> tuple[float, float] | None:
    """The request's focal point, else the file's; None unless both coordinates are known."""
    x = wanted.focal_point_x if wanted.focal_point_x is not None else file.get("focal_point_x")
    y = wanted.focal_point_y if wanted.focal_point_y is not None else file.get("focal_point_y")
    return None if x is None or y is None else (x, y)


async def _stat(driver: StorageDriver, key: str) -> int:
    try:
        return (await driver.stat(key)).size
    except ObjectNotFound:
        raise ForbiddenError() from None
    except StorageError as exc:
        raise ServiceUnavailableError(
            'Service "assets" is unavailable. Couldn\'t reach the storage location.',
            service="assets",
            reason="Couldn't reach the storage location",
        ) from exc


async def _spool(driver: StorageDriver, key: str, spool: IO[bytes]) -> None:
    async for chunk in driver.read(key):
        await anyio.to_thread.run_sync(spool.write, chunk)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _aware(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
