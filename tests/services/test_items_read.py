"""Reading items through the service, as an admin: fields, relations, sort, search, pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog import UID
from tessera.access.accountability import Accountability
from tessera.config import load_settings
from tessera.errors import ForbiddenError, InvalidQueryError
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService

ADMIN = Accountability(user="a", admin=True, app=True)


@pytest.fixture
def items(blog_db):
    settings = load_settings(env_file=None, secret="s", db_filename="unused.db")
    return ItemsService(blog_db, SchemaCache(blog_db), settings, ADMIN)


def read(items, collection="articles", **query):
    return items.read_by_query(collection, query).data


def test_star_reads_every_column_in_directus_shapes(items):
    first = read(items, filter={"id": {"_eq": 1}})[0]
    assert first == {
        "id": 1,
        "title": "Hello world",
        "body": "First post",
        "status": "published",
        "rating": 5,
        "price": "10.50000",
        "published_on": "2026-01-01",
        "flags": {"lang": "en", "tags": ["a", "b"]},
        "is_public": True,
        "uid": UID,
        "author": 1,
        "secret": "**********",
        "comments": [1, 2, 3],
        "tags": [1, 2],
        "blocks": [2, 1],
    }


def test_default_order_is_the_key_and_limit_offset_page_apply(items):
    assert [a["id"] for a in read(items, fields=["id"])] == [1, 2, 3, 4]
    assert [a["id"] for a in read(items, fields=["id"], limit=2, page=2)] == [3, 4]
    assert [a["id"] for a in read(items, fields=["id"], limit=1, offset=1)] == [2]


def test_sort_several_keys_descending_and_through_a_many_to_one(items):
    got = read(items, fields=["id"], sort=["-status", "rating"])
    assert [a["id"] for a in got] == [3, 1, 2, 4]
    by_author = read(items, fields=["id", "author.name"], sort=["-author.name", "id"])
    assert [a["id"] for a in by_author] == [2, 1, 3, 4]
    assert by_author[0]["author"] == {"name": "Bob"}
    assert by_author[3]["author"] is None


def test_sort_through_a_to_many_relation_is_refused(items):
    with pytest.raises(InvalidQueryError, match=r"comments\.text"):
        read(items, sort=["comments.text"])


def test_nested_many_to_one_one_to_many_and_many_to_many(items):
    got = read(
        items,
        fields=["title", "author.name", "comments.text", "tags.tags_id.name"],
        filter={"id": {"_in": [1, 2]}},
    )
    assert got == [
        {
            "title": "Hello world",
            "author": {"name": "Ann"},
            "comments": [{"text": "nice"}, {"text": "bad"}, {"text": "meh"}],
            "tags": [{"tags_id": {"name": "red"}}, {"tags_id": {"name": "blue"}}],
        },
        {
            "title": "Draft",
            "author": {"name": "Bob"},
            "comments": [{"text": "nice"}],
            "tags": [{"tags_id": {"name": "blue"}}],
        },
    ]


def test_many_to_any_scoped_and_unscoped(items):
    got = read(
        items,
        fields=["id", "blocks.collection", "blocks.item:headings.title", "blocks.item:texts.body"],
        filter={"id": {"_eq": 1}},
    )
    # the relation's sort field orders the blocks
    assert got == [
        {
            "id": 1,
            "blocks": [
                {"collection": "texts", "item": {"body": "Body text"}},
                {"collection": "headings", "item": {"title": "Outro"}},
            ],
        }
    ]
    unscoped = read(items, fields=["blocks.item.id"], filter={"id": {"_eq": 1}})
    assert unscoped == [{"blocks": [{"item": {"id": 1}}, {"item": {"id": 2}}]}]


def test_star_star_expands_one_level_and_backlink_false_skips_the_way_back(items):
    got = read(items, fields=["*.*"], filter={"id": {"_eq": 2}})[0]
    assert got["title"] == "Draft"
    assert got["author"]["name"] == "Bob"
    assert got["author"]["articles"] == [2]
    assert got["comments"][0]["text"] == "nice"
    no_back = read(items, fields=["*.*"], filter={"id": {"_eq": 2}}, backlink=False)[0]
    assert "articles" not in no_back["author"]
    assert "article" not in no_back["comments"][0]


def test_deep_filters_sorts_and_limits_each_parents_list_in_one_statement(items, blog_db):
    statements = []

    def count(*args):
        statements.append(args[2])

    sa.event.listen(blog_db.engine, "before_cursor_execute", count)
    try:
        got = read(
            items,
            fields=["id", "comments.id"],
            deep={"comments": {"_sort": ["-likes"], "_limit": 2, "_filter": {"likes": {"_gt": 0}}}},
            filter={"id": {"_in": [1, 2]}},
        )
    finally:
        sa.event.remove(blog_db.engine, "before_cursor_execute", count)
    assert got == [{"id": 1, "comments": [{"id": 1}, {"id": 3}]}, {"id": 2, "comments": []}]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    data_selects = [s for s in selects if "articles" in s or "comments" in s]
    assert len([s for s in data_selects if "FROM comments" in s or 'FROM "comments"' in s]) >= 1
    assert len([s for s in data_selects if "row_number" in s.lower()]) == 1


def test_alias_and_functions_in_fields(items):
    got = read(
        items,
        fields=["id", "year(published_on)", "count(comments)", "json(flags, tags[0])", "headline"],
        alias={"headline": "title"},
        filter={"id": {"_eq": 1}},
    )
    assert got == [
        {
            "id": 1,
            "published_on_year": 2026,
            "comments_count": 3,
            "flags_tags_0_json": "a",
            "headline": "Hello world",
        }
    ]


def test_search_covers_text_numbers_and_uuids_but_not_concealed_fields(items):
    assert [a["id"] for a in read(items, fields=["id"], search="HELLO")] == [1]
    assert [a["id"] for a in read(items, fields=["id"], search="4")] == [3, 4]  # rating, key
    assert [a["id"] for a in read(items, fields=["id"], search=UID)] == [1]
    assert read(items, fields=["id"], search="hush") == []


def test_meta_counts_readable_and_matching_items(items):
    page = items.read_by_query(
        "articles",
        {"fields": ["id"], "filter": {"status": {"_eq": "published"}}, "meta": "*", "limit": 1},
    )
    assert page.meta == {"total_count": 4, "filter_count": 2}
    assert page.to_api()["meta"] == page.meta


def test_aggregates_in_directus_shapes(items):
    assert read(items, aggregate={"count": ["*"]}) == [{"count": 4}]
    assert read(items, aggregate={"count": ["rating"], "sum": ["rating"], "avg": ["rating"]}) == [
        {"count": {"rating": 3}, "sum": {"rating": 11}, "avg": {"rating": pytest.approx(11 / 3)}}
    ]
    grouped = read(items, aggregate={"count": ["*"]}, groupBy=["status"], sort=["-count", "status"])
    assert grouped == [
        {"status": "published", "count": 2},
        {"status": "archived", "count": 1},
        {"status": "draft", "count": 1},
    ]
    by_year = read(items, aggregate={"count": ["*"]}, groupBy=["year(published_on)"])
    assert by_year == [
        {"published_on_year": None, "count": 2},
        {"published_on_year": 2025, "count": 1},
        {"published_on_year": 2026, "count": 1},
    ]
    assert read(items, aggregate={"min": ["published_on"], "max": ["price"]}) == [
        {"min": {"published_on": "2025-02-14"}, "max": {"price": "10.50000"}}
    ]


def test_sum_of_a_text_field_is_refused(items):
    with pytest.raises(InvalidQueryError, match="numeric"):
        read(items, aggregate={"sum": ["title"]})


def test_unknown_fields_are_forbidden_everywhere(items):
    for query in (
        {"fields": ["nope"]},
        {"fields": ["author.nope"]},
        {"sort": ["nope"]},
        {"filter": {"nope": {"_eq": 1}}},
        {"aggregate": {"max": ["nope"]}},
    ):
        with pytest.raises(ForbiddenError):
            read(items, **query)


def test_read_one_many_and_missing(items):
    assert items.read_one("articles", 3, {"fields": ["title"]}) == {"title": "MCP in practice"}
    assert [a["id"] for a in items.read_many("articles", [4, 1, 99], {"fields": ["id"]})] == [1, 4]
    with pytest.raises(ForbiddenError):
        items.read_one("articles", 99)
    with pytest.raises(ForbiddenError):
        items.read_one("nowhere", 1)


def test_singleton_without_an_item_reads_its_defaults(items):
    assert items.read_singleton("notes") == {"id": None, "motto": None}


def test_a_key_that_cannot_exist_reads_as_forbidden(items):
    assert items.read_one("articles", "2", {"fields": ["id"]}) == {"id": 2}
    for key in ("abc", "1.5", "99999999999999999999", True, None):
        with pytest.raises(ForbiddenError):
            items.read_one("articles", key)
