"""Reads under permissions: no query shape shows a row or a field the caller may not read."""

from __future__ import annotations

import pytest

from callers import grant, make_caller, public_caller
from tessera.config import load_settings
from tessera.errors import ForbiddenError
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService


def service(db, accountability):
    settings = load_settings(env_file=None, secret="s", db_filename="unused.db")
    return ItemsService(db, SchemaCache(db), settings, accountability)


def ids(page):
    return [item["id"] for item in page.data]


@pytest.fixture
def reader(blog_db):
    """Reads articles' id, title and status, every row; nothing else."""
    caller = make_caller(blog_db, [grant("articles", "read", fields="id,title,status")])
    return service(blog_db, caller)


@pytest.fixture
def editor(blog_db):
    """Reads Ann's articles (her email is on her author row), comments with likes > 2, authors."""
    caller = make_caller(
        blog_db,
        [
            grant("articles", "read", rule={"author": {"email": {"_eq": "$CURRENT_USER.email"}}}),
            grant("comments", "read", rule={"likes": {"_gt": 2}}),
            grant("authors", "read", fields="id,name"),
        ],
        email="ann@example.com",
    )
    return service(blog_db, caller)


def test_a_field_list_limits_star_and_refuses_everything_else(reader):
    assert reader.read_by_query("articles", {"limit": 1}).data == [
        {"id": 1, "title": "Hello world", "status": "published"}
    ]
    for query in (
        {"fields": ["rating"]},
        {"fields": ["author.name"]},
        {"filter": {"rating": {"_gt": 1}}},
        {"filter": {"comments": {"text": {"_eq": "nice"}}}},
        {"sort": ["-rating"]},
        {"aggregate": {"sum": ["rating"]}},
        {"aggregate": {"count": ["*"]}, "groupBy": ["author"]},
    ):
        with pytest.raises(ForbiddenError):
            reader.read_by_query("articles", query)


def test_a_field_list_keeps_search_to_the_readable_fields(reader):
    assert ids(reader.read_by_query("articles", {"search": "hello"})) == [1]
    assert ids(reader.read_by_query("articles", {"search": "First post"})) == []  # body


def test_wildcards_skip_relations_the_caller_cannot_follow(reader):
    assert reader.read_by_query("articles", {"fields": ["*.*"], "limit": 1}).data == [
        {"id": 1, "title": "Hello world", "status": "published"}
    ]


def test_collections_without_a_read_permission_are_forbidden(reader):
    with pytest.raises(ForbiddenError):
        reader.read_by_query("authors")
    with pytest.raises(ForbiddenError):
        reader.read_one("comments", 1)


def test_row_rule_with_a_current_user_sub_path(editor):
    page = editor.read_by_query("articles", {"fields": ["id"], "meta": "*"})
    assert ids(page) == [1, 3]
    assert page.meta == {"total_count": 2, "filter_count": 2}
    with pytest.raises(ForbiddenError):
        editor.read_one("articles", 2)
    assert editor.read_by_query("articles", {"aggregate": {"count": ["*"]}}).data == [{"count": 2}]


def test_nested_reads_follow_the_related_collections_rules(editor):
    got = editor.read_by_query(
        "articles",
        {
            "fields": ["id", "comments.id", "count(comments)", "author.name"],
            "filter": {"id": {"_eq": 1}},
        },
    ).data
    assert got == [
        {
            "id": 1,
            "comments": [{"id": 1}, {"id": 3}],
            "comments_count": 2,
            "author": {"name": "Ann"},
        }
    ]
    with pytest.raises(ForbiddenError):  # authors.email is not in the editor's field list
        editor.read_by_query("articles", {"fields": ["author.email"]})


def test_filters_through_relations_see_only_readable_related_items(editor):
    # "bad" has one like: the editor cannot read it, so it cannot be used to find its article
    hidden = {"comments": {"text": {"_eq": "bad"}}}
    assert ids(editor.read_by_query("articles", {"filter": hidden})) == []
    shown = {"comments": {"text": {"_eq": "meh"}}}
    assert ids(editor.read_by_query("articles", {"filter": shown})) == [1]


def test_a_field_granted_under_one_rule_only_is_null_elsewhere(blog_db):
    caller = make_caller(
        blog_db,
        [grant("articles", "read", rule={"status": {"_eq": "published"}})],
        [grant("articles", "read", fields="id,title")],
    )
    items = service(blog_db, caller)
    got = items.read_by_query("articles", {"fields": ["id", "rating"]}).data
    assert got == [
        {"id": 1, "rating": 5},
        {"id": 2, "rating": None},
        {"id": 3, "rating": 4},
        {"id": 4, "rating": None},
    ]
    # the hidden values can't be found by filtering, sorting, searching or aggregating
    assert ids(items.read_by_query("articles", {"filter": {"rating": {"_eq": 2}}})) == []
    assert ids(items.read_by_query("articles", {"search": "2", "fields": ["id"]})) == [2]  # id
    assert items.read_by_query("articles", {"aggregate": {"sum": ["rating"]}}).data == [
        {"sum": {"rating": 9}}
    ]
    assert ids(items.read_by_query("articles", {"sort": ["rating", "id"]})) == [2, 4, 3, 1]


def test_public_reads_only_what_the_public_policy_grants(blog_db):
    caller = public_caller(
        blog_db,
        [grant("articles", "read", fields="id,title", rule={"status": {"_eq": "published"}})],
    )
    items = service(blog_db, caller)
    assert items.read_by_query("articles").data == [
        {"id": 1, "title": "Hello world"},
        {"id": 3, "title": "MCP in practice"},
    ]
    with pytest.raises(ForbiddenError):
        items.read_by_query("authors")


def test_deep_filters_may_use_current_user_sub_paths(editor):
    deep_filter = {"likes": {"_gt": 3}, "text": {"_neq": "$CURRENT_USER.email"}}
    got = editor.read_by_query(
        "articles",
        {
            "fields": ["id", "comments.id"],
            "deep": {"comments": {"_filter": deep_filter}},
            "filter": {"id": {"_eq": 1}},
        },
    ).data
    assert got == [{"id": 1, "comments": [{"id": 1}]}]
