"""Filters through relations: m2o, o2m, m2m, m2a, ``_some``/``_none``, ``count()``, and
``$CURRENT_*`` sub-paths read through the schema."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.db.system_tables import directus_roles, directus_users
from tessera.errors import ForbiddenError, InvalidQueryError
from tessera.query import And, parse_query
from tessera.query.compile_filter import compile_filter
from tessera.query.filter_variables import Variables, load_variables
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext

ROLE = str(uuid.uuid4())
ANN, BOB = str(uuid.uuid4()), str(uuid.uuid4())


def _collection(service, name, *fields):
    service.create(
        {
            "collection": name,
            "schema": {},
            "fields": [{"field": field, "type": kind} for field, kind in fields],
        }
    )


@pytest.fixture
def blog(db):
    """authors ← articles ← comments; articles ↔ tags; articles → blocks (headings | texts)."""
    context = SchemaContext(db, SchemaCache(db))
    collections, relations = CollectionsService(context), RelationsService(context)
    _collection(collections, "authors", ("name", "string"), ("born", "date"), ("email", "string"))
    _collection(collections, "articles", ("title", "string"), ("author", "integer"))
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
    )
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
            "meta": {"one_field": "comments"},
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
            "meta": {"one_field": "tags", "junction_field": "tags_id"},
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
            "meta": {"one_field": "blocks", "junction_field": "item"},
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
    overview = SchemaCache(db).get()
    rows = {
        "authors": [
            {"id": 1, "name": "Ann", "born": "1980-05-01", "email": "ann@example.com"},
            {"id": 2, "name": "Bob", "born": "1990-01-01", "email": "bob@example.com"},
            {"id": 3, "name": None, "born": None, "email": None},
        ],
        "articles": [
            {"id": 1, "title": "A", "author": 1},
            {"id": 2, "title": "B", "author": 2},
            {"id": 3, "title": "C", "author": None},
            {"id": 4, "title": "D", "author": 3},
        ],
        "comments": [
            {"id": 1, "article": 1, "text": "nice", "likes": 5, "parent": None},
            {"id": 2, "article": 1, "text": "bad", "likes": 1, "parent": 1},
            {"id": 3, "article": 2, "text": "nice", "likes": 0, "parent": None},
            {"id": 4, "article": None, "text": "orphan", "likes": 9, "parent": 3},
        ],
        "tags": [{"id": 1, "name": "red"}, {"id": 2, "name": "blue"}],
        "articles_tags": [
            {"id": 1, "articles_id": 1, "tags_id": 1},
            {"id": 2, "articles_id": 1, "tags_id": 2},
            {"id": 3, "articles_id": 2, "tags_id": 2},
        ],
        "headings": [{"id": 1, "title": "Intro"}, {"id": 2, "title": "Outro"}],
        "texts": [{"id": 1, "body": "Intro"}],
        "articles_blocks": [
            {"id": 1, "articles_id": 1, "item": "1", "collection": "headings"},
            {"id": 2, "articles_id": 2, "item": "1", "collection": "texts"},
            {"id": 3, "articles_id": 3, "item": "2", "collection": "headings"},
        ],
    }
    with db.write() as conn:
        for name, items in rows.items():
            conn.execute(sa.insert(overview.collections[name].sql_table), items)
        conn.execute(sa.insert(directus_roles), [{"id": ROLE, "name": "Editors"}])
        conn.execute(
            sa.insert(directus_users),
            [
                {"id": ANN, "email": "ann@example.com", "role": ROLE},
                {"id": BOB, "email": "bob@example.com", "role": ROLE},
            ],
        )
    return overview


def matching(db, overview, raw, collection="articles", variables=None):
    query = parse_query({"filter": raw}, limit_default=100, limit_max=None)
    condition = compile_filter(
        query.filter or And(()),
        collection,
        overview,
        dialect=db.engine.dialect,
        variables=variables,
    )
    table = overview.collections[collection].sql_table
    with db.read() as conn:
        return {row.id for row in conn.execute(sa.select(table.c.id).where(condition))}


CASES: dict[str, list[tuple[str, dict, set[int]]]] = {
    # many-to-one
    "m2o": [
        ("articles", {"author": {"name": {"_eq": "Ann"}}}, {1}),
        ("articles", {"author.name": {"_eq": "Ann"}}, {1}),
        ("articles", {"author": {"name": {"_null": True}}}, {4}),
        ("articles", {"author": {"_null": True}}, {3}),
        ("articles", {"author": 2}, {2}),
        ("articles", {"author": {"year(born)": {"_eq": 1990}}}, {2}),
        ("articles", {"author": {"name": {"_neq": "Ann"}}}, {2}),
        ("articles", {"_or": [{"author": {"name": "Ann"}}, {"author": {"name": "Bob"}}]}, {1, 2}),
    ],
    # one-to-many: some related item matches; siblings hold on the same item
    "o2m": [
        ("articles", {"comments": {"text": {"_eq": "nice"}}}, {1, 2}),
        ("articles", {"comments": {"text": "nice", "likes": {"_gt": 2}}}, {1}),
        ("articles", {"comments": {"text": "bad", "likes": {"_gt": 2}}}, set()),
        (
            "articles",
            {"_and": [{"comments": {"text": "bad"}}, {"comments": {"likes": {"_gt": 2}}}]},
            set(),
        ),
        ("articles", {"_or": [{"comments": {"text": "bad"}}, {"comments": {"likes": 0}}]}, {1, 2}),
        ("articles", {"comments": {"_some": {"text": "nice"}}}, {1, 2}),
        ("articles", {"comments": {"_none": {"text": "nice"}}}, {3, 4}),
        ("articles", {"comments": {"_none": {"text": "bad"}}}, {2, 3, 4}),
        ("articles", {"comments": {"_null": True}}, {3, 4}),
        # Directus's LEFT JOIN lets an article with no comments match this; no comment does.
        ("articles", {"comments": {"text": {"_null": True}}}, set()),
        ("articles", {"comments": {"_nnull": True}}, {1, 2}),
        ("articles", {"comments": {"_eq": 3}}, {2}),
        ("articles", {"comments": {"_in": [2, 4]}}, {1}),
        ("articles", {"count(comments)": {"_eq": 2}}, {1}),
        ("articles", {"count(comments)": {"_eq": 0}}, {3, 4}),
        ("articles", {"count(comments)": {"_gte": "1"}}, {1, 2}),
        ("articles", {"comments": {"replies": {"text": "bad"}}}, {1}),
        ("comments", {"count(replies)": {"_eq": 1}}, {1, 3}),
        ("comments", {"replies": {"_none": {}}}, {2, 4}),
        ("comments", {"parent": {"parent": {"_null": True}}}, {2, 4}),
        ("comments", {"article": {"author": {"name": "Bob"}}}, {3}),
    ],
    # many-to-many, through the junction
    "m2m": [
        ("articles", {"tags": {"tags_id": {"name": {"_eq": "blue"}}}}, {1, 2}),
        ("articles", {"tags": {"_some": {"tags_id": {"name": "red"}}}}, {1}),
        ("articles", {"tags": {"_none": {"tags_id": {"name": "red"}}}}, {2, 3, 4}),
        ("articles", {"tags": {"tags_id": {"name": "red"}}, "title": "B"}, set()),
        ("articles", {"count(tags)": {"_eq": 2}}, {1}),
    ],
    # many-to-any
    "m2a": [
        ("articles", {"blocks": {"item:headings": {"title": {"_eq": "Intro"}}}}, {1}),
        ("articles", {"blocks": {"item:texts": {"body": {"_eq": "Intro"}}}}, {2}),
        ("articles", {"blocks": {"item:headings": {"title": {"_ends_with": "tro"}}}}, {1, 3}),
        ("articles", {"blocks": {"_none": {"item:headings": {"id": {"_nnull": True}}}}}, {2, 4}),
        ("articles", {"blocks": {"collection": "texts"}}, {2}),
        ("articles", {"count(blocks)": {"_eq": 1}}, {1, 2, 3}),
    ],
    # deeper paths and the other direction
    "deeper": [
        ("authors", {"articles": {"comments": {"text": "bad"}}}, {1}),
        ("authors", {"articles": {"tags": {"tags_id": {"name": "blue"}}}}, {1, 2}),
        ("authors", {"articles": {"_none": {"comments": {"_nnull": True}}}}, {3}),
        ("articles", {"author": {"articles": {"_some": {"title": "B"}}}}, {2}),
        ("articles", {"author": {"count(articles)": {"_eq": 1}}}, {1, 2, 4}),
    ],
}


@pytest.mark.parametrize("group", list(CASES))
def test_relational_filters(db, blog, group):
    wrong = []
    for collection, raw, expected in CASES[group]:
        found = matching(db, blog, raw, collection)
        if found != expected:
            wrong.append((collection, raw, sorted(found), sorted(expected)))
    assert wrong == []


FORBIDDEN = [
    {"author": {"nope": 1}},
    {"nope": {"name": 1}},
    {"comments": {"nope": {"_eq": 1}}},
    {"blocks": {"item:nope": {"id": 1}}},
    {"blocks": {"item:authors": {"id": 1}}},
    {"title": {"x": {"_eq": 1}}},
    {"count(nope)": {"_eq": 1}},
    {"author": {"articles": {"_some": {"nope": 1}}}},
]


def test_unknown_names_on_a_path_are_forbidden(db, blog):
    for raw in FORBIDDEN:
        with pytest.raises(ForbiddenError):
            matching(db, blog, raw)


REFUSED = [
    ({"blocks": {"item": {"title": "x"}}}, 'name the collection, as in "item:headings"'),
    ({"author": {"_some": {"name": "x"}}}, '"_some" can only follow a one-to-many'),
    ({"author": {"_none": {"name": "x"}}}, '"_none" can only follow a one-to-many'),
    ({"count(author)": {"_eq": 1}}, 'Invalid filter key "count(author)"'),
    ({"comments": {"_contains": "1"}}, '"integer" field type does not contain'),
    ({"count(comments)": {"_eq": "many"}}, '"count(comments)" needs a number'),
]


def test_refused_relational_filters(db, blog):
    for raw, reason in REFUSED:
        with pytest.raises(InvalidQueryError) as info:
            matching(db, blog, raw)
        assert reason in info.value.extensions["reason"], raw


def test_forbidden_names_the_field_for_admins_only(db, blog):
    query = parse_query({"filter": {"author": {"nope": 1}}}, limit_default=100, limit_max=None)
    with pytest.raises(ForbiddenError) as info:
        compile_filter(query.filter, "articles", blog, dialect=db.engine.dialect, admin=True)
    assert info.value.message == (
        'You don\'t have permission to access field "nope" in collection "authors" '
        "or it does not exist. Queried in author."
    )
    with pytest.raises(ForbiddenError) as info:
        compile_filter(query.filter, "articles", blog, dialect=db.engine.dialect)
    assert "nope" not in info.value.message


def _loaded(db, overview, raw, accountability):
    query = parse_query({"filter": raw}, limit_default=100, limit_max=None)
    with db.read() as conn:
        return load_variables(conn, overview, Variables.of(accountability), query.filter)


def test_current_user_sub_paths_are_read_through_the_schema(db, blog):
    caller = Accountability(user=ANN, role=ROLE, roles=(ROLE,))
    raw = {"author": {"email": {"_eq": "$CURRENT_USER.email"}}}
    variables = _loaded(db, blog, raw, caller)
    assert matching(db, blog, raw, variables=variables) == {1}

    raw = {"author": {"email": {"_in": "$CURRENT_ROLE.users.email"}}}
    variables = _loaded(db, blog, raw, caller)
    assert matching(db, blog, raw, variables=variables) == {1, 2}

    raw = {"title": {"_eq": "$CURRENT_USER.role.name"}}
    assert matching(db, blog, raw, variables=_loaded(db, blog, raw, caller)) == set()
    raw = {"author": {"name": {"_in": ["$CURRENT_ROLES.name", "Ann"]}}}
    assert matching(db, blog, raw, variables=_loaded(db, blog, raw, caller)) == {1}


def test_a_list_valued_sub_path_takes_in(db, blog):
    caller = Accountability(user=ANN, role=ROLE, roles=(ROLE,))
    raw = {"author": {"email": {"_eq": "$CURRENT_ROLE.users.email"}}}
    with pytest.raises(InvalidQueryError):
        matching(db, blog, raw, variables=_loaded(db, blog, raw, caller))


def test_sub_paths_without_a_caller_are_empty(db, blog):
    raw = {"author": {"email": {"_eq": "$CURRENT_USER.email"}}}
    variables = _loaded(db, blog, raw, None)
    assert matching(db, blog, raw, variables=variables) == set()
    raw = {"author": {"email": {"_nin": "$CURRENT_ROLE.users.email"}}}
    assert matching(db, blog, raw, variables=_loaded(db, blog, raw, None)) == {1, 2}


def test_unknown_sub_paths_are_forbidden(db, blog):
    caller = Accountability(user=ANN)
    with pytest.raises(ForbiddenError):
        _loaded(db, blog, {"title": {"_eq": "$CURRENT_USER.nope"}}, caller)
    with pytest.raises(ForbiddenError):
        _loaded(db, blog, {"title": {"_eq": "$CURRENT_USER.email.nope"}}, caller)


def test_a_sub_path_must_be_loaded_first(db, blog):
    with pytest.raises(LookupError):
        matching(db, blog, {"title": {"_eq": "$CURRENT_USER.email"}}, variables=Variables(ANN))
