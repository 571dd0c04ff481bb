"""Writing items through the service: every method, specials, errors, activity, permissions."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from callers import grant, make_caller
from tessera.access.accountability import Accountability
from tessera.access.passwords import verify_password
from tessera.config import ConfigError, load_settings
from tessera.db.system_tables import directus_activity, directus_revisions
from tessera.errors import (
    FailedValidationError,
    ForbiddenError,
    InvalidForeignKeyError,
    InvalidPayloadError,
    NotNullViolationError,
    RecordNotUniqueError,
    RouteNotFoundError,
)
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.collections import CollectionsService
from tessera.services.items import ItemsService
from tessera.services.schema_change import SchemaContext

ADMIN = Accountability(user=str(uuid.uuid4()), admin=True, app=True)


def service(db, accountability=ADMIN, **settings):
    loaded = load_settings(env_file=None, secret="s", db_filename="unused.db", **settings)
    return ItemsService(db, SchemaCache(db), loaded, accountability)


@pytest.fixture
def items(blog_db):
    return service(blog_db)


@pytest.fixture
def things(blog_db):
    """A collection with a uuid key, a default, a unique and a required field, and specials."""
    context = SchemaContext(blog_db, SchemaCache(blog_db))
    CollectionsService(context).create(
        {
            "collection": "things",
            "schema": {},
            "meta": {"accountability": "all"},
            "fields": [
                {
                    "field": "id",
                    "type": "uuid",
                    "meta": {"special": ["uuid"]},
                    "schema": {"is_primary_key": True},
                },
                {"field": "name", "type": "string", "schema": {"is_nullable": False}},
                {"field": "code", "type": "string", "schema": {"is_unique": True}},
                {"field": "status", "type": "string", "schema": {"default_value": "new"}},
                {"field": "created", "type": "timestamp", "meta": {"special": ["date-created"]}},
                {"field": "updated_by", "type": "uuid", "meta": {"special": ["user-updated"]}},
                {"field": "pin", "type": "string", "meta": {"special": ["hash", "conceal"]}},
                {"field": "labels", "type": "csv", "meta": {"special": ["cast-csv"]}},
                {
                    "field": "rank",
                    "type": "integer",
                    "meta": {"validation": {"rank": {"_lte": 10}}},
                },
            ],
        }
    )
    return "things"


def rows(db, table, order="id"):
    with db.read() as conn:
        found = conn.execute(sa.text(f'SELECT * FROM "{table}" ORDER BY "{order}"'))
        return [dict(row._mapping) for row in found]


def activity(db):
    with db.read() as conn:
        table = directus_activity
        found = conn.execute(
            sa.select(table.c.id, table.c.action, table.c.collection, table.c.item).order_by(
                table.c.id
            )
        )
        return [tuple(row)[1:] for row in found]


def revisions(db):
    with db.read() as conn:
        table = directus_revisions
        found = conn.execute(sa.select(table).order_by(table.c.id))
        return [dict(row._mapping) for row in found]


# --- create -------------------------------------------------------------------------------


def test_create_one_returns_the_new_key_and_stores_the_item(items):
    key = items.create_one("articles", {"title": "Fresh", "rating": 3, "flags": {"a": [1]}})
    assert key == 5
    assert items.read_one("articles", key, {"fields": ["title", "rating", "flags"]}) == {
        "title": "Fresh",
        "rating": 3,
        "flags": {"a": [1]},
    }


def test_create_applies_specials_and_leaves_defaults_to_the_database(items, things):
    key = items.create_one(things, {"name": "box", "pin": "1234", "labels": ["a", "b"]})
    uuid.UUID(key)
    item = items.read_one(things, key)
    assert item["status"] == "new"
    assert item["created"] is not None
    assert item["updated_by"] is None  # stamped on update only
    assert item["pin"] == "**********"
    assert item["labels"] == ["a", "b"]
    stored = rows(items.db, things)[0]
    assert verify_password(stored["pin"], "1234")
    items.update_one(things, key, {"name": "crate"})
    assert items.read_one(things, key, {"fields": ["updated_by"]}) == {"updated_by": ADMIN.user}


def test_create_many_returns_keys_in_order_and_writes_all_or_nothing(items):
    assert items.create_many("tags", [{"name": "x"}, {"name": "y"}]) == [4, 5]
    before = rows(items.db, "tags")
    with pytest.raises(InvalidForeignKeyError):
        items.create_many("articles", [{"title": "ok"}, {"title": "bad", "author": 999}])
    assert rows(items.db, "tags") == before
    assert [a["title"] for a in rows(items.db, "articles")][-1] == "Orphan"


def test_alias_and_unknown_keys_are_dropped_for_admins(items):
    key = items.create_one("tags", {"name": "z", "nonsense": 1, "id_alias": None})
    assert items.read_one("tags", key) == {"id": key, "name": "z"}


def test_an_explicit_integer_key_is_kept_and_later_keys_follow_it(items):
    assert items.create_one("tags", {"id": 40, "name": "forty"}) == 40
    assert items.create_one("tags", {"name": "next"}) == 41


def test_wrong_shapes_are_invalid_payload(items):
    with pytest.raises(InvalidPayloadError, match="has to be an object"):
        items.create_one("tags", ["name"])
    with pytest.raises(InvalidPayloadError, match="array of items"):
        items.create_many("tags", {"name": "x"})
    with pytest.raises(InvalidPayloadError, match='field "rating"'):
        items.create_one("articles", {"title": "t", "rating": "many"})
    with pytest.raises(InvalidPayloadError, match='field "title"'):
        items.create_one("articles", {"title": {"nested": "object"}})
    with pytest.raises(ForbiddenError):
        items.create_one("tags", {"id": "not-a-number", "name": "x"})


def test_unknown_collections_are_forbidden(items):
    with pytest.raises(ForbiddenError):
        items.create_one("nowhere", {"a": 1})
    with pytest.raises(ForbiddenError):
        items.delete_one("nowhere", 1)


def test_unique_violation_is_record_not_unique(items, things):
    first = items.create_one(things, {"name": "a", "code": "X1"})
    with pytest.raises(RecordNotUniqueError) as caught:
        items.create_one(things, {"name": "b", "code": "X1"})
    assert caught.value.to_dict() == {
        "message": f'Value "X1" for field "code" in collection "{things}" has to be unique.',
        "extensions": {
            "code": "RECORD_NOT_UNIQUE",
            "collection": things,
            "field": "code",
            "value": "X1",
        },
    }
    items.create_one(things, {"name": "c", "code": "X2"})
    with pytest.raises(RecordNotUniqueError) as on_update:
        items.update_many(things, [first], {"code": "X2"})
    assert on_update.value.extensions["value"] == "X2"


def test_missing_required_and_field_validation_fail_with_every_failure(items, things):
    with pytest.raises(FailedValidationError) as caught:
        items.create_one(things, {"rank": 11})
    assert [(f["field"], f["type"]) for f in caught.value.failures] == [
        ("name", "required"),
        ("rank", "lte"),
    ]
    key = items.create_one(things, {"name": "ok"})
    with pytest.raises(FailedValidationError, match="null"):
        items.update_one(things, key, {"name": None})


def test_internal_calls_skip_validation_but_the_database_still_refuses(blog_db, things):
    internal = service(blog_db, None)
    assert internal.create_one(things, {"name": "n", "rank": 99})
    with pytest.raises(NotNullViolationError):
        internal.create_one(things, {"name": None})


# --- update -------------------------------------------------------------------------------


def titles(items):
    return {a["id"]: a["title"] for a in rows(items.db, "articles")}


def test_update_one_many_and_batch(items):
    assert items.update_one("articles", 1, {"title": "One"}) == 1
    assert items.update_many("articles", [2, "3"], {"rating": 1}) == [2, 3]
    assert items.update_batch("articles", [{"id": 2, "title": "Two"}, {"id": 4, "body": "x"}]) == [
        2,
        4,
    ]
    assert titles(items) == {1: "One", 2: "Two", 3: "MCP in practice", 4: "Orphan"}
    assert [a["rating"] for a in rows(items.db, "articles")] == [5, 1, 1, None]


def test_update_batch_needs_every_key_and_rolls_back_as_one(items):
    before = titles(items)
    with pytest.raises(InvalidPayloadError, match="misses primary key"):
        items.update_batch("articles", [{"id": 1, "title": "changed"}, {"title": "no key"}])
    assert titles(items) == before


def test_update_by_query_resolves_keys_first(items):
    keys = items.update_by_query(
        "articles", {"filter": {"status": {"_eq": "published"}}}, {"status": "done"}
    )
    assert keys == [1, 3]
    assert items.update_by_query("articles", {"filter": {"id": {"_eq": 99}}}, {"title": "x"}) == []
    assert [a["status"] for a in rows(items.db, "articles")] == [
        "done",
        "draft",
        "done",
        "archived",
    ]


def test_update_of_a_key_of_the_wrong_type_is_forbidden(items):
    with pytest.raises(ForbiddenError):
        items.update_one("articles", "abc", {"title": "x"})


# --- delete -------------------------------------------------------------------------------


def test_delete_one_many_and_by_query(items):
    assert items.delete_one("articles", 4) == 4
    assert items.delete_many("tags", [3]) == [3]
    assert items.delete_by_query("comments", {"filter": {"likes": {"_gte": 5}}}) == [1, 5]
    assert [a["id"] for a in rows(items.db, "articles")] == [1, 2, 3]
    assert [t["id"] for t in rows(items.db, "tags")] == [1, 2]
    comments = rows(items.db, "comments")
    assert [c["id"] for c in comments] == [2, 3, 4]
    assert comments[0]["parent"] is None  # the database set the reply's parent to null


# --- singletons ---------------------------------------------------------------------------


def test_singletons_are_upserted_and_not_created(items):
    with pytest.raises(RouteNotFoundError):
        items.create_one("notes", {"motto": "x"})
    first = items.upsert_singleton("notes", {"motto": "carpe diem"})
    assert items.upsert_singleton("notes", {"motto": "memento mori"}) == first
    assert rows(items.db, "notes") == [{"id": first, "motto": "memento mori"}]


# --- MAX_BATCH_MUTATION -------------------------------------------------------------------


def test_max_batch_mutation_counts_nested_writes(blog_db):
    capped = service(blog_db, max_batch_mutation=3)
    payload = {"title": "t", "author": {"name": "a"}, "comments": [{"text": "c"}]}
    assert capped.create_one("articles", payload)
    before = rows(blog_db, "authors"), rows(blog_db, "comments"), rows(blog_db, "articles")
    payload["comments"] = [{"text": "c"}, {"text": "d"}]
    with pytest.raises(InvalidPayloadError, match="max batch mutation limit of 3"):
        capped.create_one("articles", payload)
    assert (
        rows(blog_db, "authors"),
        rows(blog_db, "comments"),
        rows(blog_db, "articles"),
    ) == before
    with pytest.raises(InvalidPayloadError):
        capped.update_many("tags", [1, 2, 3, 1], {"name": "n"})


@pytest.mark.parametrize(("raw", "expected"), [("Infinity", None), ("", None), ("25", 25)])
def test_max_batch_mutation_setting(raw, expected):
    assert load_settings(env_file=None, max_batch_mutation=raw).max_batch_mutation == expected


def test_max_batch_mutation_setting_refuses_negatives():
    with pytest.raises(ConfigError, match="MAX_BATCH_MUTATION"):
        load_settings(env_file=None, max_batch_mutation="-1")


# --- activity and revisions ---------------------------------------------------------------


def test_create_update_delete_leave_activity_and_revisions(items):
    before = len(activity(items.db))
    key = items.create_one("tags", {"name": "fresh"})
    items.update_one("tags", key, {"name": "renamed"})
    items.delete_one("tags", key)
    assert activity(items.db)[before:] == [
        ("create", "tags", str(key)),
        ("update", "tags", str(key)),
        ("delete", "tags", str(key)),
    ]
    created, updated = revisions(items.db)[-2:]
    assert (created["data"], created["delta"]) == ({"name": "fresh"}, {"name": "fresh"})
    assert updated["data"] == {"id": key, "name": "renamed"}
    assert updated["delta"] == {"name": "renamed"}


def test_revisions_leave_out_relational_fields_and_mask_concealed_ones(items):
    items.update_one("articles", 2, {"author": 1, "secret": "new secret", "rating": 3})
    revision = revisions(items.db)[-1]
    assert revision["delta"] == {"author": 1, "secret": "**********", "rating": 3}
    assert "author" not in revision["data"]
    assert revision["data"]["secret"] == "**********"
    assert revision["data"]["rating"] == 3


def test_nested_revisions_point_at_the_revision_of_the_level_that_wrote_them(items):
    items.create_one(
        "articles",
        {"title": "T", "author": {"name": "N"}, "tags": [{"tags_id": {"name": "new"}}]},
    )
    found = {r["collection"]: r for r in revisions(items.db)}
    article = found["articles"]
    assert found["authors"]["parent"] == article["id"]
    assert found["articles_tags"]["parent"] == article["id"]
    assert found["tags"]["parent"] == found["articles_tags"]["id"]
    assert article["parent"] is None
    assert article["data"] == {"title": "T"}


def test_accountability_setting_decides_what_is_recorded(blog_db):
    with blog_db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO directus_collections (collection, accountability) "
            "VALUES ('tags', 'activity'), ('headings', NULL)"
        )
    items = service(blog_db)
    before, kept = len(activity(blog_db)), len(revisions(blog_db))
    items.create_one("tags", {"name": "logged"})
    items.create_one("headings", {"title": "silent"})
    service(blog_db, None).create_one("tags", {"name": "internal"})
    assert activity(blog_db)[before:] == [("create", "tags", "4")]
    assert len(revisions(blog_db)) == kept


# --- permissions --------------------------------------------------------------------------


def test_create_merges_presets_under_the_payload_within_the_field_list(blog_db):
    caller = make_caller(
        blog_db,
        [
            grant(
                "articles",
                "create",
                fields="title,status,body",
                presets={"status": "draft", "body": "$CURRENT_USER"},
            ),
            grant("articles", "read"),
        ],
    )
    editor = service(blog_db, caller)
    key = editor.create_one("articles", {"title": "Mine"})
    other = editor.create_one("articles", {"title": "Sent", "status": "review"})
    stored = {a["id"]: a for a in rows(blog_db, "articles")}
    assert (stored[key]["status"], stored[key]["body"]) == ("draft", caller.user)
    assert stored[other]["status"] == "review"
    with pytest.raises(ForbiddenError, match='field "rating" in collection "articles"'):
        editor.create_one("articles", {"title": "x", "rating": 2})
    with pytest.raises(ForbiddenError):
        editor.create_one("articles", {"title": "x", "comments": []})


def test_create_needs_a_create_permission_and_passes_its_validation(blog_db):
    caller = make_caller(
        blog_db, [grant("articles", "create", validation={"rating": {"_between": [1, 5]}})]
    )
    editor = service(blog_db, caller)
    with pytest.raises(ForbiddenError, match='collection "tags"'):
        editor.create_one("tags", {"name": "x"})
    with pytest.raises(FailedValidationError) as caught:
        editor.create_one("articles", {"title": "x", "rating": 9})
    assert caught.value.failures[0]["field"] == "rating"
    assert editor.create_one("articles", {"title": "x", "rating": 4})


def test_update_needs_every_key_inside_the_row_rule(blog_db):
    caller = make_caller(
        blog_db,
        [grant("articles", "update", fields="title", rule={"status": {"_eq": "draft"}})],
    )
    editor = service(blog_db, caller)
    assert editor.update_one("articles", 2, {"title": "Edited draft"}) == 2
    before = rows(blog_db, "articles")
    with pytest.raises(ForbiddenError, match='"update"'):
        editor.update_many("articles", [1, 2], {"title": "Sneaky"})
    with pytest.raises(ForbiddenError):
        editor.update_one("articles", 99, {"title": "Missing"})
    with pytest.raises(ForbiddenError, match='field "rating"'):
        editor.update_one("articles", 2, {"rating": 1})
    assert rows(blog_db, "articles") == before


def test_a_field_granted_under_another_rule_cannot_be_updated_outside_it(blog_db):
    caller = make_caller(
        blog_db,
        [
            grant("articles", "update", fields="title"),
            grant("articles", "update", fields="rating", rule={"status": {"_eq": "draft"}}),
        ],
    )
    editor = service(blog_db, caller)
    editor.update_one("articles", 2, {"rating": 1})
    editor.update_one("articles", 1, {"title": "fine"})
    with pytest.raises(ForbiddenError):
        editor.update_one("articles", 1, {"rating": 1})


def test_delete_needs_every_key_inside_the_row_rule(blog_db):
    caller = make_caller(
        blog_db,
        [
            grant("articles", "delete", rule={"status": {"_eq": "archived"}}),
            grant("articles", "read"),
        ],
    )
    editor = service(blog_db, caller)
    with pytest.raises(ForbiddenError):
        editor.delete_many("articles", [3, 4])
    assert editor.delete_by_query("articles", {"filter": {"title": {"_eq": "Orphan"}}}) == [4]
    with pytest.raises(ForbiddenError):
        editor.delete_by_query("articles", {"filter": {"status": {"_eq": "draft"}}})
    assert [a["id"] for a in rows(blog_db, "articles")] == [1, 2, 3]


def test_writing_permissions_reaches_callers_whose_permissions_were_cached(blog_db):
    caller = make_caller(blog_db, [grant("articles", "read")])
    shared = AccessCache()
    reader, admin = service(blog_db, caller), service(blog_db)
    reader.cache = admin.cache = shared
    with pytest.raises(ForbiddenError):
        reader.read_by_query("tags")
    admin.create_one(
        "directus_permissions",
        {"policy": caller.policies[0], "collection": "tags", "action": "read", "fields": "*"},
    )
    assert len(reader.read_by_query("tags").data) == 3
