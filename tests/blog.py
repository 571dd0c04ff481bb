"""A small blog schema with every kind of relation, for the items tests.

authors ← articles (m2o ``author``, o2m ``articles`` back) ← comments (o2m ``comments``,
``one_deselect_action`` nullify) with self-replies; articles ↔ tags through
articles_tags (m2m ``tags``); articles → articles_blocks → headings | texts (m2a
``blocks``); notes, a singleton. :func:`build_blog` creates it through the schema
services and :func:`fill_blog` adds the rows below.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tessera.db import Database
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext

UID = "6f1c1d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f"


def _collection(
    service: CollectionsService, name: str, *fields: Any, meta: dict[str, Any] | None = None
) -> None:
    specs = []
    for spec in fields:
        if isinstance(spec, dict):
            specs.append(spec)
        else:
            specs.append({"field": spec[0], "type": spec[1]})
    payload: dict[str, Any] = {"collection": name, "schema": {}, "fields": specs}
    if meta:
        payload["meta"] = meta
    service.create(payload)


def build_blog(db: Database) -> None:
    context = SchemaContext(db, SchemaCache(db))
    collections, relations = CollectionsService(context), RelationsService(context)
    _collection(
        collections,
        "authors",
        ("name", "string"),
        ("born", "date"),
        ("email", "string"),
        ("score", "float"),
    )
    _collection(
        collections,
        "articles",
        ("title", "string"),
        ("body", "text"),
        ("status", "string"),
        ("rating", "integer"),
        ("price", "decimal"),
        ("published_on", "date"),
        ("flags", "json"),
        ("is_public", "boolean"),
        ("uid", "uuid"),
        ("author", "integer"),
        {"field": "secret", "type": "string", "meta": {"special": ["conceal"]}},
    )
    _collection(
        collections,
        "comments",
        ("article", "integer"),
        ("text", "string"),
        ("likes", "integer"),
        ("parent", "integer"),
    )
    _collection(collections, "tags", ("name", "string"))
    _collection(collections, "articles_tags", ("articles_id", "integer"), ("tags_id", "integer"))
    _collection(collections, "headings", ("title", "string"))
    _collection(collections, "texts", ("body", "string"))
    _collection(
        collections,
        "articles_blocks",
        ("articles_id", "integer"),
        ("item", "string"),
        ("collection", "string"),
        ("sort", "integer"),
    )
    _collection(collections, "notes", ("motto", "string"), meta={"singleton": True})
    relations.create(
        {
            "collection": "articles",
            "field": "author",
            "related_collection": "authors",
            "meta": {"one_field": "articles"},
        }
    )
    relations.create(
        {
            "collection": "comments",
            "field": "article",
            "related_collection": "articles",
            "meta": {"one_field": "comments", "one_deselect_action": "nullify"},
        }
    )
    relations.create(
        {
            "collection": "comments",
            "field": "parent",
            "related_collection": "comments",
            "meta": {"one_field": "replies"},
        }
    )
    relations.create(
        {
            "collection": "articles_tags",
            "field": "articles_id",
            "related_collection": "articles",
            "meta": {
                "one_field": "tags",
                "junction_field": "tags_id",
                "one_deselect_action": "delete",
            },
        }
    )
    relations.create(
        {
            "collection": "articles_tags",
            "field": "tags_id",
            "related_collection": "tags",
            "meta": {"junction_field": "articles_id"},
        }
    )
    relations.create(
        {
            "collection": "articles_blocks",
            "field": "articles_id",
            "related_collection": "articles",
            "meta": {
                "one_field": "blocks",
                "junction_field": "item",
                "sort_field": "sort",
                "one_deselect_action": "delete",
            },
        }
    )
    relations.create(
        {
            "collection": "articles_blocks",
            "field": "item",
            "related_collection": None,
            "meta": {
                "one_allowed_collections": ["headings", "texts"],
                "one_collection_field": "collection",
                "junction_field": "articles_id",
            },
        }
    )


ROWS: dict[str, list[dict[str, Any]]] = {
    "authors": [
        {"id": 1, "name": "Ann", "born": "1980-05-01", "email": "ann@example.com", "score": 1.5},
        {"id": 2, "name": "Bob", "born": "1990-01-01", "email": "bob@example.com", "score": 2.0},
        {"id": 3, "name": None, "born": None, "email": None, "score": None},
    ],
    "articles": [
        {
            "id": 1,
            "title": "Hello world",
            "body": "First post",
            "status": "published",
            "rating": 5,
            "price": "10.50",
            "published_on": "2026-01-01",
            "flags": {"lang": "en", "tags": ["a", "b"]},
            "is_public": True,
            "uid": UID,
            "author": 1,
            "secret": "hush",
        },
        {
            "id": 2,
            "title": "Draft",
            "body": "Not yet",
            "status": "draft",
            "rating": 2,
            "price": "3.25",
            "published_on": None,
            "flags": None,
            "is_public": False,
            "uid": None,
            "author": 2,
            "secret": None,
        },
        {
            "id": 3,
            "title": "MCP in practice",
            "body": "Tools and prompts",
            "status": "published",
            "rating": 4,
            "price": "7.00",
            "published_on": "2025-02-14",
            "flags": {"lang": "de"},
            "is_public": True,
            "uid": None,
            "author": 1,
            "secret": None,
        },
        {
            "id": 4,
            "title": "Orphan",
            "body": None,
            "status": "archived",
            "rating": None,
            "price": None,
            "published_on": None,
            "flags": None,
            "is_public": None,
            "uid": None,
            "author": None,
            "secret": None,
        },
    ],
    "comments": [
        {"id": 1, "article": 1, "text": "nice", "likes": 5, "parent": None},
        {"id": 2, "article": 1, "text": "bad", "likes": 1, "parent": 1},
        {"id": 3, "article": 1, "text": "meh", "likes": 3, "parent": None},
        {"id": 4, "article": 2, "text": "nice", "likes": 0, "parent": None},
        {"id": 5, "article": None, "text": "orphan", "likes": 9, "parent": 4},
    ],
    "tags": [{"id": 1, "name": "red"}, {"id": 2, "name": "blue"}, {"id": 3, "name": "green"}],
    "articles_tags": [
        {"id": 1, "articles_id": 1, "tags_id": 1},
        {"id": 2, "articles_id": 1, "tags_id": 2},
        {"id": 3, "articles_id": 2, "tags_id": 2},
    ],
    "headings": [{"id": 1, "title": "Intro"}, {"id": 2, "title": "Outro"}],
    "texts": [{"id": 1, "body": "Body text"}],
    "articles_blocks": [
        {"id": 1, "articles_id": 1, "item": "2", "collection": "headings", "sort": 2},
        {"id": 2, "articles_id": 1, "item": "1", "collection": "texts", "sort": 1},
        {"id": 3, "articles_id": 3, "item": "1", "collection": "headings", "sort": 1},
    ],
}


def fill_blog(db: Database) -> None:
    overview = SchemaCache(db).get()
    with db.write() as conn:
        for name, items in ROWS.items():
            conn.execute(sa.insert(overview.collections[name].sql_table), items)
        if conn.dialect.name == "postgresql":  # explicit keys leave the sequences behind
            for name in ROWS:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'(SELECT MAX(id) FROM "{name}"))'
                )
