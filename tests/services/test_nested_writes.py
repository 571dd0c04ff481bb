"""Nested writes: many-to-one, one-to-many, many-to-many and many-to-any values in a payload."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from callers import grant, make_caller
from tessera.access.accountability import Accountability
from tessera.config import load_settings
from tessera.errors import FailedValidationError, ForbiddenError, InvalidPayloadError
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService

ADMIN = Accountability(user=str(uuid.uuid4()), admin=True, app=True)
BLOG = (
    "authors",
    "articles",
    "comments",
    "tags",
    "articles_tags",
    "headings",
    "texts",
    "articles_blocks",
    "notes",
    "directus_activity",
    "directus_revisions",
)


def service(db, accountability=ADMIN):
    settings = load_settings(env_file=None, secret="s", db_filename="unused.db")
    return ItemsService(db, SchemaCache(db), settings, accountability)


@pytest.fixture
def items(blog_db):
    return service(blog_db)


def everything(db):
    """Every row of the blog and of the audit trail, to prove a failed write left nothing."""
    with db.read() as conn:
        return {
            table: [tuple(row) for row in conn.execute(sa.text(f'SELECT * FROM "{table}"'))]
            for table in BLOG
        }


def children(items, article, field="comments.id"):
    found = items.read_one("articles", article, {"fields": [field]})
    top, _, rest = field.partition(".")
    return [child[rest] if rest else child for child in found[top]]


def comment(items, key):
    return items.read_one("comments", key, {"fields": ["article", "text"]})


# --- a whole tree at once -----------------------------------------------------------------


def test_create_an_article_with_every_kind_of_nested_value(items):
    key = items.create_one(
        "articles",
        {
            "title": "New",
            "author": {"name": "Zed"},
            "comments": [{"text": "first!"}, 4],
            "tags": [{"tags_id": 1}, {"tags_id": {"name": "new"}}],
            "blocks": [
                {"collection": "headings", "item": {"title": "H"}},
                {"collection": "texts", "item": 1},
            ],
        },
    )
    got = items.read_one(
        "articles",
        key,
        {
            "fields": [
                "title",
                "author.name",
                "comments.text",
                "tags.tags_id.name",
                "blocks.collection",
                "blocks.item:headings.title",
                "blocks.item:texts.body",
            ]
        },
    )
    assert got == {
        "title": "New",
        "author": {"name": "Zed"},
        "comments": [{"text": "nice"}, {"text": "first!"}],
        "tags": [{"tags_id": {"name": "red"}}, {"tags_id": {"name": "new"}}],
        "blocks": [
            {"collection": "headings", "item": {"title": "H"}},
            {"collection": "texts", "item": {"body": "Body text"}},
        ],
    }
    everything_at_once = items.read_one("articles", key, {"fields": ["*.*"]})
    assert everything_at_once["author"]["articles"] == [key]
    assert [c["id"] for c in everything_at_once["comments"]] == [4, 6]
    assert comment(items, 4)["article"] == key  # taken over from article 2


# --- many-to-one --------------------------------------------------------------------------


def test_a_many_to_one_object_with_a_key_updates_that_item(items):
    items.update_one("articles", 2, {"author": {"id": 1, "name": "Ann B."}})
    assert items.read_one("articles", 2, {"fields": ["author.id", "author.name"]}) == {
        "author": {"id": 1, "name": "Ann B."}
    }


def test_a_many_to_one_object_with_an_unknown_key_creates_it_with_that_key(items):
    items.update_one("articles", 2, {"author": {"id": 50, "name": "Fifty"}})
    assert items.read_one("articles", 2, {"fields": ["author.id"]}) == {"author": {"id": 50}}


def test_a_many_to_one_key_or_null_is_written_as_is(items):
    items.update_one("articles", 1, {"author": 2})
    items.update_one("articles", 3, {"author": None})
    assert [a["author"] for a in items.read_many("articles", [1, 3], {"fields": ["author"]})] == [
        2,
        None,
    ]


# --- one-to-many as the full list ---------------------------------------------------------


def test_a_list_replaces_the_children_and_nullify_keeps_the_others(items):
    items.update_one("articles", 1, {"comments": [1, {"text": "new"}, {"id": 3, "text": "edited"}]})
    assert children(items, 1) == [1, 3, 6]
    assert comment(items, 3) == {"article": 1, "text": "edited"}
    assert comment(items, 2) == {"article": None, "text": "bad"}


def test_null_or_an_empty_list_takes_every_child_away(items):
    items.update_one("articles", 2, {"comments": None})
    items.update_one("articles", 1, {"comments": []})
    assert children(items, 1) == children(items, 2) == []
    assert len(items.read_by_query("comments", {"fields": ["id"]}).data) == 5


def test_a_list_through_a_junction_with_delete_deselects_by_deleting_junction_rows(items):
    items.update_one("articles", 1, {"tags": [{"id": 2}, {"tags_id": 3}]})
    tags = items.read_one("articles", 1, {"fields": ["tags.tags_id.name"]})["tags"]
    assert tags == [{"tags_id": {"name": "blue"}}, {"tags_id": {"name": "green"}}]
    junctions = items.read_by_query("articles_tags", {"fields": ["id"]}).data
    assert [j["id"] for j in junctions] == [2, 3, 4]
    assert len(items.read_by_query("tags", {"fields": ["id"]}).data) == 3


def test_a_key_that_is_no_child_anywhere_is_forbidden(items):
    with pytest.raises(ForbiddenError):
        items.update_one("articles", 1, {"comments": [1, 999]})


# --- one-to-many in detail ----------------------------------------------------------------


def test_detailed_create_fills_the_sort_field_after_the_highest(items):
    items.update_one(
        "articles",
        1,
        {
            "blocks": {
                "create": [
                    {"collection": "headings", "item": {"title": "Third"}},
                    {"collection": "texts", "item": {"body": "Tenth"}, "sort": 10},
                    {"collection": "headings", "item": 1},
                ]
            }
        },
    )
    got = items.read_one("articles", 1, {"fields": ["blocks.sort", "blocks.collection"]})
    assert [(b["sort"], b["collection"]) for b in got["blocks"]] == [
        (1, "texts"),
        (2, "headings"),
        (3, "headings"),
        (5, "headings"),
        (10, "texts"),
    ]
    items.update_one("articles", 4, {"blocks": {"create": [{"collection": "texts", "item": 1}]}})
    assert children(items, 4, "blocks.sort") == [1]


def test_detailed_update_reattaches_and_delete_deselects_only_own_children(items):
    items.update_one("articles", 1, {"comments": {"update": [{"id": 4, "text": "moved"}]}})
    assert comment(items, 4) == {"article": 1, "text": "moved"}
    items.update_one("articles", 1, {"comments": {"delete": [2, 5]}})
    assert children(items, 1) == [1, 3, 4]
    assert comment(items, 2)["article"] is None
    assert comment(items, 5) == {"article": None, "text": "orphan"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", '"value" must be of type object'),
        ({"create": {}}, '"create" must be an array'),
        ({"create": [1]}, '"create[0]" must be of type object'),
        ({"foo": 1}, '"foo" is not allowed'),
        ({"delete": [{"id": 1}]}, '"delete[0]" does not match any of the allowed types'),
        ({"update": [{"text": "no key"}]}, '"update[0]" needs its "id"'),
        ([None], '"comments[0]" has to be a primary key or an object'),
    ],
)
def test_a_wrong_one_to_many_shape_is_invalid_payload(items, value, reason):
    with pytest.raises(InvalidPayloadError) as caught:
        items.update_one("articles", 1, {"comments": value})
    assert reason in caught.value.message


def test_wrong_many_to_one_and_many_to_any_values_are_invalid_payload(items):
    with pytest.raises(InvalidPayloadError, match=r'"articles\.author" takes a primary key'):
        items.update_one("articles", 1, {"author": [1]})
    with pytest.raises(InvalidPayloadError, match="without field"):
        items.update_one("articles", 1, {"blocks": [{"item": {"title": "x"}}]})
    with pytest.raises(InvalidPayloadError, match='linked to collection "tags"'):
        items.update_one("articles", 1, {"blocks": [{"collection": "tags", "item": {"name": "x"}}]})


# --- all or nothing -----------------------------------------------------------------------


def test_a_failing_child_leaves_nothing_written(items):
    before = everything(items.db)
    with pytest.raises(InvalidPayloadError, match='field "likes"'):
        items.create_one(
            "articles",
            {
                "title": "Doomed",
                "author": {"name": "Ghost"},
                "tags": [{"tags_id": {"name": "ghostly"}}],
                "comments": [{"text": "fine"}, {"text": "bad", "likes": "lots"}],
            },
        )
    with pytest.raises(ForbiddenError):
        items.update_one("articles", 1, {"title": "Changed", "comments": [{"text": "x"}, 999]})
    assert everything(items.db) == before


# --- permissions at every level -----------------------------------------------------------


def test_a_nested_create_needs_a_create_permission_on_its_own_collection(blog_db):
    caller = make_caller(blog_db, [grant("articles", "create")])
    before = everything(blog_db)
    with pytest.raises(ForbiddenError, match='collection "authors"'):
        service(blog_db, caller).create_one("articles", {"title": "x", "author": {"name": "y"}})
    assert everything(blog_db) == before


def test_a_nested_child_needs_its_foreign_key_among_its_permitted_fields(blog_db):
    narrow = make_caller(
        blog_db, [grant("articles", "create"), grant("comments", "create", fields="text")]
    )
    payload = {"title": "x", "comments": [{"text": "c"}]}
    with pytest.raises(ForbiddenError, match='field "article" in collection "comments"'):
        service(blog_db, narrow).create_one("articles", payload)
    wide = make_caller(
        blog_db, [grant("articles", "create"), grant("comments", "create", fields="text,article")]
    )
    assert service(blog_db, wide).create_one("articles", payload)


def test_deselecting_needs_the_right_to_update_or_delete_the_children(blog_db):
    caller = make_caller(blog_db, [grant("articles", "update"), grant("articles_tags", "update")])
    editor = service(blog_db, caller)
    with pytest.raises(ForbiddenError, match='collection "comments"'):
        editor.update_one("articles", 1, {"comments": [1]})
    with pytest.raises(ForbiddenError, match='collection "articles_tags"'):
        editor.update_one("articles", 1, {"tags": [1]})


def test_nested_validation_failures_carry_the_path_that_led_there(blog_db):
    caller = make_caller(
        blog_db,
        [
            grant("articles", "create"),
            grant("comments", "create", validation={"likes": {"_gte": 0}}),
        ],
    )
    with pytest.raises(FailedValidationError) as caught:
        service(blog_db, caller).create_one(
            "articles", {"title": "x", "comments": [{"text": "c", "likes": -1}]}
        )
    failure = caught.value.failures[0]
    assert (failure["field"], failure["type"], failure["path"]) == ("likes", "gte", ["comments"])
