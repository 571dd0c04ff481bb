"""The files service: a file's row in ``directus_files`` and its blob in storage, together.

Every door (REST, MCP) uploads, imports, replaces and deletes files through here, with the
caller's accountability; reads go through the items service like any collection's.

All or nothing. A new upload streams to a temporary key; only once the blob is complete
is the row written, through the items service with the caller's create permission (and
its activity), the values read from the content (size, dimensions, metadata) added in the
same transaction, and the blob moved to ``<id>.<ext>`` before that transaction commits.
Whatever fails — the size cap, a type not allowed, the stream breaking off, storage, a
permission, the database — the blob is removed before the error goes on, so no row points
at nothing and no blob is left without a row. A replacement streams to a temporary key beside the
old blob; the old blob and its transformed variants go only once the new row values are
committed, and the new blob then takes the file's key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import posixpath
import uuid
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.system_tables import directus_files, directus_settings
from tessera.errors import (
    ExternalServiceError,
    ForbiddenError,
    InvalidPayloadError,
    TesseraError,
)
from tessera.query.model import FieldRef, Query
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.assets.variants import variant_prefix
from tessera.services.files.media import is_timed, read_duration
from tessera.services.files.metadata import IMAGE_TYPES, ImageFacts, read_image
from tessera.services.files.mime import SNIFF_BYTES, extension_of, is_allowed, sniff
from tessera.services.files.stream import Incoming
from tessera.services.files.titles import format_title
from tessera.services.item_writes import Writer, writing
from tessera.services.items import ItemsService
from tessera.services.outbound import Outbound, OutboundRefused
from tessera.storage import (
    InvalidKey,
    StorageDriver,
    StorageError,
    StorageLocations,
    UnknownLocation,
)
from tessera.storage.keys import check_key

if TYPE_CHECKING:
    from tessera.services.flows.events import Emitter

log = logging.getLogger("tessera.files")

FILES = "directus_files"
#: Set by the service from what it stored, whatever the payload says.
_DERIVED = ("filename_disk", "filesize", "uploaded_on", "type")
_T = TypeVar("_T")


@dataclass
class FilesService:
    db: Database
    schema: SchemaCache
    settings: Settings
    storage: StorageLocations
    accountability: Accountability | None = None
    cache: AccessCache = field(default_factory=AccessCache)
    #: How imports reach out; from the settings when None.
    outbound: Outbound | None = None
    #: Where event flows are fired: ``files.upload`` after an upload, and the items events
    #: of metadata updates and deletes; None fires none.
    events: Emitter | None = None

    def items(self, *, events: bool = True) -> ItemsService:
        """The items service of this caller, for reads and plain row writes (an upload's
        own row writes fire no items events, as in Directus: it fires ``files.upload``)."""
        return ItemsService(
            self.db,
            self.schema,
            self.settings,
            self.accountability,
            cache=self.cache,
            events=self.events if events else None,
        )

    # --- uploads ------------------------------------------------------------------------

    async def upload(
        self,
        chunks: AsyncIterable[bytes],
        data: Mapping[str, Any] | None = None,
        *,
        filename: str,
        declared_type: str | None = None,
        key: Any = None,
    ) -> str:
        """Store a new file (or, with ``key``, new content for that file); its id.

        ``data`` holds the row's values (title, folder, storage …); ``filename`` is the
        uploaded file's name and ``declared_type`` the type the client gave, used only
        when the content has no recognisable signature.
        """
        values = _payload(data)
        if not filename:
            raise InvalidPayloadError("File is missing filename")
        if key is not None:
            return await self._replace(key, chunks, values, filename, declared_type)
        await self._run(lambda: self._check_may("create"))
        if values.get("id") is not None:
            values["id"] = _checked_id(values["id"])
        location = values.get("storage") or self.storage.default_name
        driver = self._driver(location)
        incoming = Incoming(chunks, self.settings.files_max_upload_bytes)
        mime_type = await self._sniffed(incoming, declared_type, filename)
        values["filename_download"] = values.get("filename_download") or filename
        extension = _extension(values["filename_download"], mime_type)
        temporary = f"temp_{uuid.uuid4().hex}{extension}"
        placed: list[str] = []
        try:
            facts, size = await self._store(driver, temporary, incoming, mime_type)
            if "title" not in values:
                values["title"] = (facts and facts.title) or format_title(_stem(filename))
            created = {**values, "storage": location, "type": mime_type}
            derived = self._derived(size, facts, values)
            return await self._run(
                lambda: self._create_row(created, derived, driver, temporary, extension, placed)
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                for stored in (temporary, *placed):
                    await _forget(driver, stored)
            raise

    async def _replace(
        self,
        key: Any,
        chunks: AsyncIterable[bytes],
        values: dict[str, Any],
        filename: str,
        declared_type: str | None,
    ) -> str:
        await self._run(lambda: self._check_may("update"))
        old = await self._run(lambda: self._row(key))
        file_id = str(old["id"])
        location = values.get("storage") or old["storage"]
        driver = self._driver(location)
        incoming = Incoming(chunks, self.settings.files_max_upload_bytes)
        mime_type = await self._sniffed(incoming, declared_type, filename)
        values.pop("id", None)
        values["filename_download"] = values.get("filename_download") or filename
        disk = file_id + _extension(values["filename_download"], mime_type)
        temporary = f"temp_{uuid.uuid4().hex}_{disk}"
        try:
            facts, size = await self._store(driver, temporary, incoming, mime_type)
            if facts and facts.title and "title" not in values:
                values["title"] = facts.title
            changed = {**values, "storage": location, "type": mime_type}
            derived = {"filename_disk": disk, **self._derived(size, facts, values, replacing=True)}
            await self._run(lambda: self._update_row(file_id, changed, derived))
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _forget(driver, temporary)
            raise
        with anyio.CancelScope(shield=True):
            await self._swap(old, location, temporary, disk)
        return file_id

    async def _sniffed(self, incoming: Incoming, declared: str | None, filename: str) -> str:
        mime_type = sniff(await incoming.head(SNIFF_BYTES), declared, filename)
        if not is_allowed(mime_type, self.settings.files_mime_type_allow_list):
            raise InvalidPayloadError(
                f'File content type "{mime_type}" is not allowed for upload by your global '
                "file type restrictions"
            )
        return mime_type

    async def _store(
        self, driver: StorageDriver, disk: str, incoming: Incoming, mime_type: str
    ) -> tuple[ImageFacts | None, int]:
        """Write the blob; what was read from it (an image's facts, a sound's or film's
        duration; None for other types) and its size."""
        read = mime_type in IMAGE_TYPES or is_timed(mime_type)
        copy = incoming.keep_copy() if read else None
        try:
            try:
                written = await driver.write(disk, incoming, content_type=mime_type)
            except StorageError as error:
                log.warning("could not store %s: %s", disk, error)
                raise ExternalServiceError("files", f"Couldn't save file {disk}") from error
            facts = None
            if copy is not None and is_timed(mime_type):
                copy.seek(0)
                duration = await anyio.to_thread.run_sync(read_duration, copy)
                facts = ImageFacts(duration=duration) if duration is not None else None
            elif copy is not None:
                copy.seek(0)
                allow_list = self.settings.file_metadata_allow_list
                facts = await anyio.to_thread.run_sync(read_image, copy, allow_list)
            return facts, written.size
        finally:
            if copy is not None:
                copy.close()

    def _derived(
        self,
        size: int,
        facts: ImageFacts | None,
        given: Mapping[str, Any],
        *,
        replacing: bool = False,
    ) -> dict[str, Any]:
        """Values taken from the stored content; the caller's own win for the descriptive
        ones (dimensions, description, tags, metadata), except on a replacement, where the
        old content's dimensions and metadata would be wrong."""
        derived: dict[str, Any] = {
            "filesize": size,
            "uploaded_on": dt.datetime.now(dt.UTC),
        }
        found: dict[str, Any] = {"width": None, "height": None, "metadata": None, "duration": None}
        if facts is not None and facts.duration is not None:
            found["duration"] = facts.duration
        elif facts is not None:
            found = {"width": facts.width, "height": facts.height, "metadata": facts.metadata}
            found["duration"] = None
            if facts.description:
                found["description"] = facts.description
            if facts.tags:
                found["tags"] = facts.tags
        for name, value in found.items():
            if name not in given and (replacing or value is not None):
                derived[name] = value
        return derived

    # --- imports ------------------------------------------------------------------------

    async def import_url(self, url: Any, data: Mapping[str, Any] | None = None) -> str:
        """Fetch ``url`` through the SSRF guard and store it as a new file; its id."""
        if not isinstance(url, str) or not url:
            raise InvalidPayloadError('"url" is required')
        values = _payload(data)
        await self._run(lambda: self._check_may("create"))
        outbound = self.outbound or Outbound.from_settings(self.settings)
        try:
            with anyio.fail_after(outbound.timeout):
                async with outbound.get(url) as response:
                    if response.status_code >= 400:
                        raise _fetch_failed(url, f"it answered {response.status_code}")
                    name = unquote(posixpath.basename(urlsplit(str(response.url)).path))
                    values = {"filename_download": name, "title": format_title(name), **values}
                    return await self.upload(
                        response.aiter_bytes(),
                        values,
                        filename=name or "download",
                        declared_type=response.headers.get("content-type"),
                    )
        except OutboundRefused as error:
            raise _fetch_failed(url, str(error)) from None
        except httpx.HTTPError as error:
            raise _fetch_failed(url, str(error) or type(error).__name__) from None
        except TimeoutError:
            raise _fetch_failed(url, "it took longer than IMPORT_TIMEOUT") from None

    # --- metadata updates and deletes -----------------------------------------------------

    async def update_many(self, keys: Sequence[Any], data: Mapping[str, Any]) -> list[Any]:
        """Change the rows' values (not their content); the keys.

        A new ``filename_disk`` for one file moves its blob there — or, when a blob is
        already stored under that name, points the file at it — and drops its variants, as
        Directus does; the move happens before the change commits, so a failed move undoes
        it. ``storage`` changes only with new content.
        """
        if isinstance(data, Mapping) and "filename_disk" in data:
            if isinstance(keys, str | bytes) or not isinstance(keys, Sequence):
                raise InvalidPayloadError('"keys" has to be an array')
            if len(keys) != 1:
                raise InvalidPayloadError('"filename_disk" cannot be modified in bulk operations')
            _unplaced({name: value for name, value in data.items() if name != "filename_disk"})
            changed = {**data, "filename_disk": _safe_key(data["filename_disk"])}
            return await self._run(lambda: self._rename(keys[0], changed))
        return await self._run(lambda: self.items().update_many(FILES, keys, _unplaced(data)))

    async def update_batch(self, data: Sequence[Mapping[str, Any]]) -> list[Any]:
        items = [_unplaced(item) for item in _list(data)]
        return await self._run(lambda: self.items().update_batch(FILES, items))

    async def update_by_query(
        self, query: Mapping[str, Any] | Query, data: Mapping[str, Any]
    ) -> list[Any]:
        return await self._run(lambda: self.items().update_by_query(FILES, query, _unplaced(data)))

    def _rename(self, key: Any, changed: dict[str, Any]) -> list[Any]:
        old = self._row(key)
        target = changed["filename_disk"]
        table = directus_files
        with writing(self.items()) as writer:
            taken = sa.select(table.c.id).where(
                table.c.filename_disk == target, table.c.id != old["id"]
            )
            if writer.conn.execute(taken).first() is not None:
                raise ForbiddenError()
            keys = writer.update(FILES, [old["id"]], changed)
            if old["filename_disk"] and old["filename_disk"] != target:
                driver = self.storage[old["storage"]]
                anyio.from_thread.run(_move_blob, driver, old["filename_disk"], target)
        return keys

    async def delete_many(self, keys: Sequence[Any]) -> list[Any]:
        """Delete the rows (with the caller's delete permission), then their blobs and
        transformed variants; the keys."""
        if isinstance(keys, str | bytes) or not isinstance(keys, Sequence):
            raise InvalidPayloadError('"keys" has to be an array')
        rows = await self._run(lambda: self._rows(keys))
        deleted = await self._run(lambda: self.items().delete_many(FILES, keys))
        with anyio.CancelScope(shield=True):
            for row in rows:
                await self._remove_blobs(row)
        return deleted

    async def delete_by_query(self, query: Mapping[str, Any] | Query) -> list[Any]:
        """Delete the files the query selects among those the caller may read; the keys."""
        items = self.items()
        selected = dataclasses.replace(items.query(query), fields=(FieldRef(("id",)),))
        page = await self._run(lambda: items.read_by_query(FILES, selected))
        return await self.delete_many([row["id"] for row in page.data])

    # --- plumbing -----------------------------------------------------------------------

    def _driver(self, location: Any) -> StorageDriver:
        try:
            return self.storage[str(location)]
        except UnknownLocation:
            raise InvalidPayloadError(f'Storage location "{location}" doesn\'t exist') from None

    def _check_may(self, action: str) -> None:
        """FORBIDDEN before any byte is stored when the caller may not ``action`` files at
        all; row rules and field lists are checked with the write itself."""
        items = self.items()
        with self.db.read() as conn:
            permissions = items.permissions(conn)
        if permissions is not None and permissions.get(FILES, action) is None:  # type: ignore[arg-type]
            reason = (
                f'You don\'t have permission to access collection "{FILES}" or it does not exist.'
            )
            raise ForbiddenError(reason, reason=reason)

    def _create_row(
        self,
        created: dict[str, Any],
        derived: dict[str, Any],
        driver: StorageDriver,
        temporary: str,
        extension: str,
        placed: list[str],
    ) -> str:
        """Create the row with the caller's permission, and, before the transaction commits,
        move the stored blob to the key the new id gives it (``placed`` says where, for
        the cleanup should the commit fail). The id is the row's (a caller's field list
        need not allow ``id``), so the blob waits under a temporary key until then."""
        items = self.items(events=False)
        if "folder" not in created:
            default = sa.select(directus_settings.c.storage_default_folder)
            with self.db.read() as conn:
                folder = conn.execute(default).scalar()
            if folder is not None:
                created["folder"] = folder
        with writing(items) as writer:
            key = str(writer.create(FILES, created))
            disk = key + extension
            placed.append(disk)
            anyio.from_thread.run(driver.move, temporary, disk)
            _write_derived(writer.conn, key, {**derived, "filename_disk": disk})
            self._announce_upload(writer, key, {**created, **derived, "filename_disk": disk})
        return key

    def _update_row(self, key: str, changed: dict[str, Any], derived: dict[str, Any]) -> None:
        with writing(self.items(events=False)) as writer:
            writer.update(FILES, [key], changed)
            _write_derived(writer.conn, key, derived)
            self._announce_upload(writer, key, {**changed, **derived})

    def _announce_upload(self, writer: Writer, key: str, payload: dict[str, Any]) -> None:
        """Have the ``files.upload`` action flows start once the upload's write committed."""
        if self.events is None or writer.pending is None:
            return
        shown = {name: _plain(value) for name, value in payload.items()}
        fire = self.events.flows.announce(
            writer.conn,
            self.accountability,
            self.events.chain,
            FILES,
            "upload",
            lambda: {"payload": shown, "key": key, "collection": FILES},
        )
        if fire is not None:
            writer.pending.actions.append(fire)

    def _row(self, key: Any) -> dict[str, Any]:
        """The file's row as stored; FORBIDDEN when there is none (as for any unknown item)."""
        found = self._rows([key])
        if not found:
            raise ForbiddenError()
        return found[0]

    def _rows(self, keys: Sequence[Any]) -> list[dict[str, Any]]:
        wanted = [key for key in (_as_uuid(k) for k in keys) if key is not None]
        if not wanted:
            return []
        table = directus_files
        columns = (table.c.id, table.c.storage, table.c.filename_disk)
        with self.db.read() as conn:
            found = conn.execute(sa.select(*columns).where(table.c.id.in_(wanted)))
            return [dict(row._mapping) for row in found]

    async def _swap(self, old: Mapping[str, Any], location: str, temporary: str, disk: str) -> None:
        """Put the new blob in place of the old one, the old one's variants gone (the old
        blob itself is overwritten by the move when it has the same key)."""
        await self._remove_blobs(old, keep=disk if old["storage"] == location else None)
        driver = self.storage[location]
        try:
            await driver.move(temporary, disk)
        except StorageError as error:
            log.error("could not move %s to %s: %s", temporary, disk, error)
            raise ExternalServiceError("files", f"Couldn't save file {disk}") from error

    async def _remove_blobs(self, row: Mapping[str, Any], keep: str | None = None) -> None:
        """Delete a file's blob and every variant made from it; failures are only logged
        (the row is gone or points elsewhere by now)."""
        disk = row.get("filename_disk")
        if not disk:
            return
        try:
            driver = self.storage[row["storage"]]
        except UnknownLocation:
            return
        try:
            found = [key async for key in driver.list(variant_prefix(disk))]
            for key in [*found, disk]:
                if key != keep:
                    await driver.delete(key)
        except StorageError as error:
            log.warning("could not delete the blobs of %s: %s", disk, error)

    async def _run(self, work: Callable[[], _T]) -> _T:
        return await anyio.to_thread.run_sync(work)


