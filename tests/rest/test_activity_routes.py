"""``/activity`` and ``/revisions``: the audit trail over HTTP, read-only, per permissions."""

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
#: App access, and may create and read tags.
APP_USER = {"access_token": "app-static-token"}
#: May create and read tags, without app access.
WRITER = {"access_token": "writer-static-token"}


@pytest.fixture
async def client(blog_db, settings) -> AsyncIterator[httpx.AsyncClient]:
    bootstrap(blog_db, settings)
    tags = [grant("tags", "read"), grant("tags", "create")]
    app_user = make_caller(blog_db, tags, app=True)
    writer = make_caller(blog_db, tags)
    users = directus_users
    with blog_db.write() as conn:
        others = users.c.id.not_in([app_user.user, writer.user])
        conn.execute(sa.update(users).where(others).values(token=ADMIN["access_token"]))
        for who, token in ((app_user, APP_USER), (writer, WRITER)):
            conn.execute(
                sa.update(users).where(users.c.id == who.user).values(token=token["access_token"])
            )
    async with serving(create_app(settings, blog_db)) as test_client:
        yield test_client


async def create_tag(client: httpx.AsyncClient, caller: dict[str, str], name: str) -> int:
    created = await client.post("/items/tags", params=caller, json={"name": name})
    assert created.status_code == 200
    return created.json()["data"]["id"]


async def test_an_item_write_appears_in_activity_and_revisions(client):
    key = await create_tag(client, ADMIN, "purple")
    response = await client.get(
        "/activity",
        params={**ADMIN, "filter[collection][_eq]": "tags", "sort": "-id", "meta": "*"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["filter_count"] == 1
    assert body["meta"]["total_count"] > 1  # building the blog schema left its own trail
    (row,) = body["data"]
    assert row["action"] == "create"
    assert row["collection"] == "tags"
    assert row["item"] == str(key)
    assert row["user"] is not None
    assert row["user_agent"] == "python-httpx/" + httpx.__version__

    one = await client.get(f"/activity/{row['id']}", params={**ADMIN, "fields": "id,action"})
    assert one.json() == {"data": {"id": row["id"], "action": "create"}}

    revisions = await client.get(
        "/revisions", params={**ADMIN, "filter[activity][_eq]": str(row["id"])}
    )
    (revision,) = revisions.json()["data"]
    assert revision["collection"] == "tags"
    assert revision["item"] == str(key)
    assert revision["data"]["name"] == "purple"
    assert revision["delta"] == {"name": "purple"}
    through = await client.get(
        f"/revisions/{revision['id']}", params={**ADMIN, "fields": "id,activity.action"}
    )
    assert through.json() == {"data": {"id": revision["id"], "activity": {"action": "create"}}}


async def test_search_takes_a_query_or_keys(client):
    by_query = await client.request(
        "SEARCH",
        "/activity",
        params=ADMIN,
        json={"query": {"fields": ["id"], "sort": ["id"], "limit": 2}},
    )
    assert by_query.status_code == 200
    assert by_query.json() == {"data": [{"id": 1}, {"id": 2}]}
    by_keys = await client.request(
        "SEARCH", "/revisions", params={**ADMIN, "fields": "id"}, json={"keys": [2, 1]}
    )
    assert by_keys.json() == {"data": [{"id": 1}, {"id": 2}]}
    bad = await client.request("SEARCH", "/activity", params=ADMIN, json={"keys": 1})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"


async def test_an_app_user_sees_only_their_own_activity_and_no_revisions(client):
    await create_tag(client, ADMIN, "by admin")
    await create_tag(client, APP_USER, "by app user")
    mine = await client.get("/activity", params={**APP_USER, "meta": "total_count"})
    assert mine.status_code == 200
    rows = mine.json()["data"]
    assert [(row["action"], row["collection"]) for row in rows] == [("create", "tags")]
    assert mine.json()["meta"] == {"total_count": 1}

    everything = await client.get("/activity", params={**ADMIN, "sort": "-id", "limit": "2"})
    own, admins = everything.json()["data"]
    assert own["id"] == rows[0]["id"]
    assert (await client.get(f"/activity/{own['id']}", params=APP_USER)).status_code == 200
    others = await client.get(f"/activity/{admins['id']}", params=APP_USER)
    assert others.status_code == 403

    revisions = await client.get("/revisions", params=APP_USER)
    assert revisions.status_code == 403
    assert revisions.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_without_app_access_or_a_token_the_trail_is_forbidden(client):
    await create_tag(client, WRITER, "by writer")
    for caller in (WRITER, {}):
        for path in ("/activity", "/revisions", "/activity/1"):
            response = await client.get(path, params=caller)
            assert response.status_code == 403, path
            assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_missing_rows_and_bad_queries(client):
    for key in ("999999", "abc"):
        missing = await client.get(f"/activity/{key}", params=ADMIN)
        assert missing.status_code == 403
    bad = await client.get("/activity", params={**ADMIN, "limit": "abc"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"]["code"] == "INVALID_QUERY"


async def test_the_trail_cannot_be_written(client):
    for method, path in (
        ("POST", "/activity"),
        ("PATCH", "/activity/1"),
        ("DELETE", "/activity/1"),
        ("POST", "/revisions"),
        ("DELETE", "/revisions/1"),
    ):
        response = await client.request(method, path, params=ADMIN, json={})
        # Directus (Express) answers 404 ROUTE_NOT_FOUND; Tessera names the method (405).
        assert response.status_code == 405, (method, path)
        assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
