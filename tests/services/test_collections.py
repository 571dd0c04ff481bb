"""Collections: tables with their primary keys, folders, metadata, and what a delete cleans up."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.db.system_tables import directus_permissions, directus_policies
from tessera.errors import ForbiddenError, InvalidPayloadError
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.schema_change import SchemaContext


def execute(db, sql, **params):
    with db.write() as conn:
        conn.execute(sa.text(sql), params)


def select(db, sql, **params):
    with db.read() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def tables(db):
    with db.read() as conn:
        return set(sa.inspect(conn).get_table_names())


# --- primary keys --------------------------------------------------------------------------


def test_an_auto_increment_id_is_added_when_no_primary_key_is_given(db, collections, fields):
    created = collections.create(
        {"collection": "posts", "schema": {}, "fields": [{"field": "title", "type": "string"}]}
    )

    assert created == {"collection": "posts", "meta": None, "schema": {"name": "posts"}}
    read = fields.read_all("posts")
    assert [f["field"] for f in read] == ["id", "title"]
    id_field = read[0]
    assert id_field["type"] == "integer"
    assert id_field["schema"]["is_primary_key"] is True
    assert id_field["schema"]["has_auto_increment"] is True
    assert id_field["schema"]["is_nullable"] is False
    assert id_field["meta"]["hidden"] is True
    assert id_field["meta"]["readonly"] is True
    assert id_field["meta"]["interface"] == "numeric"
    execute(db, "INSERT INTO posts (title) VALUES ('a'), ('b')")
    execute(db, "INSERT INTO posts (title) VALUES ('c')")
    assert select(db, "SELECT id, title FROM posts ORDER BY id") == [(1, "a"), (2, "b"), (3, "c")]


def test_ids_of_deleted_items_are_never_handed_out_again(db, collections, fields):
    """Activity and revisions of a deleted item must not pass to a new one (as in Directus)."""
    collections.create(
        {"collection": "posts", "schema": {}, "fields": [{"field": "title", "type": "string"}]}
    )
    execute(db, "INSERT INTO posts (title) VALUES ('a'), ('b')")
    execute(db, "DELETE FROM posts WHERE id = 2")
    execute(db, "INSERT INTO posts (title) VALUES ('c')")
    fields.update("posts", "title", {"schema": {"max_length": 20}})  # a rebuild on SQLite
    execute(db, "DELETE FROM posts WHERE id = 3")
    execute(db, "INSERT INTO posts (title) VALUES ('d')")

    assert select(db, "SELECT id, title FROM posts ORDER BY id") == [(1, "a"), (4, "d")]


def test_uuid_primary_key(db, collections, fields):
    collections.create(
        {
            "collection": "people",
            "schema": {},
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

    id_field = fields.read_one("people", "id")
    assert id_field["type"] == "uuid"
    assert id_field["schema"]["is_primary_key"] is True
    assert id_field["schema"]["has_auto_increment"] is False
    assert id_field["meta"]["special"] == ["uuid"]
    assert [f["field"] for f in fields.read_all("people")] == ["id", "name"]
    key = str(uuid.uuid4())
    execute(db, "INSERT INTO people (id, name) VALUES (:id, 'ann')", id=key)
    assert select(db, "SELECT CAST(id AS VARCHAR(36)) FROM people") == [(key,)]
    with pytest.raises(sa.exc.IntegrityError):
        execute(db, "INSERT INTO people (name) VALUES ('no key')")


def test_uuid_primary_key_generated_by_postgresql(db, collections, fields, state):
    payload = {
        "collection": "people",
        "schema": {},
        "fields": [
            {
                "field": "id",
                "type": "uuid",
                "schema": {"is_primary_key": True, "default_value": "gen_random_uuid()"},
            }
        ],
    }
    if db.is_sqlite:  # SQLite has no function to generate one
        before = state()
        with pytest.raises(InvalidPayloadError):
            collections.create(payload)
        assert state() == before
        return

    collections.create(payload)
    assert fields.read_one("people", "id")["schema"]["default_value"] == "gen_random_uuid()"
    execute(db, "INSERT INTO people DEFAULT VALUES")
    (key,) = select(db, "SELECT CAST(id AS VARCHAR(36)) FROM people")[0]
    assert uuid.UUID(key)


def test_string_primary_key(db, collections, fields):
    collections.create(
        {
            "collection": "languages",
            "schema": {},
            "fields": [
                {
                    "field": "code",
                    "type": "string",
                    "schema": {"is_primary_key": True, "max_length": 10},
                },
                {"field": "name", "type": "string"},
            ],
        }
    )

    code = fields.read_one("languages", "code")
    assert (code["type"], code["schema"]["max_length"]) == ("string", 10)
    assert code["schema"]["is_primary_key"] is True
    assert code["schema"]["has_auto_increment"] is False
    assert [f["field"] for f in fields.read_all("languages")] == ["code", "name"]
    execute(db, "INSERT INTO languages (code, name) VALUES ('en', 'English')")
    with pytest.raises(sa.exc.IntegrityError):
        execute(db, "INSERT INTO languages (code, name) VALUES ('en', 'Again')")


def test_big_integer_auto_increment_primary_key(db, collections, fields):
    collections.create(
        {
            "collection": "events",
            "schema": {},
            "fields": [
                {"field": "id", "type": "bigInteger", "schema": {"has_auto_increment": True}},
                {"field": "name", "type": "string"},
            ],
        }
    )

    id_field = fields.read_one("events", "id")
    # SQLite only auto-increments an INTEGER PRIMARY KEY (64-bit already), as in Directus.
    assert id_field["type"] == ("integer" if db.is_sqlite else "bigInteger")
    assert id_field["schema"]["is_primary_key"] is True
    assert id_field["schema"]["has_auto_increment"] is True
    execute(db, "INSERT INTO events (name) VALUES ('a'), ('b')")
    assert select(db, "SELECT id FROM events ORDER BY id") == [(1,), (2,)]


BAD_FIELD_LISTS = {
    "two-primary-keys": [
        {"field": "a", "type": "integer", "schema": {"is_primary_key": True}},
        {"field": "b", "type": "integer", "schema": {"is_primary_key": True}},
    ],
    "id-not-primary": [{"field": "id", "type": "string"}],
    "duplicate-field": [{"field": "title", "type": "string"}, {"field": "title", "type": "text"}],
    "duplicate-up-to-case": [
        {"field": "title", "type": "string"},
        {"field": "Title", "type": "text"},
    ],
    "id-up-to-case": [{"field": "ID", "type": "integer"}],
    "unknown-type": [{"field": "title", "type": "nonsense"}],
    "bad-name": [{"field": "bad name", "type": "string"}],
    "not-a-list": "title",
}
BAD_NAMES = [
    "directus_things",
    "tessera_things",
    "",
    None,
    "2things",
    "my things",
    "a/b",
    'x"; DROP TABLE directus_fields; --',
    "x" * 65,
]


def test_bad_fields_in_create_change_nothing(collections, state, subtests):
    before = state()

    for case, fields_ in BAD_FIELD_LISTS.items():
        with subtests.test(case), pytest.raises(InvalidPayloadError):
            collections.create({"collection": "posts", "schema": {}, "fields": fields_})
    assert state() == before


def test_invalid_collection_names_are_refused(collections, state, subtests):
    before = state()

    for name in BAD_NAMES:
        with subtests.test(name=name), pytest.raises(InvalidPayloadError):
            collections.create({"collection": name, "schema": {}})
    assert state() == before


def test_duplicate_collection_is_invalid_payload(db, collections, state):
    collections.create({"collection": "posts", "schema": {}})
    collections.create({"collection": "folder", "schema": None, "meta": {}})
    execute(db, "CREATE TABLE nokey (value integer)")  # not a collection, but a table
    before = state()

    for name in ("posts", "Posts", "folder", "FOLDER", "nokey", "directus_users"):
        with pytest.raises(InvalidPayloadError):
            collections.create({"collection": name, "schema": {}})
    assert state() == before


# --- folders -------------------------------------------------------------------------------


def test_folder_has_no_table_and_keeps_its_meta(db, collections, fields):
    created = collections.create(
        {"collection": "content", "schema": None, "meta": {"icon": "folder", "note": "Docs"}}
    )

    assert created["schema"] is None
    assert (created["meta"]["icon"], created["meta"]["note"]) == ("folder", "Docs")
    assert "content" not in tables(db)
    assert fields.read_all("content") == []
    assert "content" in [c["collection"] for c in collections.read_all()]


def test_a_collection_without_schema_or_meta_is_a_folder(db, collections):
    created = collections.create({"collection": "content"})

    assert created["schema"] is None
    assert created["meta"]["collection"] == "content"
    assert "content" not in tables(db)


def test_folder_holds_alias_fields_only(collections, fields, state):
    collections.create(
        {
            "collection": "content",
            "schema": None,
            "meta": {},
            "fields": [{"field": "divider", "type": "alias", "meta": {"special": ["no-data"]}}],
        }
    )
    fields.create("content", {"field": "notice", "type": "alias"})

    assert [(f["field"], f["type"]) for f in fields.read_all("content")] == [
        ("divider", "alias"),
        ("notice", "alias"),
    ]
    before = state()
    with pytest.raises(InvalidPayloadError):
        fields.create("content", {"field": "title", "type": "string"})
    with pytest.raises(InvalidPayloadError):
        collections.create(
            {
                "collection": "other",
                "schema": None,
                "meta": {},
                "fields": [{"field": "t", "type": "string"}],
            }
        )
    assert state() == before


# --- metadata ------------------------------------------------------------------------------

FULL_META = {
    "hidden": True,
    "singleton": True,
    "sort_field": "sort",
    "archive_field": "status",
    "archive_value": "archived",
    "accountability": "activity",
    "note": "All the posts",
    "icon": "article",
    "color": "#ff0000",
    "group": "content",
    "translations": [{"language": "en-US", "translation": "Posts"}],
}


def test_meta_is_created_and_read_back(collections):
    collections.create({"collection": "content", "schema": None, "meta": {}})
    created = collections.create(
        {
            "collection": "posts",
            "schema": {},
            "meta": FULL_META,
            "fields": [{"field": "sort", "type": "integer"}, {"field": "status", "type": "string"}],
        }
    )

    assert created["collection"] == "posts"
    for key, value in FULL_META.items():
        assert created["meta"][key] == value, key
    assert collections.read_one("posts") == created


def test_meta_defaults(collections):
    meta = collections.create({"collection": "posts", "schema": {}, "meta": {"ignored": 1}})["meta"]

    assert (meta["hidden"], meta["singleton"], meta["accountability"]) == (False, False, "all")
    assert "ignored" not in meta


def test_accountability_can_be_turned_off(collections):
    created = collections.create(
        {"collection": "posts", "schema": {}, "meta": {"accountability": None}}
    )

    assert created["meta"]["accountability"] is None


def test_meta_update_changes_only_what_is_given(collections):
    collections.create({"collection": "content", "schema": None, "meta": {}})
    collections.create(
        {
            "collection": "posts",
            "schema": {},
            "meta": {"icon": "article", "note": "old"},
            "fields": [{"field": "sort", "type": "integer"}],
        }
    )

    updated = collections.update(
        "posts", {"meta": {"note": "new", "hidden": True, "group": "content", "sort_field": "sort"}}
    )

    meta = updated["meta"]
    assert (meta["icon"], meta["note"], meta["hidden"]) == ("article", "new", True)
    assert (meta["group"], meta["sort_field"]) == ("content", "sort")
    assert collections.update("posts", {"meta": {"group": None}})["meta"]["group"] is None


def test_meta_update_adds_meta_to_a_collection_without_it(collections):
    collections.create({"collection": "posts", "schema": {}})

    assert collections.update("posts", {"meta": {"note": "now managed"}})["meta"]["note"] == (
        "now managed"
    )


BAD_UPDATES = [
    {"meta": {"group": "missing"}},
    {"meta": {"group": "posts"}},
    {"meta": {"sort_field": "missing"}},
    {"meta": {"archive_field": "missing"}},
    {"collection": "renamed"},
    {"meta": "hidden"},
]


def test_bad_meta_update_changes_nothing(collections, state, subtests):
    collections.create({"collection": "posts", "schema": {}, "meta": {"note": "n"}})
    before = state()

    for payload in BAD_UPDATES:
        with subtests.test(payload=payload), pytest.raises(InvalidPayloadError):
            collections.update("posts", payload)
    assert state() == before


def test_group_must_exist_on_create(collections, state):
    before = state()

    with pytest.raises(InvalidPayloadError):
        collections.create({"collection": "posts", "schema": {}, "meta": {"group": "missing"}})
    assert state() == before


# --- reads and rights ----------------------------------------------------------------------


def test_read_all_lists_user_and_system_collections(collections):
    collections.create({"collection": "posts", "schema": {}})

    listed = {c["collection"]: c for c in collections.read_all()}
    assert listed["posts"]["meta"] is None
    assert listed["directus_users"]["meta"]["system"] is True
    assert "tessera_schema_version" not in listed


def test_unknown_collection_is_forbidden(collections, state):
    before = state()

    with pytest.raises(ForbiddenError):
        collections.read_one("nope")
    with pytest.raises(ForbiddenError):
        collections.update("nope", {"meta": {"note": "x"}})
    with pytest.raises(ForbiddenError):
        collections.delete("nope")
    assert state() == before


def test_system_collections_can_not_be_deleted(collections, state):
    before = state()

    with pytest.raises(InvalidPayloadError):
        collections.delete("directus_users")
    assert state() == before


def test_non_admin_is_forbidden_everything(db, collections, state):
    collections.create({"collection": "posts", "schema": {}})
    user = CollectionsService(SchemaContext(db, SchemaCache(db), Accountability(user="u")))
    before = state()

    with pytest.raises(ForbiddenError):
        user.create({"collection": "other", "schema": {}})
    with pytest.raises(ForbiddenError):
        user.update("posts", {"meta": {"note": "x"}})
    with pytest.raises(ForbiddenError):
        user.delete("posts")
    with pytest.raises(ForbiddenError):
        user.read_all()
    assert state() == before


# --- delete --------------------------------------------------------------------------------


def add_permission(db, collection):
    policy = str(uuid.uuid4())
    with db.write() as conn:
        conn.execute(sa.insert(directus_policies).values(id=policy, name="Editors"))
        conn.execute(
            sa.insert(directus_permissions).values(
                collection=collection, action="read", fields="*", policy=policy
            )
        )


def test_delete_removes_the_table_and_every_trace(db, collections, fields, relations):
    collections.create({"collection": "content", "schema": None, "meta": {}})
    collections.create({"collection": "authors", "schema": {}, "meta": {"group": "content"}})
    collections.create(
        {
            "collection": "books",
            "schema": {},
            "meta": {"group": "authors"},
            "fields": [
                {"field": "title", "type": "string", "meta": {"note": "t"}},
                {"field": "author", "type": "integer"},
            ],
        }
    )
    relations.create(
        {
            "collection": "books",
            "field": "author",
            "related_collection": "authors",
            "meta": {"one_field": "books"},
        }
    )
    collections.create(
        {
            "collection": "shelf_items",
            "schema": {},
            "fields": [
                {"field": "item", "type": "string"},
                {"field": "collection", "type": "string"},
            ],
        }
    )
    relations.create(
        {
            "collection": "shelf_items",
            "field": "item",
            "meta": {
                "one_allowed_collections": ["authors", "books"],
                "one_collection_field": "collection",
            },
        }
    )
    add_permission(db, "authors")
    add_permission(db, "books")
    execute(db, "INSERT INTO authors (id) VALUES (1)")
    execute(db, "INSERT INTO books (id, author) VALUES (1, 1)")

    collections.delete("authors")

    assert "authors" not in tables(db)
    assert select(db, "SELECT id, author FROM books") == [(1, 1)]  # the key column stays
    assert select(db, "SELECT collection FROM directus_fields WHERE collection = 'authors'") == []
    assert (
        select(db, "SELECT collection FROM directus_collections WHERE collection = 'authors'") == []
    )
    assert (
        select(db, "SELECT many_field FROM directus_relations WHERE one_collection = 'authors'")
        == []
    )
    assert select(db, "SELECT collection FROM directus_permissions") == [("books",)]
    assert collections.read_one("books")["meta"]["group"] is None
    with db.read() as conn:
        assert sa.inspect(conn).get_foreign_keys("books") == []
    shelf = relations.read_one("shelf_items", "item")
    assert shelf["meta"]["one_allowed_collections"] == ["books"]
    with pytest.raises(ForbiddenError):
        collections.read_one("authors")
    with pytest.raises(ForbiddenError):
        relations.read_one("books", "author")


def test_delete_of_the_many_side_removes_the_alias_on_the_one_side(
    db, collections, fields, relations
):
    collections.create({"collection": "authors", "schema": {}})
    collections.create(
        {"collection": "books", "schema": {}, "fields": [{"field": "author", "type": "integer"}]}
    )
    relations.create(
        {
            "collection": "books",
            "field": "author",
            "related_collection": "authors",
            "meta": {"one_field": "books"},
        }
    )
    assert fields.read_one("authors", "books")["type"] == "alias"

    collections.delete("books")

    assert [f["field"] for f in fields.read_all("authors")] == ["id"]
    assert all(r["collection"] != "books" for r in relations.read_all())
    assert select(db, "SELECT id FROM directus_relations") == []


def test_delete_a_folder_ungroups_its_children(db, collections):
    collections.create({"collection": "content", "schema": None, "meta": {}})
    collections.create({"collection": "posts", "schema": {}, "meta": {"group": "content"}})

    collections.delete("content")

    assert collections.read_one("posts")["meta"]["group"] is None
    assert "content" not in [c["collection"] for c in collections.read_all()]
