"""The local filesystem driver: files under a root folder, a key's parts as folders.

A write goes to a temporary file beside its target (same folder, so the same filesystem)
and is renamed over the target only once every chunk is on disk and synced; a failed or
cancelled write deletes its temporary file. Readers therefore see the old file or the new
one, never part of one. Folders made for a key stay when it is deleted: they hold no file,
and :meth:`LocalDriver.list` shows only files. Blocking calls run in worker threads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import anyio.to_thread

from tessera.storage.driver import READ_CHUNK, Stat, StorageDriver, Written, check_range
from tessera.storage.errors import InvalidKey, ObjectNotFound, RangeNotSatisfiable, StorageError
from tessera.storage.keys import check_key, check_prefix

#: Ends the name of a write in progress; no key may end so, and listings skip such files.
PARTIAL_SUFFIX = ".tessera-partial"

_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)
_T = TypeVar("_T")


class LocalDriver(StorageDriver):
    """Files in a folder on this machine (``STORAGE_<LOCATION>_ROOT``)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where ``key`` is kept on disk."""
        check_key(key)
        if key.endswith(PARTIAL_SUFFIX):
            raise InvalidKey(f"storage key {key!r} ends with {PARTIAL_SUFFIX!r}, kept for writes")
        return self.root / key

    async def write(
        self, key: str, chunks: AsyncIterable[bytes], *, content_type: str | None = None
    ) -> Written:
        target = self.path(key)
        handle, partial = await _run(key, _open_partial, target)
        digest = hashlib.sha256()
        size = 0
        try:
            with handle:
                async for chunk in chunks:
                    await _run(key, _append, handle, digest, chunk)
                    size += len(chunk)
                await _run(key, _sync, handle)
            await _run(key, os.replace, partial, target)
        except BaseException:
            # Synchronous on purpose: an await here could itself be cancelled.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            raise
        return Written(size=size, sha256=digest.hexdigest())

    async def read(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        check_range(offset, length)
        handle = await _run(key, _open_file, key, self.path(key))
        with handle:
            if offset or length is not None:
                size = os.fstat(handle.fileno()).st_size
                if offset >= size:
                    raise RangeNotSatisfiable(key, offset, size)
                handle.seek(offset)
            left = length
            while left is None or left > 0:
                wanted = READ_CHUNK if left is None else min(READ_CHUNK, left)
                chunk = await _run(key, handle.read, wanted)
                if not chunk:
                    break
                if left is not None:
                    left -= len(chunk)
                yield chunk

    async def stat(self, key: str) -> Stat:
        found = await _run(key, _file_stat, key, self.path(key))
        modified = dt.datetime.fromtimestamp(found.st_mtime, tz=dt.UTC)
        return Stat(size=found.st_size, modified=modified)

    async def delete(self, key: str) -> None:
        await _run(key, _unlink, self.path(key))

    async def copy(self, source: str, target: str) -> None:
        await _run(target, _copy_file, source, self.path(source), self.path(target))

    async def move(self, source: str, target: str) -> None:
        await _run(target, _move_file, source, self.path(source), self.path(target))

    async def list(self, prefix: str = "") -> AsyncIterator[str]:
        check_prefix(prefix)
        pending = [prefix.rpartition("/")[0]]
        while pending:
            folder = pending.pop()
            entries = await _run(prefix, _entries, self.root / folder)
            for name, is_folder in entries:
                key = f"{folder}/{name}" if folder else name
                if is_folder:
                    if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                        pending.append(key)
                elif key.startswith(prefix) and not name.endswith(PARTIAL_SUFFIX):
                    yield key


async def _run(key: str, call: Callable[..., _T], *args: Any) -> _T:
    """Run a blocking filesystem call in a worker thread; an OSError becomes a StorageError."""
    with _os_errors(key):
        return await anyio.to_thread.run_sync(call, *args)


@contextlib.contextmanager
def _os_errors(key: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise StorageError(f"local storage failed on {key!r}: {exc.strerror or exc}") from exc


def _open_partial(target: Path) -> tuple[IO[bytes], str]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX
    )
    return os.fdopen(fd, "wb"), partial


def _append(handle: IO[bytes], digest: Any, chunk: bytes) -> None:
    handle.write(chunk)
    digest.update(chunk)


def _sync(handle: IO[bytes]) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _open_file(key: str, path: Path) -> IO[bytes]:
    try:
        return open(path, "rb")
    except _MISSING:
        raise ObjectNotFound(key) from None


def _file_stat(key: str, path: Path) -> os.stat_result:
    try:
        found = path.stat()
    except _MISSING:
        raise ObjectNotFound(key) from None
    if not stat.S_ISREG(found.st_mode):
        raise ObjectNotFound(key)
    return found


def _unlink(path: Path) -> None:
    with contextlib.suppress(*_MISSING):
        path.unlink()


def _copy_file(key: str, source: Path, target: Path) -> None:
    with _open_file(key, source) as incoming:
        handle, partial = _open_partial(target)
        try:
            with handle:
                shutil.copyfileobj(incoming, handle, READ_CHUNK)
                _sync(handle)
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            raise


def _move_file(key: str, source: Path, target: Path) -> None:
    _file_stat(key, source)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def _entries(folder: Path) -> list[tuple[str, bool]]:
    try:
        with os.scandir(folder) as found:
            return [(entry.name, entry.is_dir()) for entry in found]
    except (FileNotFoundError, NotADirectoryError):
        return []
