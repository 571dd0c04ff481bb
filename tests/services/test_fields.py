"""Fields: every type round-trips, alterations keep data, and bad changes change nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.errors import (
    ContainsNullValuesError,
    ForbiddenError,
    InvalidForeignKeyError,
    InvalidPayloadError,
    RecordNotUniqueError,
)
from tessera.schema.overview import SchemaCache
from tessera.services.fields import FieldsService
from tessera.services.schema_change import SchemaContext

#: (field, type, schema written) for every type that has a column.
COLUMN_FIELDS = [
    ("title", "string", {"max_length": 80, "is_nullable": False, "default_value": "it's"}),
    ("body", "text", {"default_value": 'say "hi"'}),
    ("views", "integer", {"default_value": -1, "is_indexed": True}),
    ("big", "bigInteger", {"default_value": 9_000_000_000}),
    ("ratio", "float", {"default_value": 1.5}),
    ("price", "decimal", {"numeric_precision": 12, "numeric_scale": 2, "default_value": 3.25}),
    ("published", "boolean", {"default_value": True, "is_nullable": False}),
    ("archived", "boolean", {"default_value": False}),
    ("day", "date", {"default_value": "2024-02-29"}),
    ("at", "dateTime", {"default_value": "CURRENT_TIMESTAMP"}),
    ("clock", "time", {"default_value": "12:30:00"}),
    ("stamp", "timestamp", {"default_value": "CURRENT_TIMESTAMP"}),
    ("data", "json", {"default_value": {"a": [1, "x"]}}),
    ("tags", "csv", {"default_value": "a,b"}),
    ("ref", "uuid", {"is_unique": True}),
    ("secret", "hash", {}),
    ("code", "string", {"is_unique": True, "is_indexed": True, "max_length": 12}),
]
#: What reading back must show when the payload did not say.
READ_DEFAULTS = {
    "max_length": None,
    "numeric_precision": None,
    "numeric_scale": None,
    "is_nullable": True,
    "default_value": None,
    "is_unique": False,
    "is_indexed": False,
    "is_primary_key": False,
    "has_auto_increment": False,
}
IMPLIED_LENGTH = {"hash": 255}
IMPLIED_SPECIAL = {"hash": ["hash"], "csv": ["cast-csv"]}


def expected_schema(field_type: str, written: dict) -> dict:
    expected = {**READ_DEFAULTS, **written}
    if field_type in IMPLIED_LENGTH:
        expected["max_length"] = IMPLIED_LENGTH[field_type]
    if field_type == "uuid" and expected["max_length"] is None:
        expected.pop("max_length")  # char(36) on SQLite, native uuid on PostgreSQL
    return expected


def assert_round_trip(field: dict, name: str, field_type: str, written: dict) -> None:
    assert field["field"] == name
    assert field["type"] == field_type
    schema = field["schema"]
    for key, value in expected_schema(field_type, written).items():
        assert schema[key] == value, f"{name}.{key}"
    special = (field["meta"] or {}).get("special")
    assert special == IMPLIED_SPECIAL.get(field_type), name


@pytest.fixture
def posts(collections):
    collections.create({"collection": "posts", "schema": {}})
    return "posts"


def insert(db, sql, **params):
    with db.write() as conn:
        conn.execute(sa.text(sql), params)


def select(db, sql, **params):
    with db.read() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def test_every_type_round_trips_through_fields_create(fields, posts, subtests):
    for name, field_type, schema in COLUMN_FIELDS:
        with subtests.test(field_type=field_type, schema=schema):
            created = fields.create(posts, {"field": name, "type": field_type, "schema": schema})

            assert_round_trip(created, name, field_type, schema)
            assert_round_trip(fields.read_one(posts, name), name, field_type, schema)


def test_every_type_round_trips_through_collection_create(collections, fields):
    collections.create(
        {
            "collection": "everything",
            "schema": {},
            "fields": [{"field": n, "type": t, "schema": s} for n, t, s in COLUMN_FIELDS],
        }
    )

    read = {f["field"]: f for f in fields.read_all("everything")}
    assert list(read) == ["id"] + [name for name, _, _ in COLUMN_FIELDS]
    for name, field_type, schema in COLUMN_FIELDS:
        assert_round_trip(read[name], name, field_type, schema)


def test_defaults_are_applied_by_the_database(db, collections):
    collections.create(
        {
            "collection": "posts",
            "schema": {},
            "fields": [{"field": n, "type": t, "schema": s} for n, t, s in COLUMN_FIELDS[:8]],
        }
    )
    insert(db, "INSERT INTO posts (id) VALUES (1)")

    (row,) = select(
        db, "SELECT title, body, views, big, ratio, price, published, archived FROM posts"
    )
    title, body, views, big, ratio, price, published, archived = row
    assert (title, body, views, big, ratio) == ("it's", 'say "hi"', -1, 9_000_000_000, 1.5)
    assert float(price) == 3.25
    assert bool(published) is True
    assert bool(archived) is False


def test_current_timestamp_default_fills_in_the_time(db, collections, fields):
    collections.create({"collection": "posts", "schema": {}})
    insert(db, "INSERT INTO posts (id) VALUES (1)")
    # Added to a table that has rows: SQLite can't ALTER TABLE ADD a non-constant default.
    fields.create(
        "posts", {"field": "created", "type": "dateTime", "schema": {"default_value": "now()"}}
    )
    insert(db, "INSERT INTO posts (id) VALUES (2)")

    assert fields.read_one("posts", "created")["schema"]["default_value"] == "CURRENT_TIMESTAMP"
    (created,) = select(db, "SELECT created FROM posts WHERE id = 2")[0]
    assert created is not None


def test_alias_field_has_no_column(db, fields, posts):
    created = fields.create(
        posts, {"field": "divider", "type": "alias", "meta": {"interface": "presentation-divider"}}
    )

    assert created["type"] == "alias"
    assert created["schema"] is None
    assert created["meta"]["special"] == ["alias"]
    assert created["meta"]["interface"] == "presentation-divider"
    with db.read() as conn:
        assert "divider" not in {c["name"] for c in sa.inspect(conn).get_columns(posts)}


def test_alias_type_is_implied_by_an_alias_special(fields, posts):
    created = fields.create(posts, {"field": "notes", "meta": {"special": ["no-data"]}})

    assert created["type"] == "alias"
    assert created["meta"]["special"] == ["no-data"]


def test_meta_is_stored_and_returned(fields, posts):
    meta = {
        "interface": "input",
        "note": "Shown in the list",
        "hidden": True,
        "width": "half",
        "options": {"placeholder": "Title"},
        "special": ["cast-json"],
    }
    created = fields.create(posts, {"field": "title", "type": "string", "meta": meta})

    for key, value in meta.items():
        assert created["meta"][key] == value
    assert created["meta"]["collection"] == posts


def test_a_required_field_can_be_added_to_an_empty_table(fields, posts):
    created = fields.create(
        posts, {"field": "title", "type": "string", "schema": {"is_nullable": False}}
    )

    assert created["schema"]["is_nullable"] is False


def test_a_required_field_without_default_is_refused_when_there_are_rows(db, fields, posts, state):
    insert(db, "INSERT INTO posts (id) VALUES (1)")
    before = state()

    with pytest.raises(InvalidPayloadError):
        fields.create(posts, {"field": "title", "type": "string", "schema": {"is_nullable": False}})
    assert state() == before


def test_a_required_field_with_default_fills_existing_rows(db, fields, posts):
    insert(db, "INSERT INTO posts (id) VALUES (1)")
    fields.create(
        posts,
        {
            "field": "status",
            "type": "string",
            "schema": {"is_nullable": False, "default_value": "draft"},
        },
    )

    assert select(db, "SELECT status FROM posts") == [("draft",)]


# --- updates -------------------------------------------------------------------------------


@pytest.fixture
def titled(db, fields, posts):
    fields.create(posts, {"field": "title", "type": "string", "schema": {"max_length": 20}})
    fields.create(posts, {"field": "views", "type": "integer", "schema": {"is_indexed": True}})
    insert(db, "INSERT INTO posts (id, title, views) VALUES (1, 'one', 10), (2, 'two', 20)")
    return posts


def test_update_changes_the_column_and_keeps_the_rows(db, fields, titled):
    updated = fields.update(
        titled,
        "title",
        {
            "schema": {
                "max_length": 100,
                "is_nullable": False,
                "default_value": "untitled",
                "is_unique": True,
            },
            "meta": {"note": "The title"},
        },
    )

    schema = updated["schema"]
    assert (schema["max_length"], schema["is_nullable"]) == (100, False)
    assert (schema["default_value"], schema["is_unique"]) == ("untitled", True)
    assert updated["meta"]["note"] == "The title"
    assert fields.read_one(titled, "views")["schema"]["is_indexed"] is True
    assert select(db, "SELECT id, title, views FROM posts ORDER BY id") == [
        (1, "one", 10),
        (2, "two", 20),
    ]
    insert(db, "INSERT INTO posts (id) VALUES (3)")
    assert select(db, "SELECT title FROM posts WHERE id = 3") == [("untitled",)]


def test_update_removes_unique_index_and_default(fields, titled):
    fields.update(titled, "title", {"schema": {"is_unique": True, "default_value": "x"}})
    fields.update(titled, "views", {"schema": {"is_indexed": False}})
    updated = fields.update(
        titled, "title", {"schema": {"is_unique": False, "default_value": None}}
    )

    assert (updated["schema"]["is_unique"], updated["schema"]["default_value"]) == (False, None)
    assert fields.read_one(titled, "views")["schema"]["is_indexed"] is False


def test_update_meta_only_leaves_the_column_alone(db, fields, titled):
    before = select(db, "SELECT * FROM posts ORDER BY id")
    updated = fields.update(titled, "title", {"meta": {"hidden": True, "special": ["cast-json"]}})

    assert updated["meta"]["hidden"] is True
    assert updated["meta"]["special"] == ["cast-json"]
    assert updated["schema"]["max_length"] == 20
    assert select(db, "SELECT * FROM posts ORDER BY id") == before


def test_update_can_not_rename_or_change_alias_type(fields, titled, state):
    fields.create(titled, {"field": "divider", "type": "alias"})
    before = state()

    with pytest.raises(InvalidPayloadError):
        fields.update(titled, "title", {"field": "heading"})
    with pytest.raises(InvalidPayloadError):
        fields.update(titled, "title", {"type": "alias"})
    with pytest.raises(InvalidPayloadError):
        fields.update(titled, "divider", {"type": "string"})
    with pytest.raises(InvalidPayloadError):
        fields.update(titled, "title", {"type": "nonsense"})
    with pytest.raises(InvalidPayloadError):
        fields.update(titled, "id", {"schema": {"is_primary_key": False}})
    assert state() == before


def test_making_a_column_required_over_nulls_is_contains_null_values(db, fields, titled, state):
    insert(db, "INSERT INTO posts (id) VALUES (3)")
    before = state()

    with pytest.raises(ContainsNullValuesError) as raised:
        fields.update(titled, "title", {"schema": {"is_nullable": False}})
    assert raised.value.code == "CONTAINS_NULL_VALUES"
    assert state() == before


def test_adding_a_unique_index_over_duplicates_is_record_not_unique(db, fields, titled, state):
    insert(db, "INSERT INTO posts (id, title) VALUES (3, 'one')")
    before = state()

    with pytest.raises(RecordNotUniqueError) as raised:
        fields.update(titled, "title", {"schema": {"is_unique": True}})
    assert raised.value.code == "RECORD_NOT_UNIQUE"
    assert state() == before


# --- failures that change nothing -------------------------------------------------------------


BAD_FIELDS = [
    {"field": "title", "type": "varchar"},
    {"field": "title"},
    {"field": "title", "type": "unknown"},
    {"field": "id", "type": "string"},
    {"field": "1st", "type": "string"},
    {"field": "my field", "type": "string"},
    {"field": 'x"; DROP TABLE posts; --', "type": "string"},
    {"field": "", "type": "string"},
    {"field": "x" * 65, "type": "string"},
    {"field": "title", "type": "string", "schema": {"max_length": "long"}},
    {"field": "title", "type": "string", "schema": {"is_primary_key": True}},
    {"field": "title", "type": "string", "schema": {"has_auto_increment": True}},
    {"field": "title", "type": "string", "schema": {"not_a_key": 1}},
    {"field": "title", "type": "integer", "schema": {"default_value": "abc"}},
    {"field": "title", "type": "boolean", "schema": {"default_value": "maybe"}},
    {"field": "title", "type": "string", "meta": "hidden"},
    "title",
]


def test_bad_field_payload_is_invalid_payload_and_changes_nothing(fields, posts, state, subtests):
    before = state()

    for payload in BAD_FIELDS:
        with subtests.test(payload=payload), pytest.raises(InvalidPayloadError):
            fields.create(posts, payload)
    assert state() == before


def test_duplicate_field_is_invalid_payload(fields, titled, state):
    before = state()

    with pytest.raises(InvalidPayloadError):
        fields.create(titled, {"field": "title", "type": "text"})
    with pytest.raises(InvalidPayloadError):
        fields.create(titled, {"field": "title", "type": "alias"})
    with pytest.raises(InvalidPayloadError):  # SQLite's names ignore case
        fields.create(titled, {"field": "Title", "type": "string"})
    assert state() == before


def test_unknown_collection_or_field_is_forbidden(fields, posts, state):
    before = state()

    with pytest.raises(ForbiddenError):
        fields.read_all("nope")
    with pytest.raises(ForbiddenError):
        fields.read_one(posts, "nope")
    with pytest.raises(ForbiddenError):
        fields.read_one("nope", "id")
    with pytest.raises(ForbiddenError):
        fields.create("nope", {"field": "title", "type": "string"})
    with pytest.raises(ForbiddenError):
        fields.update(posts, "nope", {"meta": {"hidden": True}})
    with pytest.raises(ForbiddenError):
        fields.delete(posts, "nope")
    assert state() == before


def test_non_admin_is_forbidden_everything(db, titled, state):
    user = FieldsService(SchemaContext(db, SchemaCache(db), Accountability(user="u", admin=False)))
    before = state()

    with pytest.raises(ForbiddenError):
        user.create(titled, {"field": "body", "type": "text"})
    with pytest.raises(ForbiddenError):
        user.update(titled, "title", {"schema": {"max_length": 5}})
    with pytest.raises(ForbiddenError):
        user.delete(titled, "title")
    with pytest.raises(ForbiddenError):
        user.read_all(titled)
    assert state() == before


def test_admin_accountability_may_change_the_schema(db, posts):
    caller = Accountability(user="0d6d1a52-2f4c-4a49-9d57-8d3f7b2a7c11", admin=True)
    admin = FieldsService(SchemaContext(db, SchemaCache(db), caller))

    assert admin.create(posts, {"field": "body", "type": "text"})["type"] == "text"


# --- deletes -------------------------------------------------------------------------------


def test_delete_drops_column_and_meta(db, fields, collections, titled):
    fields.update(titled, "title", {"meta": {"note": "x"}})
    collections.update(titled, {"meta": {"sort_field": "views", "archive_field": "title"}})
    fields.delete(titled, "views")
    fields.delete(titled, "title")

    with db.read() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns(titled)] == ["id"]
        assert sa.inspect(conn).get_indexes(titled) == []
    assert [f["field"] for f in fields.read_all(titled)] == ["id"]
    meta = collections.read_one(titled)["meta"]
    assert (meta["sort_field"], meta["archive_field"]) == (None, None)
    assert select(db, "SELECT id FROM posts ORDER BY id") == [(1,), (2,)]


def test_delete_alias_field(fields, posts):
    fields.create(posts, {"field": "divider", "type": "alias"})
    fields.delete(posts, "divider")

    assert [f["field"] for f in fields.read_all(posts)] == ["id"]


def test_deleting_the_primary_key_is_invalid_payload(fields, titled, state):
    before = state()

    with pytest.raises(InvalidPayloadError):
        fields.delete(titled, "id")
    assert state() == before


def test_system_columns_can_not_be_deleted_or_altered(db, fields):
    with pytest.raises(InvalidPayloadError, match="System field"):
        fields.delete("directus_users", "password")
    with pytest.raises(InvalidPayloadError, match="System field"):
        fields.update("directus_users", "email", {"schema": {"max_length": 20}})
    with db.read() as conn:
        columns = {c["name"]: c for c in sa.inspect(conn).get_columns("directus_users")}
    assert "password" in columns
    assert columns["email"]["type"].length == 128


def test_fields_added_to_a_system_collection_are_the_admins_to_change(fields):
    fields.create("directus_users", {"field": "nickname", "type": "string"})
    fields.update("directus_users", "nickname", {"schema": {"max_length": 40}})
    assert fields.read_one("directus_users", "nickname")["schema"]["max_length"] == 40
    fields.delete("directus_users", "nickname")
    names = {f["field"] for f in fields.read_all("directus_users")}
    assert "nickname" not in names
    assert "email" in names


def test_deleting_a_field_a_relation_uses_is_invalid_payload(collections, fields, relations, state):
    collections.create({"collection": "authors", "schema": {}})
    collections.create(
        {"collection": "books", "schema": {}, "fields": [{"field": "author", "type": "integer"}]}
    )
    relations.create({"collection": "books", "field": "author", "related_collection": "authors"})
    before = state()

    with pytest.raises(InvalidPayloadError):
        fields.delete("books", "author")
    assert state() == before


# --- rollback and SQLite table rebuilds --------------------------------------------------------


@pytest.fixture
def family(db, collections, fields, relations):
    """parents ← children (CASCADE) and children → tags: a table keyed both ways, with rows."""
    collections.create(
        {
            "collection": "tags",
            "schema": {},
            "fields": [{"field": "code", "type": "string", "schema": {"is_primary_key": True}}],
        }
    )
    collections.create(
        {
            "collection": "parents",
            "schema": {},
            "fields": [
                {"field": "name", "type": "string", "schema": {"max_length": 10}},
                {"field": "rank", "type": "integer", "schema": {"is_indexed": True}},
                {"field": "email", "type": "string", "schema": {"is_unique": True}},
                {"field": "tag", "type": "string"},
            ],
        }
    )
    collections.create(
        {"collection": "children", "schema": {}, "fields": [{"field": "parent", "type": "integer"}]}
    )
    relations.create(
        {
            "collection": "children",
            "field": "parent",
            "related_collection": "parents",
            "schema": {"on_delete": "CASCADE"},
        }
    )
    relations.create({"collection": "parents", "field": "tag", "related_collection": "tags"})
    insert(db, "INSERT INTO tags (code) VALUES ('a'), ('b')")
    insert(
        db,
        "INSERT INTO parents (id, name, rank, email, tag) VALUES "
        "(1, 'same', 1, 'a@x', 'a'), (2, 'same', 2, 'b@x', 'b'), (3, 'other', 3, NULL, NULL)",
    )
    insert(db, "INSERT INTO children (id, parent) VALUES (1, 1), (2, 1), (3, 2), (4, 3)")


def foreign_key_list(db, table):
    if not db.is_sqlite:
        return None
    with db.read() as conn:
        return sorted(
            tuple(row) for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})")
        )


def test_failure_in_the_middle_of_a_rebuild_rolls_everything_back(db, fields, family, state):
    before = state()
    pragma = {t: foreign_key_list(db, t) for t in ("parents", "children")}

    with pytest.raises(RecordNotUniqueError):
        # A longer name forces a rebuild on SQLite; the unique index then fails over "same".
        fields.update(
            "parents",
            "name",
            {"schema": {"max_length": 50, "is_unique": True}, "meta": {"note": "changed"}},
        )

    assert state() == before
    assert {t: foreign_key_list(db, t) for t in ("parents", "children")} == pragma
    assert fields.read_one("parents", "name")["schema"]["max_length"] == 10
    assert fields.read_one("parents", "name")["meta"] is None
    if db.is_sqlite:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(sa.exc.IntegrityError):
        insert(db, "INSERT INTO children (id, parent) VALUES (9, 99)")


ALTERATIONS = [
    {"schema": {"max_length": 50}},
    {"schema": {"is_nullable": False, "default_value": "x"}},
    {"schema": {"is_indexed": True}},
    {"type": "text"},
]


def test_alterations_keep_rows_indexes_and_keys_both_ways(db, fields, family, state, subtests):
    before = state()
    kept = [i for i in before["parents"]["indexes"] if "name" not in i[1]]

    for change in ALTERATIONS:
        with subtests.test(change=change):
            fields.update("parents", "name", change)

            after = state()
            for table in ("tags", "children"):
                assert after[table] == before[table]
            assert after["parents"]["rows"] == before["parents"]["rows"]
            assert after["parents"]["fks"] == before["parents"]["fks"]
            assert [i for i in after["parents"]["indexes"] if "name" not in i[1]] == kept
    # The keys still act: the cascade from parents, the check into tags.
    insert(db, "DELETE FROM parents WHERE id = 1")
    assert select(db, "SELECT id FROM children ORDER BY id") == [(3,), (4,)]
    with pytest.raises(sa.exc.IntegrityError):
        insert(db, "UPDATE parents SET tag = 'zzz' WHERE id = 2")


# --- tables made by hand ---------------------------------------------------------------------


@pytest.fixture
def hand_made(db, context):
    """Constraints written inline, which a rebuild from plain reflection would lose."""
    insert(db, "CREATE TABLE makers (id integer PRIMARY KEY, name varchar(20))")
    insert(
        db,
        "CREATE TABLE gadgets (id integer PRIMARY KEY, code varchar(10) UNIQUE,"
        " qty integer CHECK (qty >= 0), note varchar(20),"
        " maker integer REFERENCES makers (id) ON DELETE CASCADE)",
    )
    insert(db, "INSERT INTO makers (id) VALUES (1), (2)")
    insert(db, "INSERT INTO gadgets (id, code, qty, maker) VALUES (1, 'a', 1, 1), (2, 'b', 2, 2)")
    context.cache.clear()
    return "gadgets"


def test_hand_made_constraints_survive_an_alteration(db, fields, relations, hand_made, subtests):
    fields.update(hand_made, "note", {"schema": {"max_length": 200, "default_value": "n"}})

    with subtests.test("unique"):
        assert fields.read_one(hand_made, "code")["schema"]["is_unique"] is True
        with pytest.raises(sa.exc.IntegrityError):
            insert(db, "INSERT INTO gadgets (id, code) VALUES (3, 'a')")
    with subtests.test("check"), pytest.raises(sa.exc.IntegrityError):
        insert(db, "INSERT INTO gadgets (id, qty) VALUES (3, -1)")
    with subtests.test("on delete"):
        assert relations.read_one(hand_made, "maker")["schema"]["on_delete"] == "CASCADE"
        insert(db, "DELETE FROM makers WHERE id = 1")
        assert select(db, "SELECT id FROM gadgets") == [(2,)]


def test_hand_made_unique_can_be_removed(db, fields, hand_made):
    updated = fields.update(hand_made, "code", {"schema": {"is_unique": False}})

    assert updated["schema"]["is_unique"] is False
    insert(db, "INSERT INTO gadgets (id, code) VALUES (3, 'a')")
    assert fields.read_one(hand_made, "qty")["schema"]["is_nullable"] is True


def test_hand_made_columns_with_constraints_can_be_deleted(db, fields, hand_made):
    fields.delete(hand_made, "code")
    fields.delete(hand_made, "qty")

    assert [f["field"] for f in fields.read_all(hand_made)] == ["id", "note", "maker"]
    assert select(db, "SELECT id, maker FROM gadgets ORDER BY id") == [(1, 1), (2, 2)]


def test_comment_is_kept_where_the_database_has_comments(db, fields, posts):
    created = fields.create(
        posts, {"field": "title", "type": "string", "schema": {"comment": "c1"}}
    )
    updated = fields.update(posts, "title", {"schema": {"comment": "c2"}})

    expected = ("c1", "c2") if db.is_postgres else (None, None)  # SQLite has no column comments
    assert (created["schema"]["comment"], updated["schema"]["comment"]) == expected


def test_uniqueness_a_foreign_key_relies_on_can_not_be_removed(db, fields, hand_made, state):
    insert(
        db,
        "CREATE TABLE labels (id integer PRIMARY KEY, code varchar(10) REFERENCES gadgets (code))",
    )
    before = state()

    with pytest.raises(InvalidPayloadError):
        fields.update(hand_made, "code", {"schema": {"is_unique": False}})
    assert state() == before


@pytest.mark.sqlite_only
def test_a_broken_key_elsewhere_does_not_block_schema_changes(db, fields, titled):
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("CREATE TABLE owners (id integer PRIMARY KEY)")
        raw.execute("CREATE TABLE pets (id integer PRIMARY KEY, owner integer REFERENCES owners)")
        raw.execute("INSERT INTO pets (id, owner) VALUES (1, 99)")  # no owner 99
        raw.execute("PRAGMA foreign_keys=ON")

    fields.update(titled, "title", {"schema": {"max_length": 99}})  # rebuilds posts only
    assert fields.read_one(titled, "title")["schema"]["max_length"] == 99

    with pytest.raises(InvalidForeignKeyError):
        fields.update("pets", "owner", {"schema": {"is_indexed": True, "is_nullable": False}})
