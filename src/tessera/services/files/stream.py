"""An upload's bytes on their way to storage: counted, capped, their start kept for sniffing.

:class:`Incoming` wraps the async stream a door hands over (a multipart part, an HTTP
response). Its first bytes are read ahead so the type can be decided before anything is
stored; then it is iterated once, by the storage driver, and raises
:class:`~tessera.errors.ContentTooLargeError` the moment the total passes the cap, which
makes the driver drop what it wrote. An image's bytes are also copied into a spooled
temporary file (in memory up to a few MiB, on disk beyond) for Pillow to read afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from typing import IO

from tessera.errors import ContentTooLargeError

#: A spooled copy stays in memory up to this size, and moves to a temporary file beyond.
SPOOL_IN_MEMORY = 4 * 1024 * 1024


class Incoming:
    """One upload's stream of chunks, read at most once."""

    def __init__(self, chunks: AsyncIterable[bytes], limit: int | None) -> None:
        self._source = aiter(chunks)
        self._ahead: list[bytes] = []
        self._ended = False
        self.limit = limit
        self.size = 0
        self.copy: IO[bytes] | None = None

    async def head(self, size: int) -> bytes:
        """Up to ``size`` first bytes, read ahead and still to be yielded."""
        have = sum(len(chunk) for chunk in self._ahead)
        while have < size and not self._ended:
            try:
                chunk = await anext(self._source)
            except StopAsyncIteration:
                self._ended = True
                break
            if chunk:
                self._ahead.append(chunk)
                have += len(chunk)
        return b"".join(self._ahead)[:size]

    def keep_copy(self) -> IO[bytes]:
        """Copy every byte yielded from now on into a temporary file; the caller closes it."""
        self.copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        return self.copy

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self._ahead:
            yield self._counted(self._ahead.pop(0))
        if self._ended:
            return
        async for chunk in self._source:
            if chunk:
                yield self._counted(chunk)

    def _counted(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.limit is not None and self.size > self.limit:
            raise ContentTooLargeError()
        if self.copy is not None:
            self.copy.write(chunk)
        return chunk
