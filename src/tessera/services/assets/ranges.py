"""The ``Range`` header of an asset request, read as Directus reads it.

Only the first range of ``bytes=start-end`` counts; ``-n`` is the last n bytes; an end past
the file is cut at its end. Unlike Directus, a one-byte range (``0-0``, ``5-5``) is
satisfiable, as RFC 9110 has it.
"""

from __future__ import annotations

import re

from tessera.services.assets.errors import RangeNotSatisfiableError

_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte to send, or None to send the whole file.

    RANGE_NOT_SATISFIABLE when the range starts at or past the end, ends before it starts,
    or names neither end.
    """
    found = _RANGE.search(header or "")
    if found is None:
        return None
    raw = found.group(0).removeprefix("bytes=")
    start = int(found.group(1)) if found.group(1) else None
    end = int(found.group(2)) if found.group(2) else None
    refused = RangeNotSatisfiableError(raw, start, end, size)
    if size == 0 or (start is None and end is None):
        raise refused
    if start is None:
        assert end is not None
        if end == 0:
            raise refused
        return max(size - end, 0), size - 1
    if start >= size or (end is not None and end < start):
        raise refused
    return start, size - 1 if end is None else min(end, size - 1)
