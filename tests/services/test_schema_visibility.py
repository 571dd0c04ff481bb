"""What a non-admin caller sees of the schema: only what their read permissions cover."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.db.system_tables import directus_permissions, directus_policies
from tessera.errors import ForbiddenError
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext
from tessera.services.snapshot import take_snapshot


@pytest.fixture
def model(context, collections, fields, relations):
    collections.create(
        {
            "collection": "authors",
            "schema": {},
            "fields": [{"field": "name", "type": "string"}, {"field": "salary", "type": "integer"}],
        }
    )
    collections.create(
        {
            "collection": "books",
            "schema": {},
            "fields": [
                {"field": "title", "type": "string"},
                {"field": "author", "type": "integer"},
            ],
        }
    )
    collections.create({"collection": "secrets", "schema": {}})
    relations.create(
        {
            "collection": "books",
            "field": "author",
            "related_collection": "authors",
            "meta": {"one_field": "books"},
        }
    )


def reader(db, *rows: tuple[str, str], app: bool = True) -> SchemaContext:
    """A caller whose one policy grants read on each (collection, fields) given."""
    policy = str(uuid.uuid4())
    with db.write() as conn:
        conn.execute(sa.insert(directus_policies).values(id=policy, name="Reader"))
        for collection, granted in rows:
            conn.execute(
                sa.insert(directus_permissions).values(
                    policy=policy, collection=collection, action="read", fields=granted
                )
            )
    who = Accountability(user=str(uuid.uuid4()), policies=(policy,), app=app)
    return SchemaContext(db, SchemaCache(db), who)


def test_only_readable_collections_and_fields_show(db, model):
    context = reader(db, ("books", "*"), ("authors", "id,name"))
    names = [c["collection"] for c in CollectionsService(context).read_all()]
    assert "secrets" not in names
    assert {"books", "authors"} <= set(names)
    author_fields = {f["field"] for f in FieldsService(context).read_all("authors")}
    assert author_fields == {"id", "name"}
    with pytest.raises(ForbiddenError):
        FieldsService(context).read_one("authors", "salary")
    with pytest.raises(ForbiddenError):
        CollectionsService(context).read_one("secrets")


def test_relations_show_only_between_readable_collections(db, model):
    both = reader(db, ("books", "*"), ("authors", "*"))
    assert [(r["collection"], r["field"]) for r in RelationsService(both).read_all("books")] == [
        ("books", "author")
    ]
    books_only = reader(db, ("books", "*"))
    assert RelationsService(books_only).read_all("books") == []
    hidden_key = reader(db, ("books", "id,title"), ("authors", "*"))
    assert RelationsService(hidden_key).read_all("books") == []


def test_without_app_access_the_schema_collections_need_their_own_permission(db, model):
    api_only = reader(db, ("books", "*"), app=False)
    with pytest.raises(ForbiddenError):
        CollectionsService(api_only).read_all()
    granted = reader(db, ("books", "*"), ("directus_collections", "*"), app=False)
    visible = [c["collection"] for c in CollectionsService(granted).read_all()]
    assert visible == ["books", "directus_collections"]  # it may read that one too
    with pytest.raises(ForbiddenError):
        FieldsService(granted).read_all("books")


def test_snapshots_and_changes_stay_admin_only(db, model):
    context = reader(db, ("books", "*"))
    with pytest.raises(ForbiddenError):
        take_snapshot(context)
    with pytest.raises(ForbiddenError):
        CollectionsService(context).create({"collection": "x", "schema": {}})
