"""The interface every storage driver offers, and what its calls return.

Content streams both ways as chunks of bytes, so a file of any size passes through a
bounded amount of memory: a write consumes an async iterator of chunks, a read yields one.
A write is all or nothing: until it completes the key keeps what it had before (or stays
absent), and when it fails or is cancelled nothing of it is left in the location.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from tessera.storage.errors import ObjectNotFound

#: Bytes a read yields at a time (the last chunk, or a driver's network reads, may be smaller).
READ_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Written:
    """What a completed write stored: its size in bytes and its SHA-256, in hex."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Stat:
    """A stored file's size in bytes and when it was last written (aware, UTC)."""

    size: int
    modified: dt.datetime


def check_range(offset: int, length: int | None) -> None:
    """Refuse a byte range no driver could read: a negative offset, or a length below 1."""
    if offset < 0:
        raise ValueError(f"a read offset must not be negative (got {offset})")
    if length is not None and length < 1:
        raise ValueError(f"a read length must be at least 1 (got {length})")


class StorageDriver(ABC):
    """One storage location: files under relative keys (see :mod:`tessera.storage.keys`).

    Every method raises :class:`~tessera.storage.errors.InvalidKey` for an unsafe key, and
    :class:`~tessera.storage.errors.StorageError` (or a subclass) when the store fails.
    A driver is used from one event loop.
    """

    @abstractmethod
    async def write(
        self, key: str, chunks: AsyncIterable[bytes], *, content_type: str | None = None
    ) -> Written:
        """Store the chunks under ``key``, replacing what was there once all have arrived.

        An exception from ``chunks`` (or a cancellation) propagates unchanged after whatever
        was written so far has been removed. ``content_type`` is kept where the store keeps
        one (S3), for clients that read the store directly.
        """

    @abstractmethod
    def read(self, key: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """Yield the file's bytes from ``offset``, ``length`` of them or up to its end.

        A length past the end is cut at the end, as HTTP ranges are. When a range is asked
        for (an offset above 0, or a length) and it starts at or past the end,
        :class:`~tessera.storage.errors.RangeNotSatisfiable` is raised; a missing file raises
        :class:`ObjectNotFound`. Both come from the first step of
        the iteration: callers that must answer before streaming call :meth:`stat` first.
        """

    @abstractmethod
    async def stat(self, key: str) -> Stat:
        """The file's size and modification time; :class:`ObjectNotFound` when absent."""

    async def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""
        try:
            await self.stat(key)
        except ObjectNotFound:
            return False
        return True

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the file; removing one that is not there is not an error."""

    @abstractmethod
    async def copy(self, source: str, target: str) -> None:
        """Store a copy of ``source`` under ``target``, replacing what was there."""

    @abstractmethod
    async def move(self, source: str, target: str) -> None:
        """Store ``source`` under ``target`` instead, replacing what was there."""

    @abstractmethod
    def list(self, prefix: str = "") -> AsyncIterator[str]:
        """Yield every key that starts with ``prefix`` (a plain string prefix), in no order."""

    async def close(self) -> None:  # noqa: B027 - most drivers hold nothing to release
        """Release connections the driver holds; it must not be used afterwards."""
