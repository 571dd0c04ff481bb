"""What a storage driver raises, whichever driver it is."""

from __future__ import annotations


class StorageError(Exception):
    """A storage operation failed; the message says which file and why."""


class InvalidKey(StorageError, ValueError):
    """A key that is no relative path inside the location (``..``, absolute, empty parts)."""


class ObjectNotFound(StorageError, LookupError):
    """No file is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no file is stored under {key!r}")
        self.key = key


class RangeNotSatisfiable(StorageError):
    """A read asked for bytes starting past the end of the file."""

    def __init__(self, key: str, offset: int, size: int | None = None) -> None:
        where = f" of {size} bytes" if size is not None else ""
        super().__init__(f"offset {offset} is past the end of {key!r}{where}")
        self.key = key
        self.offset = offset
        self.size = size
