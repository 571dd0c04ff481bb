"""Storage keys: relative paths with ``/`` between parts, checked before any driver uses one.

A key comes from a file's ``filename_disk``, which an API caller may set, so every driver
refuses anything that could name a place outside its location: ``..``, an absolute path, a
backslash (a separator on Windows), an empty or ``.`` part, or a NUL byte.
"""

from __future__ import annotations

from tessera.storage.errors import InvalidKey


def check_key(key: str) -> str:
    """Return ``key`` when it is a safe relative path, else raise :class:`InvalidKey`."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("a storage key must be a non-empty path")
    _check_parts(key, key.split("/"))
    return key


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` when it can only match keys inside the location.

    A prefix is the start of a key (``abc__`` matches ``abc__w200.jpg``), so it may be
    empty or end with ``/``.
    """
    if not isinstance(prefix, str):
        raise InvalidKey("a storage prefix must be a string")
    if prefix:
        parts = prefix.split("/")
        _check_parts(prefix, parts[:-1] if parts[-1] == "" else parts)
    return prefix


def _check_parts(path: str, parts: list[str]) -> None:
    if path.startswith("/"):
        raise InvalidKey(f"storage key {path!r} is absolute; keys are relative paths")
    if "\\" in path or "\0" in path:
        raise InvalidKey(f"storage key {path!r} holds a backslash or NUL byte")
    for part in parts:
        if part in ("", ".", ".."):
            raise InvalidKey(f"storage key {path!r} has an empty, '.' or '..' part")