def _write_derived(conn: sa.Connection, key: Any, derived: Mapping[str, Any]) -> None:
    """The values read from the content, written as Tessera itself (no permission applies,
    as in Directus, whose uploads set them through an unchecked service)."""
    values = dict(derived)
    if values.get("tags") is not None:
        values["tags"] = json.dumps(values["tags"])
    conn.execute(directus_files.update().where(directus_files.c.id == key).values(values))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


async def _move_blob(driver: StorageDriver, source: str, target: str) -> None:
    """Move a file's blob to ``target`` unless one is there already; drop its variants."""
    try:
        if not await driver.exists(target):
            await driver.move(source, target)
        for variant in [key async for key in driver.list(variant_prefix(source))]:
            await driver.delete(variant)
    except StorageError as error:
        log.warning("could not move %s to %s: %s", source, target, error)
        raise ExternalServiceError("files", "Couldn't reach the storage location") from error


def _safe_key(value: Any) -> str:
    """A ``filename_disk`` given by a caller as a relative key (``../x`` is ``x``, as
    Directus's path sanitising makes it); INVALID_PAYLOAD when none can be made."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayloadError('"filename_disk" must be a file name')
    key = posixpath.normpath("/" + value.replace("\\", "/")).lstrip("/")
    try:
        return check_key(key)
    except InvalidKey:
        raise InvalidPayloadError(f'"filename_disk" {value!r} is not a usable file name') from None


async def _forget(driver: StorageDriver, key: str) -> None:
    with contextlib.suppress(StorageError):
        await driver.delete(key)


def _fetch_failed(url: str, why: str) -> TesseraError:
    log.warning('could not fetch file from URL "%s": %s', url, why)
    return ExternalServiceError("external-file", f'Couldn\'t fetch file from URL "{url}" ({why})')


def _payload(data: Mapping[str, Any] | None) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidPayloadError('"data" must be of type object')
    return {name: value for name, value in data.items() if name not in _DERIVED}


def _unplaced(data: Any) -> Any:
    """``data`` when it moves no blob: ``storage`` changes only with new content, and
    ``filename_disk`` only for one file at a time (:meth:`FilesService.update_many`)."""
    if isinstance(data, Mapping):
        if "storage" in data:
            raise InvalidPayloadError(
                '"storage" changes only with new content (PATCH /files/:id with a file)'
            )
        if "filename_disk" in data:
            raise InvalidPayloadError('"filename_disk" cannot be modified in bulk operations')
    return data


def _list(data: Any) -> list[Any]:
    if not isinstance(data, list | tuple):
        raise InvalidPayloadError("Input should be an array of items")
    return list(data)


def _checked_id(given: Any) -> str:
    found = _as_uuid(given)
    if found is None:
        raise InvalidPayloadError(f'"id" must be a UUID (got {given!r})')
    return found


def _as_uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _extension(filename: str, mime_type: str) -> str:
    """The stored file's extension: the uploaded name's, else the type's (Directus's rule).

    Only letters and digits of the name's are kept, so that no name can make a storage key
    that is unsafe or unreadable (``x.p\\ng``, ``x.a b``)."""
    given = posixpath.splitext(filename.replace("\\", "/"))[1]
    kept = "".join(char for char in given[1:] if char.isascii() and char.isalnum())[:16]
    return f".{kept}" if kept else extension_of(mime_type)


def _stem(filename: str) -> str:
    return posixpath.splitext(posixpath.basename(filename.replace("\\", "/")))[0]
