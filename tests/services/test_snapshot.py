"""Snapshots: a model taken from one database and applied to another reproduces it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera.db import Database
from tessera.db.migrations import migrate
from tessera.errors import InvalidPayloadError
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext
from tessera.services.snapshot import apply_changes, diff, take_snapshot

EVERY_TYPE = [
    {
        "field": "title",
        "type": "string",
        "schema": {"max_length": 80, "is_nullable": False, "default_value": "untitled"},
    },
    {"field": "body", "type": "text"},
    {"field": "views", "type": "integer", "schema": {"default_value": 0, "is_indexed": True}},
    {"field": "big", "type": "bigInteger"},
    {"field": "ratio", "type": "float"},
    {"field": "price", "type": "decimal", "schema": {"numeric_precision": 12, "numeric_scale": 2}},
    {"field": "published", "type": "boolean", "schema": {"default_value": False}},
    {"field": "day", "type": "date"},
    {"field": "at", "type": "dateTime"},
    {"field": "clock", "type": "time"},
    {"field": "stamp", "type": "timestamp", "schema": {"default_value": "CURRENT_TIMESTAMP"}},
    {"field": "data", "type": "json"},
    {"field": "tags", "type": "csv"},
    {"field": "ref", "type": "uuid", "schema": {"is_unique": True}},
    {"field": "secret", "type": "hash"},
    {
        "field": "divider",
        "type": "alias",
        "meta": {"special": ["no-data"], "interface": "presentation-divider"},
    },
]


def context_for(db: Database) -> SchemaContext:
    return SchemaContext(db, SchemaCache(db))


def build_model(context: SchemaContext) -> None:
    collections = CollectionsService(context)
    fields = FieldsService(context)
    relations = RelationsService(context)
    collections.create({"collection": "content", "meta": {"icon": "folder"}, "schema": None})
    collections.create(
        {
            "collection": "authors",
            "schema": {},
            "meta": {"group": "content"},
            "fields": [
                {
                    "field": "id",
                    "type": "uuid",
                    "schema": {"is_primary_key": True},
                    "meta": {"special": ["uuid"], "hidden": True},
                },
                {"field": "name", "type": "string"},
            ],
        }
    )
    collections.create(
        {
            "collection": "tags",
            "schema": {},
            "fields": [
                {
                    "field": "code",
                    "type": "string",
                    "schema": {"is_primary_key": True, "max_length": 20},
                }
            ],
        }
    )
    collections.create(
        {
            "collection": "articles",
            "schema": {},
            "meta": {"note": "Everything", "sort_field": None},
            "fields": EVERY_TYPE,
        }
    )
    fields.create(
        "articles",
        {
            "field": "author",
            "type": "uuid",
            "meta": {"special": ["m2o"], "interface": "select-dropdown-m2o"},
        },
    )
    relations.create(
        {
            "collection": "articles",
            "field": "author",
            "related_collection": "authors",
            "schema": {"on_delete": "CASCADE"},
            "meta": {"one_field": "articles"},
        }
    )
    collections.create(
        {
            "collection": "articles_tags",
            "schema": {},
            "meta": {"hidden": True},
            "fields": [
                {"field": "articles_id", "type": "integer"},
                {"field": "tags_code", "type": "string", "schema": {"max_length": 20}},
            ],
        }
    )
    fields.create(
        "articles",
        {
            "field": "tag_list",
            "type": "alias",
            "meta": {"special": ["m2m"], "interface": "list-m2m"},
        },
    )
    relations.create(
        {
            "collection": "articles_tags",
            "field": "articles_id",
            "related_collection": "articles",
            "meta": {"one_field": "tag_list", "junction_field": "tags_code"},
        }
    )
    relations.create(
        {
            "collection": "articles_tags",
            "field": "tags_code",
            "related_collection": "tags",
            "meta": {"junction_field": "articles_id"},
        }
    )
    collections.create(
        {
            "collection": "blocks",
            "schema": {},
            "fields": [
                {"field": "articles_id", "type": "integer"},
                {"field": "item", "type": "string"},
                {"field": "collection", "type": "string"},
            ],
        }
    )
    relations.create(
        {
            "collection": "blocks",
            "field": "item",
            "related_collection": None,
            "meta": {
                "one_allowed_collections": ["authors", "tags"],
                "one_collection_field": "collection",
                "junction_field": "articles_id",
            },
        }
    )


def comparable(snapshot: dict) -> dict:
    """A snapshot without what legitimately differs between vendors: the vendor's type
    names, and the length of a UUID (char(36) on SQLite, native on PostgreSQL)."""
    out = dict(snapshot, vendor=None)
    vendor_keys = {"data_type", "table"}
    out["fields"] = [
        {
            **f,
            "schema": None
            if f["schema"] is None
            else {
                k: v
                for k, v in f["schema"].items()
                if k not in vendor_keys and (k != "max_length" or f["type"] != "uuid")
            },
        }
        for f in snapshot["fields"]
    ]
    out["relations"] = [
        {
            **r,
            "schema": None
            if r["schema"] is None
            else {k: v for k, v in r["schema"].items() if k != "constraint_name"},
        }
        for r in snapshot["relations"]
    ]
    return out


@pytest.fixture
def source(tmp_path: Path) -> SchemaContext:
    """A model built on SQLite, whatever the backend under test."""
    db = Database(f"sqlite+pysqlite:///{tmp_path / 'source.db'}")
    migrate(db)
    context = context_for(db)
    build_model(context)
    return context


def test_snapshot_applied_to_an_empty_database_reproduces_it(source, db):
    target = context_for(db)
    document = take_snapshot(source)
    changes = diff(take_snapshot(target), document)
    assert {c.action for c in changes} == {"create"}

    apply_changes(target, changes)

    assert comparable(take_snapshot(target)) == comparable(document)
    assert diff(take_snapshot(target), document) == []


def test_snapshot_lists_user_collections_only(source):
    document = take_snapshot(source)
    names = [c["collection"] for c in document["collections"]]
    assert names == sorted(names)
    assert "articles" in names
    assert not any(n.startswith("directus_") for n in names)
    assert document["version"] == 1
    assert document["vendor"] == "sqlite"
    article_fields = {
        f["field"]: f["type"] for f in document["fields"] if f["collection"] == "articles"
    }
    assert article_fields["secret"] == "hash"
    assert article_fields["tags"] == "csv"
    assert article_fields["tag_list"] == "alias"


def test_diff_reports_updates_and_deletes_and_apply_makes_them(source, db):
    target = context_for(db)
    apply_changes(target, diff(take_snapshot(target), take_snapshot(source)))
    FieldsService(source).update(
        "articles", "title", {"schema": {"max_length": 120}, "meta": {"note": "Headline"}}
    )
    FieldsService(source).delete("articles", "big")
    CollectionsService(source).update("tags", {"meta": {"icon": "label"}})
    RelationsService(source).update("articles", "author", {"schema": {"on_delete": "SET NULL"}})
    document = take_snapshot(source)

    changes = diff(take_snapshot(target), document)
    summary = {(c.kind, c.action, c.name) for c in changes}
    assert summary == {
        ("field", "update", "articles.title"),
        ("field", "delete", "articles.big"),
        ("collection", "update", "tags"),
        ("relation", "update", "articles.author"),
    }
    title = next(c for c in changes if c.name == "articles.title")
    assert "schema.max_length: 80 → 120" in title.detail

    apply_changes(target, changes)
    assert diff(take_snapshot(target), document) == []
    with db.read() as conn:
        fks = sa.inspect(conn).get_foreign_keys("articles")
    assert [fk["options"].get("ondelete") for fk in fks] == ["SET NULL"]


def test_a_failing_change_leaves_the_target_untouched(source, db):
    target = context_for(db)
    document = take_snapshot(source)
    document["relations"].append(
        {
            "collection": "articles",
            "field": "no_such_field",
            "related_collection": "tags",
            "schema": None,
            "meta": {},
        }
    )
    before = take_snapshot(target)

    with pytest.raises(InvalidPayloadError, match="no_such_field"):
        apply_changes(target, diff(before, document))

    assert take_snapshot(target) == before
    with db.read() as conn:
        assert not sa.inspect(conn).has_table("articles")


def test_a_document_of_the_wrong_shape_is_refused(db):
    target = context_for(db)
    with pytest.raises(InvalidPayloadError, match="version"):
        diff(take_snapshot(target), {"collections": []})
    with pytest.raises(InvalidPayloadError, match="fields"):
        diff(take_snapshot(target), {"version": 1, "collections": [], "relations": []})
