"""``/items``: reads over HTTP, in Directus's envelope, with its status codes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from asgi_client import serving
from callers import grant, make_caller
from tessera.app import create_app
from tessera.db.system_tables import directus_users
from tessera.services.bootstrap import bootstrap

pytestmark = pytest.mark.anyio
ADMIN_TOKEN = "admin-static-token"
READER_TOKEN = "reader-static-token"


@pytest.fixture
async def client(blog_db, settings) -> AsyncIterator[httpx.AsyncClient]:
    bootstrap(blog_db, settings)
    reader = make_caller(blog_db, [grant("articles", "read", fields="id,title")])
    with blog_db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.id != reader.user)
            .values(token=ADMIN_TOKEN)
        )
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.id == reader.user)
            .values(token=READER_TOKEN)
        )
    async with serving(create_app(settings, blog_db)) as test_client:
        yield test_client


def admin(**params):
    return {"access_token": ADMIN_TOKEN, **params}


async def test_list_with_bracket_filters_fields_sort_and_meta(client):
    response = await client.get(
        "/items/articles",
        params=admin(
            **{
                "filter[status][_eq]": "published",
                "fields": "id,title,author.name",
                "sort": "-id",
                "meta": "*",
            }
        ),
    )
    assert response.status_code == 200
    assert response.json() == {
        "meta": {"total_count": 4, "filter_count": 2},
        "data": [
            {"id": 3, "title": "MCP in practice", "author": {"name": "Ann"}},
            {"id": 1, "title": "Hello world", "author": {"name": "Ann"}},
        ],
    }


async def test_aggregate_and_group_by_in_query_string_syntax(client):
    response = await client.get(
        "/items/articles",
        params=admin(**{"aggregate[count]": "*", "groupBy[]": "status", "sort": "-count,status"}),
    )
    assert response.json()["data"] == [
        {"status": "published", "count": 2},
        {"status": "archived", "count": 1},
        {"status": "draft", "count": 1},
    ]


async def test_one_item_and_a_missing_one(client):
    found = await client.get("/items/articles/2", params=admin(fields="id,price"))
    assert found.json() == {"data": {"id": 2, "price": "3.25000"}}
    for key in ("99", "abc"):
        missing = await client.get(f"/items/articles/{key}", params=admin())
        assert missing.status_code == 403
        assert missing.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_search_method_takes_the_query_or_keys_in_the_body(client):
    by_query = await client.request(
        "SEARCH", "/items/articles", params=admin(), json={"query": {"fields": ["id"], "limit": 2}}
    )
    assert by_query.json() == {"data": [{"id": 1}, {"id": 2}]}
    by_keys = await client.request(
        "SEARCH", "/items/articles", params=admin(fields="id"), json={"keys": [2, 1]}
    )
    assert by_keys.json() == {"data": [{"id": 1}, {"id": 2}]}


async def test_singleton_reads_as_an_object(client):
    response = await client.get("/items/notes", params=admin())
    assert response.json() == {"data": {"id": None, "motto": None}}


async def test_system_collections_and_unknown_ones_are_forbidden(client):
    system = await client.get("/items/directus_users", params=admin())
    assert system.status_code == 403
    # the same answer whether a collection is missing or not readable, naming only what was
    # asked for, as Directus answers it
    named = (
        'You don\'t have permission to access collection "{}" or it does not exist. '
        "Queried in root."
    )
    for token, collection in (
        (ADMIN_TOKEN, "nope"),
        (READER_TOKEN, "nope"),
        (READER_TOKEN, "tags"),
    ):
        answer = await client.get(f"/items/{collection}", params={"access_token": token})
        assert answer.status_code == 403
        assert answer.json()["errors"][0]["message"] == named.format(collection)


async def test_reader_sees_only_granted_fields_and_bad_queries_are_invalid(client):
    reader = {"access_token": READER_TOKEN}
    listed = await client.get("/items/articles", params={**reader, "limit": "1"})
    assert listed.json() == {"data": [{"id": 1, "title": "Hello world"}]}
    refused = await client.get("/items/articles", params={**reader, "fields": "rating"})
    assert refused.status_code == 403
    bad = await client.get("/items/articles", params={**reader, "limit": "abc"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"]["code"] == "INVALID_QUERY"


async def test_public_caller_without_permissions_is_forbidden(client):
    response = await client.get("/items/articles")
    assert response.status_code == 403


async def test_create_one_and_many_answer_the_items_read_back(client):
    one = await client.post("/items/tags", params=admin(fields="id,name"), json={"name": "new"})
    assert one.status_code == 200
    assert one.json() == {"data": {"id": 4, "name": "new"}}
    many = await client.post(
        "/items/tags", params=admin(fields="name"), json=[{"name": "x"}, {"name": "y"}]
    )
    assert many.json() == {"data": [{"name": "x"}, {"name": "y"}]}


async def test_nested_create_round_trips(client):
    created = await client.post(
        "/items/articles",
        params=admin(fields="title,author.name,tags.tags_id.name,comments.text"),
        json={
            "title": "Nested",
            "author": {"name": "Cy"},
            "tags": [{"tags_id": 1}, {"tags_id": {"name": "fresh"}}],
            "comments": [{"text": "first!"}],
        },
    )
    assert created.json() == {
        "data": {
            "title": "Nested",
            "author": {"name": "Cy"},
            "tags": [{"tags_id": {"name": "red"}}, {"tags_id": {"name": "fresh"}}],
            "comments": [{"text": "first!"}],
        }
    }


async def test_update_forms(client):
    one = await client.patch(
        "/items/articles/2", params=admin(fields="id,rating"), json={"rating": 3}
    )
    assert one.json() == {"data": {"id": 2, "rating": 3}}
    by_keys = await client.patch(
        "/items/articles",
        params=admin(fields="id,rating"),
        json={"keys": [1, 2], "data": {"rating": 1}},
    )
    assert by_keys.json() == {"data": [{"id": 1, "rating": 1}, {"id": 2, "rating": 1}]}
    batch = await client.patch(
        "/items/articles",
        params=admin(fields="id,title"),
        json=[{"id": 3, "title": "Three"}, {"id": 4, "title": "Four"}],
    )
    assert batch.json() == {"data": [{"id": 3, "title": "Three"}, {"id": 4, "title": "Four"}]}
    by_query = await client.patch(
        "/items/articles",
        params=admin(fields="id"),
        json={"query": {"filter": {"status": {"_eq": "draft"}}}, "data": {"status": "published"}},
    )
    assert by_query.json() == {"data": [{"id": 2}]}
    singleton = await client.patch(
        "/items/notes", params=admin(fields="motto"), json={"motto": "hi"}
    )
    assert singleton.json() == {"data": {"motto": "hi"}}


async def test_bad_write_bodies_are_invalid_payload(client):
    for method, body, reason in (
        ("PATCH", {"title": "x"}, '"data" is required'),
        ("PATCH", "x", "The body must be an array of items, or an object"),
        ("DELETE", {"title": "x"}, '"title" is not allowed'),
        ("POST", 5, "The body must be an object or an array of objects"),
    ):
        response = await client.request(method, "/items/articles", params=admin(), json=body)
        assert response.status_code == 400, (method, body)
        assert response.json()["errors"][0]["extensions"] == {
            "code": "INVALID_PAYLOAD",
            "reason": reason,
        }
    broken = await client.post(
        "/items/articles",
        params=admin(),
        content=b"not json",
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 400


async def test_post_on_a_singleton_is_route_not_found(client):
    response = await client.post("/items/notes", params=admin(), json={"motto": "x"})
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "ROUTE_NOT_FOUND"


async def test_deletes_answer_204_and_the_items_are_gone(client):
    assert (await client.delete("/items/comments/5", params=admin())).status_code == 204
    assert (
        await client.request("DELETE", "/items/comments", params=admin(), json=[4])
    ).status_code == 204
    gone = await client.request(
        "DELETE",
        "/items/comments",
        params=admin(),
        json={"query": {"filter": {"likes": {"_gt": 2}}}},
    )
    assert gone.status_code == 204
    left = await client.get("/items/comments", params=admin(fields="id"))
    assert left.json() == {"data": [{"id": 2}]}


async def test_a_write_the_caller_cannot_read_back_answers_204(blog_db, client):
    writer = make_caller(
        blog_db, [grant("tags", "create", fields="name")], email="writer@example.com"
    )
    with blog_db.write() as conn:
        conn.execute(
            sa.update(directus_users).where(directus_users.c.id == writer.user).values(token="w")
        )
    created = await client.post("/items/tags", params={"access_token": "w"}, json={"name": "z"})
    assert created.status_code == 204
    assert created.content == b""
    refused = await client.post(
        "/items/articles", params={"access_token": "w"}, json={"title": "no"}
    )
    assert refused.status_code == 403
