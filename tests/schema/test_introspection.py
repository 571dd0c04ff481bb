"""Database-first: tables made by hand are collections, their columns fields, their keys
relations, all with no metadata rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.schema.overview import SchemaCache, build_overview
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext


def execute(db, *statements):
    with db.write() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)


def serial(db):
    return "serial" if db.is_postgres else "integer"


@pytest.fixture
def context(db):
    return SchemaContext(db, SchemaCache(db))


@pytest.fixture
def hand_made(db, context):
    """Tables made with raw SQL after the schema was first read and cached."""
    CollectionsService(context).read_all()
    execute(
        db,
        f"CREATE TABLE makers (id {serial(db)} PRIMARY KEY, name varchar(40) NOT NULL)",
        f"CREATE TABLE gadgets (id {serial(db)} PRIMARY KEY, label varchar(80) DEFAULT 'it''s',"
        " qty integer NOT NULL DEFAULT 0, active boolean DEFAULT true, price numeric(8, 2),"
        " maker integer REFERENCES makers (id) ON DELETE CASCADE)",
    )
    if db.is_postgres:
        context.cache.clear()  # PostgreSQL has no schema counter of its own to notice DDL by


def test_hand_made_table_is_a_collection_without_meta(context, hand_made):
    collections = CollectionsService(context)

    assert collections.read_one("gadgets") == {
        "collection": "gadgets",
        "meta": None,
        "schema": {"name": "gadgets"},
    }
    assert {"makers", "gadgets"} <= {c["collection"] for c in collections.read_all()}


def test_hand_made_columns_are_fields_with_their_types(context, hand_made):
    fields = {f["field"]: f for f in FieldsService(context).read_all("gadgets")}

    assert list(fields) == ["id", "label", "qty", "active", "price", "maker"]
    assert {name: f["type"] for name, f in fields.items()} == {
        "id": "integer",
        "label": "string",
        "qty": "integer",
        "active": "boolean",
        "price": "decimal",
        "maker": "integer",
    }
    assert all(f["meta"] is None for f in fields.values())
    schemas = {name: f["schema"] for name, f in fields.items()}
    assert schemas["id"]["is_primary_key"] is True
    assert schemas["id"]["has_auto_increment"] is True
    assert schemas["id"]["default_value"] is None
    assert (schemas["label"]["max_length"], schemas["label"]["default_value"]) == (80, "it's")
    assert (schemas["qty"]["is_nullable"], schemas["qty"]["default_value"]) == (False, 0)
    assert schemas["active"]["default_value"] is True
    assert (schemas["price"]["numeric_precision"], schemas["price"]["numeric_scale"]) == (8, 2)
    assert (schemas["maker"]["foreign_key_table"], schemas["maker"]["foreign_key_column"]) == (
        "makers",
        "id",
    )


def test_hand_made_foreign_key_is_a_relation_without_meta(context, hand_made):
    relation = RelationsService(context).read_one("gadgets", "maker")

    assert relation["related_collection"] == "makers"
    assert relation["meta"] is None
    schema = relation["schema"]
    assert (schema["table"], schema["column"]) == ("gadgets", "maker")
    assert (schema["foreign_key_table"], schema["foreign_key_column"]) == ("makers", "id")
    assert schema["on_delete"] == "CASCADE"


def test_hand_made_table_can_be_managed_afterwards(db, context, hand_made):
    """Adding meta and fields to a database-first collection works like any other."""
    collections, fields = CollectionsService(context), FieldsService(context)
    execute(db, "INSERT INTO makers (id, name) VALUES (1, 'acme')")
    execute(db, "INSERT INTO gadgets (id, label, maker) VALUES (1, 'a', 1)")

    assert collections.update("gadgets", {"meta": {"icon": "box"}})["meta"]["icon"] == "box"
    assert fields.update("gadgets", "label", {"meta": {"note": "n"}})["meta"]["note"] == "n"
    assert (
        fields.update("gadgets", "label", {"schema": {"max_length": 200}})["schema"]["max_length"]
        == 200
    )
    fields.create("gadgets", {"field": "colour", "type": "string"})
    with db.read() as conn:
        rows = conn.exec_driver_sql("SELECT id, label, qty, maker, colour FROM gadgets").all()
        keys = sa.inspect(conn).get_foreign_keys("gadgets")
    assert [tuple(r) for r in rows] == [(1, "a", 0, 1, None)]
    assert [(k["constrained_columns"], k["options"].get("ondelete")) for k in keys] == [
        (["maker"], "CASCADE")
    ]


@pytest.mark.sqlite_only
def test_sqlite_notices_hand_made_tables_without_clearing_the_cache(db, context):
    collections = CollectionsService(context)
    first = context.cache.get()
    assert context.cache.get() is first

    execute(db, "CREATE TABLE late (id integer PRIMARY KEY)")

    assert context.cache.get() is not first
    assert collections.read_one("late")["meta"] is None


def test_tables_that_are_not_collections(db):
    execute(
        db,
        "CREATE TABLE no_key (value integer)",
        'CREATE TABLE "has space" (id integer PRIMARY KEY)',
        "CREATE TABLE tessera_private (id integer PRIMARY KEY)",
        "CREATE TABLE legacy (id integer PRIMARY KEY)",
        "CREATE TABLE two_keys (a integer, b integer, PRIMARY KEY (a, b))",
        "CREATE TABLE kept (id integer PRIMARY KEY)",
    )
    cache = SchemaCache(db, excluded=frozenset({"legacy", "spatial_ref_sys"}))

    names = set(cache.get().collections)

    assert "kept" in names
    assert not names & {"no_key", "has space", "tessera_private", "legacy", "two_keys"}
    assert not {n for n in names if n.startswith(("tessera_", "sqlite_"))}


def test_system_tables_are_system_collections(db):
    with db.read() as conn:
        overview = build_overview(conn)

    users = overview.collections["directus_users"]
    assert users.system
    assert users.primary == "id"
    assert users.fields["id"].type == "uuid"
    assert "tessera_schema_version" not in overview.collections
    role = overview.relation("directus_users", "role")
    assert role is not None
    assert role.related_collection == "directus_roles"


def test_inline_unique_constraints_are_unique(db, context, hand_made):
    execute(db, f"CREATE TABLE people (id {serial(db)} PRIMARY KEY, email varchar(50) UNIQUE)")
    context.cache.clear()

    assert FieldsService(context).read_one("people", "email")["schema"]["is_unique"] is True


def test_only_a_real_auto_increment_key_is_reported_as_one(db):
    """On SQLite only ``INTEGER PRIMARY KEY`` numbers rows; ``INT PRIMARY KEY`` leaves them null."""
    execute(
        db,
        "CREATE TABLE manual (id int PRIMARY KEY, x text)",
        "CREATE TABLE coded (code varchar(5) PRIMARY KEY)",
        f"CREATE TABLE numbered (id {serial(db)} PRIMARY KEY)",
    )

    collections = SchemaCache(db).get().collections

    assert collections["manual"].fields["id"].schema.has_auto_increment is False
    assert collections["coded"].fields["code"].schema.has_auto_increment is False
    assert collections["numbered"].fields["id"].schema.has_auto_increment is True
