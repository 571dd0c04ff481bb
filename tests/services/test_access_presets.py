"""The preset grants of the MCP guide's roles, over the blog schema."""

from __future__ import annotations

from tessera.db import Database
from tessera.schema.overview import SchemaCache
from tessera.services.access_presets import preset_rows

BLOG = {
    "articles",
    "articles_blocks",
    "articles_tags",
    "authors",
    "comments",
    "headings",
    "notes",
    "tags",
    "texts",
}
SCHEMA = {"directus_collections", "directus_fields", "directus_relations"}


def granted(db: Database, preset: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in preset_rows(SchemaCache(db).get(), preset):
        assert row["fields"] == "*"
        found.setdefault(row["collection"], set()).add(row["action"])
    return found


def test_a_content_editor_writes_every_user_collection_but_never_deletes(blog_db: Database):
    found = granted(blog_db, "content-editor")
    assert set(found) == BLOG | SCHEMA | {"directus_files", "directus_folders"}
    for name in BLOG:
        assert found[name] == {"create", "read", "update"}
    assert found["directus_files"] == {"create", "read", "update"}
    assert found["directus_folders"] == {"read"}
    assert all(found[name] == {"read"} for name in SCHEMA)


def test_a_developer_also_deletes_and_manages_folders(blog_db: Database):
    found = granted(blog_db, "developer")
    assert set(found) == BLOG | SCHEMA | {"directus_files", "directus_folders"}
    every = {"create", "read", "update", "delete"}
    assert all(found[name] == every for name in BLOG | {"directus_files", "directus_folders"})
    assert all(found[name] == {"read"} for name in SCHEMA)
