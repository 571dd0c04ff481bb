"""``/collections``, ``/fields``, ``/relations`` over HTTP: Directus's statuses and envelope."""

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
ADMIN = {"access_token": "admin-static-token"}
#: App access, and articles' id and title: sees articles and the schema collections.
APP_USER = {"access_token": "app-static-token"}
#: Read access to articles but no app access: no schema collections at all.
READER = {"access_token": "reader-static-token"}


@pytest.fixture
async def client(blog_db, settings) -> AsyncIterator[httpx.AsyncClient]:
    bootstrap(blog_db, settings)
    app_user = make_caller(blog_db, [grant("articles", "read", fields="id,title")], app=True)
    reader = make_caller(blog_db, [grant("articles", "read")])
    users = directus_users
    with blog_db.write() as conn:
        others = users.c.id.not_in([app_user.user, reader.user])
        conn.execute(sa.update(users).where(others).values(token=ADMIN["access_token"]))
        for who, token in ((app_user, APP_USER), (reader, READER)):
            conn.execute(
                sa.update(users).where(users.c.id == who.user).values(token=token["access_token"])
            )
    async with serving(create_app(settings, blog_db)) as test_client:
        yield test_client


def code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_collections_are_listed_in_the_envelope_and_the_query_is_only_checked(client):
    response = await client.get(
        "/collections", params={**ADMIN, "limit": "1", "meta": "*", "fields": "collection"}
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["data"]  # Directus ignores limit, meta and fields here
    names = [entry["collection"] for entry in body["data"]]
    assert {"articles", "authors", "notes", "directus_users"} <= set(names)
    articles = next(entry for entry in body["data"] if entry["collection"] == "articles")
    assert articles == {"collection": "articles", "meta": None, "schema": {"name": "articles"}}

    bad = await client.get("/collections", params={**ADMIN, "limit": "abc"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0] == {
        "message": 'Invalid query. "limit" must be a number.',
        "extensions": {"code": "INVALID_QUERY", "reason": '"limit" must be a number'},
    }


async def test_one_collection_and_an_unknown_one(client):
    found = await client.get("/collections/notes", params=ADMIN)
    assert found.status_code == 200
    assert found.json()["data"]["meta"]["singleton"] is True
    missing = await client.get("/collections/nope", params=ADMIN)
    assert missing.status_code == 403
    assert code(missing) == "FORBIDDEN"


async def test_collection_create_update_delete(client):
    created = await client.post(
        "/collections",
        params=ADMIN,
        json={
            "collection": "places",
            "schema": {},
            "meta": {"note": "Where"},
            "fields": [{"field": "name", "type": "string"}],
        },
    )
    assert created.status_code == 200
    assert created.json()["data"]["collection"] == "places"
    assert created.json()["data"]["meta"]["note"] == "Where"

    again = await client.post("/collections", params=ADMIN, json={"collection": "places"})
    assert again.status_code == 400
    assert again.json()["errors"][0]["extensions"] == {
        "code": "INVALID_PAYLOAD",
        "reason": 'Collection "places" already exists',
    }

    updated = await client.patch(
        "/collections/places", params=ADMIN, json={"meta": {"note": "Somewhere"}}
    )
    assert updated.status_code == 200
    assert updated.json()["data"]["meta"]["note"] == "Somewhere"

    deleted = await client.delete("/collections/places", params=ADMIN)
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = await client.get("/collections/places", params=ADMIN)
    assert gone.status_code == 403
    again_deleted = await client.delete("/collections/places", params=ADMIN)
    assert again_deleted.status_code == 403


@pytest.mark.parametrize(
    "body",
    [{}, {"collection": "bad name"}, {"collection": "directus_x"}, [1], "x", None],
)
async def test_bad_collection_bodies_are_invalid_payload(client, body):
    response = await client.post("/collections", params=ADMIN, json=body)
    assert response.status_code == 400
    assert code(response) == "INVALID_PAYLOAD"


async def test_a_body_that_is_not_json_is_invalid_payload(client):
    response = await client.post(
        "/collections",
        params=ADMIN,
        content=b"not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert code(response) == "INVALID_PAYLOAD"


async def test_a_list_of_collections_is_created_all_or_none(client):
    good = {"collection": "first", "schema": {}}
    failed = await client.post("/collections", params=ADMIN, json=[good, {"collection": "1x"}])
    assert failed.status_code == 400
    assert (await client.get("/collections/first", params=ADMIN)).status_code == 403

    created = await client.post(
        "/collections", params=ADMIN, json=[good, {"collection": "second", "schema": {}}]
    )
    assert created.status_code == 200
    assert [entry["collection"] for entry in created.json()["data"]] == ["first", "second"]


async def test_collection_batch_update_takes_a_list(client):
    not_a_list = await client.patch("/collections", params=ADMIN, json={"collection": "tags"})
    assert not_a_list.status_code == 400
    assert not_a_list.json()["errors"][0]["extensions"]["reason"] == (
        "Input should be an array of collection changes"
    )
    updated = await client.patch(
        "/collections",
        params=ADMIN,
        json=[
            {"collection": "tags", "meta": {"note": "Labels"}},
            {"collection": "texts", "meta": {"icon": "notes"}},
        ],
    )
    assert updated.status_code == 200
    data = updated.json()["data"]
    assert [(entry["collection"], entry["meta"]["note"]) for entry in data] == [
        ("tags", "Labels"),
        ("texts", None),
    ]


@pytest.mark.parametrize("caller", [APP_USER, READER, {}], ids=["app", "reader", "public"])
async def test_schema_writes_are_for_admins(client, caller):
    attempts = [
        ("POST", "/collections", {"collection": "mine", "schema": {}}),
        ("PATCH", "/collections/articles", {"meta": {"note": "x"}}),
        ("DELETE", "/collections/articles", None),
        ("POST", "/fields/articles", {"field": "extra", "type": "string"}),
        ("PATCH", "/fields/articles/title", {"meta": {"note": "x"}}),
        ("DELETE", "/fields/articles/title", None),
        ("POST", "/relations", {"collection": "comments", "field": "likes"}),
        ("PATCH", "/relations/articles/author", {"schema": {"on_delete": "CASCADE"}}),
        ("DELETE", "/relations/articles/author", None),
    ]
    for method, path, body in attempts:
        response = await client.request(method, path, params=caller, json=body)
        assert response.status_code == 403, (method, path)
        assert code(response) == "FORBIDDEN"
    fields = await client.get("/fields/articles", params=ADMIN)
    assert "title" in {entry["field"] for entry in fields.json()["data"]}
    assert (await client.get("/relations/articles/author", params=ADMIN)).status_code == 200


async def test_an_app_user_sees_only_what_their_read_permissions_cover(client):
    collections = await client.get("/collections", params=APP_USER)
    assert collections.status_code == 200
    names = {entry["collection"] for entry in collections.json()["data"]}
    assert "articles" in names
    assert not names & {"authors", "comments", "tags", "notes"}
    assert "directus_fields" in names  # app access reads the schema collections

    fields = await client.get("/fields/articles", params=APP_USER)
    assert [entry["field"] for entry in fields.json()["data"]] == ["id", "title"]
    every_field = await client.get("/fields", params=APP_USER)
    assert {entry["collection"] for entry in every_field.json()["data"]} == names
    assert (await client.get("/fields/articles/body", params=APP_USER)).status_code == 403
    hidden = await client.get("/fields/authors", params=APP_USER)
    unknown = await client.get("/fields/nope", params=APP_USER)
    for response, name in ((hidden, "authors"), (unknown, "nope")):
        assert response.status_code == 403
        assert response.json()["errors"][0]["message"] == (  # the same for both
            f'You don\'t have permission to access collection "{name}" or it does not exist. '
            "Queried in root."
        )

    relations = await client.get("/relations", params=APP_USER)
    assert all(
        entry["collection"] in names and entry["related_collection"] in names | {None}
        for entry in relations.json()["data"]
    )
    assert (await client.get("/relations/articles/author", params=APP_USER)).status_code == 403


async def test_without_app_access_the_schema_is_forbidden(client):
    for path in ("/collections", "/fields", "/relations", "/fields/articles"):
        for caller in (READER, {}):
            response = await client.get(path, params=caller)
            assert response.status_code == 403, path
            assert code(response) == "FORBIDDEN"


async def test_fields_read_create_update_delete(client):
    one = await client.get("/fields/articles/title", params=ADMIN)
    assert one.status_code == 200
    assert one.json()["data"]["type"] == "string"
    assert one.json()["data"]["schema"]["name"] == "title"

    created = await client.post(
        "/fields/articles",
        params=ADMIN,
        json={"field": "views", "type": "integer", "schema": {"default_value": 0}},
    )
    assert created.status_code == 200
    assert created.json()["data"]["schema"]["default_value"] == 0

    updated = await client.patch(
        "/fields/articles/views", params=ADMIN, json={"meta": {"note": "How often"}}
    )
    assert updated.status_code == 200
    assert updated.json()["data"]["meta"]["note"] == "How often"

    deleted = await client.delete("/fields/articles/views", params=ADMIN)
    assert deleted.status_code == 204
    assert (await client.get("/fields/articles/views", params=ADMIN)).status_code == 403


async def test_field_errors(client):
    bad_type = await client.post(
        "/fields/articles", params=ADMIN, json={"field": "n", "type": "bogus"}
    )
    assert bad_type.status_code == 400
    assert code(bad_type) == "INVALID_PAYLOAD"
    duplicate = await client.post(
        "/fields/articles", params=ADMIN, json={"field": "title", "type": "string"}
    )
    assert duplicate.status_code == 400
    assert (await client.get("/fields/articles/nope", params=ADMIN)).status_code == 403

    unknown = await client.post("/fields/nope", params=ADMIN, json={"field": "n", "type": "text"})
    assert unknown.status_code == 403
    assert unknown.json()["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "reason": 'You don\'t have permission to access collection "nope" or it does not '
        "exist. Queried in root.",
    }


async def test_fields_batch_update_is_a_list_and_one_transaction(client):
    not_a_list = await client.patch("/fields/articles", params=ADMIN, json={"field": "title"})
    assert not_a_list.status_code == 400
    assert not_a_list.json()["errors"][0]["extensions"]["reason"] == (
        "Submitted body has to be an array"
    )
    failed = await client.patch(
        "/fields/articles",
        params=ADMIN,
        json=[{"field": "title", "meta": {"note": "Headline"}}, {"field": "body", "type": "bogus"}],
    )
    assert failed.status_code == 400
    title = await client.get("/fields/articles/title", params=ADMIN)
    assert (title.json()["data"]["meta"] or {}).get("note") is None

    updated = await client.patch(
        "/fields/articles",
        params=ADMIN,
        json=[{"field": "title", "meta": {"note": "Headline"}}, {"field": "body", "meta": {}}],
    )
    assert updated.status_code == 200
    assert [entry["field"] for entry in updated.json()["data"]] == ["title", "body"]
    assert updated.json()["data"][0]["meta"]["note"] == "Headline"


async def test_relations_read_create_update_delete(client):
    listed = await client.get("/relations/articles", params=ADMIN)
    assert listed.status_code == 200
    assert {entry["field"] for entry in listed.json()["data"]} == {"author"}
    one = await client.get("/relations/articles/author", params=ADMIN)
    assert one.json()["data"]["related_collection"] == "authors"

    await client.post("/fields/comments", params=ADMIN, json={"field": "tag", "type": "integer"})
    created = await client.post(
        "/relations",
        params=ADMIN,
        json={"collection": "comments", "field": "tag", "related_collection": "tags"},
    )
    assert created.status_code == 200
    assert created.json()["data"]["schema"]["on_delete"] == "SET NULL"

    updated = await client.patch(
        "/relations/comments/tag", params=ADMIN, json={"schema": {"on_delete": "CASCADE"}}
    )
    assert updated.status_code == 200
    assert updated.json()["data"]["schema"]["on_delete"] == "CASCADE"

    deleted = await client.delete("/relations/comments/tag", params=ADMIN)
    assert deleted.status_code == 204
    assert (await client.get("/relations/comments/tag", params=ADMIN)).status_code == 403


async def test_relation_errors(client):
    missing = await client.post("/relations", params=ADMIN, json={"field": "likes"})
    assert missing.status_code == 400
    assert code(missing) == "INVALID_PAYLOAD"
    taken = await client.post(
        "/relations",
        params=ADMIN,
        json={"collection": "articles", "field": "author", "related_collection": "authors"},
    )
    assert taken.status_code == 400
    bad_action = await client.post(
        "/relations",
        params=ADMIN,
        json={
            "collection": "comments",
            "field": "likes",
            "related_collection": "tags",
            "schema": {"on_delete": "EXPLODE"},
        },
    )
    assert bad_action.status_code == 400
    unknown = await client.get("/relations/nope", params=ADMIN)
    assert unknown.status_code == 403
    assert "nope" in unknown.json()["errors"][0]["message"]
