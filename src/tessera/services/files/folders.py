"""The rules of ``directus_folders``, which the items service's writer runs for every door.

Folders are a tree: a folder may not become its own parent or the child of one of its
descendants (Directus has no such check and lets a cycle hide a whole branch). Deleting
a folder moves what it holds — its files and its subfolders — up to its parent (or the
nearest ancestor not deleted with it), as Directus's app does before it deletes one;
Directus's API itself fails with a foreign-key error when subfolders remain.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.db.system_tables import directus_files, directus_folders
from tessera.errors import InvalidPayloadError

FOLDERS = "directus_folders"
#: Further than any real tree is deep; a longer chain can only be a cycle already stored.
_MAX_DEPTH = 1000


def check_new_folder(payload: Mapping[str, Any]) -> None:
    """A folder created with its own key as parent is refused."""
    if payload.get("id") is not None and _uuid(payload.get("parent")) == _uuid(payload["id"]):
        raise InvalidPayloadError("A folder cannot be a parent of itself")


def check_parent(conn: Connection, keys: Sequence[Any], parent: Any) -> None:
    """Refuse a ``parent`` that is one of ``keys`` or below one of them."""
    parent = _uuid(parent)
    if parent is None:
        return
    moved = {_uuid(key) for key in keys}
    if parent in moved:
        raise InvalidPayloadError("A folder cannot be a parent of itself")
    if moved & set(ancestors(conn, parent)):
        raise InvalidPayloadError(
            "A folder cannot have a parent that is already a descendant of itself"
        )


def ancestors(conn: Connection, folder: str) -> list[str]:
    """``folder`` and the folders above it, nearest first."""
    chain: list[str] = []
    current: str | None = folder
    while current is not None and current not in chain and len(chain) < _MAX_DEPTH:
        chain.append(current)
        found = conn.execute(
            sa.select(directus_folders.c.parent).where(directus_folders.c.id == current)
        ).scalar()
        current = _uuid(found)
    return chain


def lift_contents(conn: Connection, keys: Sequence[Any]) -> None:
    """Move the files and subfolders of the folders being deleted up to where they survive."""
    deleted = {key for key in (_uuid(k) for k in keys) if key is not None}
    folders = directus_folders
    for folder in deleted:
        parent = conn.execute(sa.select(folders.c.parent).where(folders.c.id == folder)).scalar()
        target = _uuid(parent)
        for _ in range(_MAX_DEPTH):
            if target is None or target not in deleted:
                break
            above = conn.execute(sa.select(folders.c.parent).where(folders.c.id == target))
            target = _uuid(above.scalar())
        conn.execute(
            directus_files.update().where(directus_files.c.folder == folder).values(folder=target)
        )
        conn.execute(
            folders.update()
            .where(folders.c.parent == folder, folders.c.id.not_in(deleted))
            .values(parent=target)
        )


def _uuid(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
