"""Relations: real foreign keys for m2o, alias fields for o2m and m2m, none for m2a."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.errors import ForbiddenError, InvalidPayloadError, TesseraError
from tessera.schema.overview import SchemaCache
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext


def execute(db, sql, **params):
    with db.write() as conn:
        conn.execute(sa.text(sql), params)


def select(db, sql, **params):
    with db.read() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def foreign_keys(db, table):
    with db.read() as conn:
        return {
            fk["constrained_columns"][0]: (
                fk["referred_table"],
                fk["referred_columns"][0],
                (fk.get("options") or {}).get("ondelete"),
            )
            for fk in sa.inspect(conn).get_foreign_keys(table)
        }


def indexed_columns(db, table):
    with db.read() as conn:
        return {tuple(i["column_names"]) for i in sa.inspect(conn).get_indexes(table)}


@pytest.fixture
def books(collections):
    """authors ← books.author (an integer column with no relation yet)."""
    collections.create(
        {"collection": "authors", "schema": {}, "fields": [{"field": "name", "type": "string"}]}
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


def test_m2o_is_a_real_foreign_key(db, relations, books):
    created = relations.create(
        {"collection": "books", "field": "author", "related_collection": "authors"}
    )

    assert (created["collection"], created["field"]) == ("books", "author")
    assert created["related_collection"] == "authors"
    assert created["schema"]["foreign_key_table"] == "authors"
    assert created["schema"]["foreign_key_column"] == "id"
    assert created["schema"]["on_delete"] == "SET NULL"
    assert created["meta"]["many_collection"] == "books"
    assert created["meta"]["one_collection"] == "authors"
    assert created["meta"]["one_field"] is None
    assert foreign_keys(db, "books") == {"author": ("authors", "id", "SET NULL")}
    assert ("author",) in indexed_columns(db, "books")

    execute(db, "INSERT INTO authors (id, name) VALUES (1, 'ann'), (2, 'bob')")
    execute(db, "INSERT INTO books (id, title, author) VALUES (1, 'a', 1), (2, 'b', 2)")
    with pytest.raises(sa.exc.IntegrityError):
        execute(db, "INSERT INTO books (id, author) VALUES (3, 99)")
    execute(db, "DELETE FROM authors WHERE id = 1")
    assert select(db, "SELECT id, author FROM books ORDER BY id") == [(1, None), (2, 2)]


def test_relation_without_schema_has_no_foreign_key(db, relations, books):
    created = relations.create(
        {"collection": "books", "field": "author", "related_collection": "authors", "schema": None}
    )

    assert created["schema"] is None
    assert created["meta"]["one_collection"] == "authors"
    assert foreign_keys(db, "books") == {}


def test_m2o_field_reads_its_foreign_key(fields, relations, books):
    relations.create({"collection": "books", "field": "author", "related_collection": "authors"})

    schema = fields.read_one("books", "author")["schema"]
    assert (schema["foreign_key_table"], schema["foreign_key_column"]) == ("authors", "id")
    assert schema["is_indexed"] is True


def test_o2m_alias_appears_on_the_related_collection(fields, relations, books):
    relations.create(
        {
            "collection": "books",
            "field": "author",
            "related_collection": "authors",
            "meta": {"one_field": "books"},
        }
    )

    alias = fields.read_one("authors", "books")
    assert alias["type"] == "alias"
    assert alias["schema"] is None
    assert alias["meta"]["special"] == ["o2m"]
    assert relations.read_one("books", "author")["meta"]["one_field"] == "books"


def test_o2m_alias_can_be_added_later_by_update(fields, relations, books):
    relations.create({"collection": "books", "field": "author", "related_collection": "authors"})

    updated = relations.update("books", "author", {"meta": {"one_field": "books"}})

    assert updated["meta"]["one_field"] == "books"
    assert fields.read_one("authors", "books")["meta"]["special"] == ["o2m"]


def test_renaming_or_removing_the_o2m_alias_leaves_no_old_alias(fields, relations, books):
    relations.create(
        {
            "collection": "books",
            "field": "author",
            "related_collection": "authors",
            "meta": {"one_field": "books"},
        }
    )

    relations.update("books", "author", {"meta": {"one_field": "writings"}})
    names = {f["field"] for f in fields.read_all("authors")}
    assert "writings" in names
    assert "books" not in names

    relations.update("books", "author", {"meta": {"one_field": None}})
    assert {f["field"] for f in fields.read_all("authors")} == {"id", "name"}
    assert relations.read_one("books", "author")["meta"]["one_field"] is None


def test_m2m_through_a_junction(db, collections, fields, relations):
    collections.create({"collection": "articles", "schema": {}})
    collections.create(
        {
            "collection": "tags",
            "schema": {},
            "fields": [{"field": "code", "type": "string", "schema": {"is_primary_key": True}}],
        }
    )
    collections.create(
        {
            "collection": "articles_tags",
            "schema": {},
            "meta": {"hidden": True},
            "fields": [
                {"field": "articles_id", "type": "integer"},
                {"field": "tags_code", "type": "string"},
            ],
        }
    )
    relations.create(
        {
            "collection": "articles_tags",
            "field": "articles_id",
            "related_collection": "articles",
            "schema": {"on_delete": "CASCADE"},
            "meta": {"one_field": "tags", "junction_field": "tags_code"},
        }
    )
    relations.create(
        {
            "collection": "articles_tags",
            "field": "tags_code",
            "related_collection": "tags",
            "schema": {"on_delete": "CASCADE"},
            "meta": {"junction_field": "articles_id"},
        }
    )

    rows = {r["field"]: r for r in relations.read_all("articles_tags")}
    assert set(rows) == {"articles_id", "tags_code"}
    assert rows["articles_id"]["meta"]["junction_field"] == "tags_code"
    assert rows["tags_code"]["meta"]["junction_field"] == "articles_id"
    assert rows["tags_code"]["related_collection"] == "tags"
    assert fields.read_one("articles", "tags")["meta"]["special"] == ["m2m"]
    assert foreign_keys(db, "articles_tags") == {
        "articles_id": ("articles", "id", "CASCADE"),
        "tags_code": ("tags", "code", "CASCADE"),
    }
    execute(db, "INSERT INTO articles (id) VALUES (1)")
    execute(db, "INSERT INTO tags (code) VALUES ('x'), ('y')")
    execute(db, "INSERT INTO articles_tags (articles_id, tags_code) VALUES (1, 'x'), (1, 'y')")
    execute(db, "DELETE FROM articles WHERE id = 1")
    assert select(db, "SELECT * FROM articles_tags") == []


def test_m2a_has_allowed_collections_and_no_foreign_key(db, collections, fields, relations):
    for name in ("pages", "headings", "texts"):
        collections.create({"collection": name, "schema": {}})
    collections.create(
        {
            "collection": "pages_blocks",
            "schema": {},
            "fields": [
                {"field": "pages_id", "type": "integer"},
                {"field": "item", "type": "string"},
                {"field": "collection", "type": "string"},
            ],
        }
    )
    fields.create("pages", {"field": "blocks", "type": "alias", "meta": {"special": ["m2a"]}})
    relations.create(
        {
            "collection": "pages_blocks",
            "field": "pages_id",
            "related_collection": "pages",
            "meta": {"one_field": "blocks", "junction_field": "item"},
        }
    )
    created = relations.create(
        {
            "collection": "pages_blocks",
            "field": "item",
            "related_collection": None,
            "meta": {
                "one_allowed_collections": ["headings", "texts"],
                "one_collection_field": "collection",
                "junction_field": "pages_id",
            },
        }
    )

    assert created["related_collection"] is None
    assert created["schema"] is None
    assert created["meta"]["one_collection"] is None
    assert created["meta"]["one_allowed_collections"] == ["headings", "texts"]
    assert created["meta"]["one_collection_field"] == "collection"
    assert created["meta"]["junction_field"] == "pages_id"
    assert set(foreign_keys(db, "pages_blocks")) == {"pages_id"}
    assert fields.read_one("pages", "blocks")["meta"]["special"] == ["m2a"]


def test_the_alias_made_for_a_many_to_any_junction_is_m2a(db, collections, fields, relations):
    for name in ("pages", "headings"):
        collections.create({"collection": name, "schema": {}})
    collections.create(
        {
            "collection": "pages_blocks",
            "schema": {},
            "fields": [
                {"field": "pages_id", "type": "integer"},
                {"field": "item", "type": "string"},
                {"field": "collection", "type": "string"},
            ],
        }
    )
    relations.create(
        {
            "collection": "pages_blocks",
            "field": "item",
            "related_collection": None,
            "meta": {
                "one_allowed_collections": ["headings"],
                "one_collection_field": "collection",
                "junction_field": "pages_id",
            },
        }
    )
    relations.create(
        {
            "collection": "pages_blocks",
            "field": "pages_id",
            "related_collection": "pages",
            "meta": {"one_field": "blocks", "junction_field": "item"},
        }
    )

    alias = fields.read_one("pages", "blocks")
    assert alias["type"] == "alias"
    assert alias["meta"]["special"] == ["m2a"]
    assert alias["meta"]["interface"] == "list-m2a"


def test_m2o_to_a_system_collection(db, collections, relations):
    collections.create(
        {"collection": "notes", "schema": {}, "fields": [{"field": "owner", "type": "uuid"}]}
    )

    created = relations.create(
        {"collection": "notes", "field": "owner", "related_collection": "directus_users"}
    )

    assert created["related_collection"] == "directus_users"
    assert foreign_keys(db, "notes") == {"owner": ("directus_users", "id", "SET NULL")}
    user = str(uuid.uuid4())
    execute(db, "INSERT INTO directus_users (id, email) VALUES (:id, 'a@x')", id=user)
    execute(db, "INSERT INTO notes (id, owner) VALUES (1, :id)", id=user)
    execute(db, "DELETE FROM directus_users WHERE id = :id", id=user)
    assert select(db, "SELECT owner FROM notes") == [(None,)]


def test_update_on_delete_to_cascade_takes_effect(db, relations, books):
    relations.create({"collection": "books", "field": "author", "related_collection": "authors"})
    execute(db, "INSERT INTO authors (id) VALUES (1), (2)")
    execute(db, "INSERT INTO books (id, title, author) VALUES (1, 'a', 1), (2, 'b', 2)")

    updated = relations.update("books", "author", {"schema": {"on_delete": "CASCADE"}})

    assert updated["schema"]["on_delete"] == "CASCADE"
    assert foreign_keys(db, "books") == {"author": ("authors", "id", "CASCADE")}
    assert select(db, "SELECT id, title, author FROM books ORDER BY id") == [
        (1, "a", 1),
        (2, "b", 2),
    ]
    execute(db, "DELETE FROM authors WHERE id = 1")
    assert select(db, "SELECT id FROM books") == [(2,)]


def test_meta_can_be_added_to_a_database_foreign_key(db, relations):
    execute(db, "CREATE TABLE owners (id integer PRIMARY KEY)")
    execute(db, "CREATE TABLE cars (id integer PRIMARY KEY, owner integer REFERENCES owners (id))")

    before = relations.read_one("cars", "owner")
    updated = relations.update("cars", "owner", {"meta": {"one_field": "cars"}})

    assert before["meta"] is None
    assert before["schema"]["foreign_key_table"] == "owners"
    assert updated["meta"]["one_collection"] == "owners"
    assert updated["meta"]["one_field"] == "cars"


def test_delete_drops_the_foreign_key_and_the_alias(db, fields, relations, books):
    relations.create(
        {
            "collection": "books",
            "field": "author",
            "related_collection": "authors",
            "meta": {"one_field": "books"},
        }
    )
    execute(db, "INSERT INTO authors (id) VALUES (1)")
    execute(db, "INSERT INTO books (id, author) VALUES (1, 1)")

    relations.delete("books", "author")

    assert foreign_keys(db, "books") == {}
    assert [f["field"] for f in fields.read_all("authors")] == ["id", "name"]
    assert fields.read_one("books", "author")["type"] == "integer"
    assert select(db, "SELECT id FROM directus_relations") == []
    assert select(db, "SELECT id, author FROM books") == [(1, 1)]
    with pytest.raises(ForbiddenError):
        relations.read_one("books", "author")
    execute(db, "INSERT INTO books (id, author) VALUES (2, 99)")  # no key any more


# --- failures that change nothing -------------------------------------------------------------

BAD_RELATIONS = {
    "missing-collection": {
        "collection": "nope",
        "field": "author",
        "related_collection": "authors",
    },
    "missing-related": {"collection": "books", "field": "author", "related_collection": "nope"},
    "related-folder": {"collection": "books", "field": "author", "related_collection": "content"},
    "m2a-to-folder": {
        "collection": "books",
        "field": "title",
        "meta": {"one_allowed_collections": ["content"], "one_collection_field": "title"},
    },
    "missing-field": {"collection": "books", "field": "nope", "related_collection": "authors"},
    "string-to-integer": {"collection": "books", "field": "title", "related_collection": "authors"},
    "integer-to-uuid": {
        "collection": "books",
        "field": "author",
        "related_collection": "directus_users",
    },
    "bad-on-delete": {
        "collection": "books",
        "field": "author",
        "related_collection": "authors",
        "schema": {"on_delete": "EXPLODE"},
    },
    "m2a-without-allowed": {"collection": "books", "field": "title", "meta": {}},
    "m2a-missing-allowed": {
        "collection": "books",
        "field": "title",
        "meta": {"one_allowed_collections": ["nope"], "one_collection_field": "title"},
    },
    "m2a-missing-holder": {
        "collection": "books",
        "field": "title",
        "meta": {"one_allowed_collections": ["authors"], "one_collection_field": "nope"},
    },
    "alias-over-a-column": {
        "collection": "books",
        "field": "author",
        "related_collection": "authors",
        "meta": {"one_field": "name"},
    },
    "bad-alias-name": {
        "collection": "books",
        "field": "author",
        "related_collection": "authors",
        "meta": {"one_field": "bad name"},
    },
    "no-field": {"collection": "books", "related_collection": "authors"},
    "meta-not-object": {
        "collection": "books",
        "field": "author",
        "related_collection": "authors",
        "meta": "x",
    },
}


def test_bad_relations_are_invalid_payload_and_change_nothing(
    collections, relations, books, state, subtests
):
    collections.create({"collection": "content", "schema": None})
    before = state()

    for case, payload in BAD_RELATIONS.items():
        with subtests.test(case), pytest.raises(InvalidPayloadError):
            relations.create(payload)
    assert state() == before


def test_a_second_relation_on_the_same_field_is_refused(relations, books, state):
    relations.create({"collection": "books", "field": "author", "related_collection": "authors"})
    before = state()

    with pytest.raises(InvalidPayloadError):
        relations.create(
            {"collection": "books", "field": "author", "related_collection": "authors"}
        )
    with pytest.raises(InvalidPayloadError):
        relations.update("books", "author", {"schema": {"on_delete": "EXPLODE"}})
    assert state() == before


def test_a_foreign_key_over_missing_rows_is_refused(db, relations, books, state):
    execute(db, "INSERT INTO books (id, author) VALUES (1, 99)")
    before = state()

    with pytest.raises(TesseraError) as raised:
        relations.create(
            {"collection": "books", "field": "author", "related_collection": "authors"}
        )
    assert raised.value.code == "INVALID_FOREIGN_KEY"
    assert state() == before


def test_unknown_relation_is_forbidden(relations, books, state):
    before = state()

    with pytest.raises(ForbiddenError):
        relations.read_all("nope")
    with pytest.raises(ForbiddenError):
        relations.read_one("books", "author")
    with pytest.raises(ForbiddenError):
        relations.update("books", "author", {"meta": {}})
    with pytest.raises(ForbiddenError):
        relations.delete("books", "author")
    assert state() == before


def test_non_admin_is_forbidden_everything(db, relations, books, state):
    relations.create({"collection": "books", "field": "author", "related_collection": "authors"})
    user = RelationsService(SchemaContext(db, SchemaCache(db), Accountability(user="u")))
    before = state()

    with pytest.raises(ForbiddenError):
        user.create({"collection": "books", "field": "title", "related_collection": "authors"})
    with pytest.raises(ForbiddenError):
        user.update("books", "author", {"schema": {"on_delete": "CASCADE"}})
    with pytest.raises(ForbiddenError):
        user.delete("books", "author")
    with pytest.raises(ForbiddenError):
        user.read_all()
    assert state() == before
