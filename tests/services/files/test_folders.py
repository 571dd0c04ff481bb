"""Folders as a tree, through the items service (so every door keeps the rules)."""

import uuid

import pytest

from file_uploads import chunks
from tessera.errors import InvalidPayloadError
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService

pytestmark = pytest.mark.anyio
FOLDERS = "directus_folders"


@pytest.fixture
def items(files):
    return ItemsService(files.db, SchemaCache(files.db), files.settings, files.admin)


def tree(items):
    """a > b > c, and d beside a."""
    a = items.create_one(FOLDERS, {"name": "a"})
    b = items.create_one(FOLDERS, {"name": "b", "parent": a})
    c = items.create_one(FOLDERS, {"name": "c", "parent": b})
    d = items.create_one(FOLDERS, {"name": "d"})
    return a, b, c, d


def parents(items):
    found = items.read_by_query(FOLDERS, {"fields": ["name", "parent"], "limit": -1}).data
    return {row["name"]: row["parent"] for row in found}


async def test_a_folder_cannot_be_its_own_parent_or_ancestor(items):
    a, b, c, d = tree(items)
    with pytest.raises(InvalidPayloadError, match="cannot be a parent of itself"):
        items.update_one(FOLDERS, a, {"parent": a})
    with pytest.raises(InvalidPayloadError, match="already a descendant of itself"):
        items.update_one(FOLDERS, a, {"parent": c})
    with pytest.raises(InvalidPayloadError, match="already a descendant of itself"):
        items.update_many(FOLDERS, [d, a], {"parent": b})
    new = str(uuid.uuid4())
    with pytest.raises(InvalidPayloadError, match="cannot be a parent of itself"):
        items.create_one(FOLDERS, {"id": new, "name": "loop", "parent": new})
    assert parents(items) == {"a": None, "b": a, "c": b, "d": None}

    items.update_one(FOLDERS, d, {"parent": c})
    items.update_one(FOLDERS, b, {"parent": None})
    assert parents(items)["d"] == c


async def test_deleting_a_folder_moves_its_files_and_subfolders_up(files, items):
    a, b, c, _d = tree(items)
    service = files.service()
    in_b = await service.upload(chunks(b"in b"), {"folder": b}, filename="b.txt")
    in_c = await service.upload(chunks(b"in c"), {"folder": c}, filename="c.txt")

    items.delete_one(FOLDERS, b)

    assert parents(items) == {"a": None, "c": a, "d": None}
    assert str(files.row(in_b)["folder"]) == a
    assert str(files.row(in_c)["folder"]) == c

    items.delete_many(FOLDERS, [a, c])
    assert parents(items) == {"d": None}
    assert files.row(in_b)["folder"] is None
    assert files.row(in_c)["folder"] is None
