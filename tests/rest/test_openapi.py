"""``/server/specs/oas``: a valid OpenAPI 3 document of what the caller may do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from asgi_client import serving
from callers import grant, make_caller
from tessera.app import create_app
from tessera.db.system_tables import directus_users
from tessera.schema.overview import SchemaCache
from tessera.services.bootstrap import bootstrap
from tessera.services.collections import CollectionsService
from tessera.services.openapi import title
from tessera.services.schema_change import SchemaContext

pytestmark = pytest.mark.anyio
ADMIN = {"access_token": "admin-static-token"}
#: Reads articles' id and title, creates tags; app access.
APP_USER = {"access_token": "app-static-token"}
ITEM_METHODS = ["post", "get", "patch", "delete"]


@pytest.fixture
async def client(blog_db, settings) -> AsyncIterator[httpx.AsyncClient]:
    bootstrap(blog_db, settings)
    app_user = make_caller(
        blog_db,
        [
            grant("articles", "read", fields="id,title"),
            grant("tags", "read"),
            grant("tags", "create"),
        ],
        app=True,
    )
    users = directus_users
    with blog_db.write() as conn:
        conn.execute(
            sa.update(users).where(users.c.id != app_user.user).values(token=ADMIN["access_token"])
        )
        conn.execute(
            sa.update(users)
            .where(users.c.id == app_user.user)
            .values(token=APP_USER["access_token"])
        )
    async with serving(create_app(settings, blog_db)) as test_client:
        yield test_client


async def document(client: httpx.AsyncClient, caller: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/server/specs/oas", params=caller)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    spec = response.json()
    validate(spec)
    return spec


async def test_the_admin_document_covers_every_collection_and_validates(client):
    spec = await document(client, ADMIN)
    assert spec["openapi"] == "3.0.1"
    assert spec["info"]["title"] == "Dynamic API Specification"
    assert spec["servers"] == [
        {"url": "http://tessera.test", "description": "This Tessera instance."}
    ]
    paths = spec["paths"]
    assert list(paths["/items/articles"]) == ITEM_METHODS
    assert list(paths["/items/articles/{id}"]) == ["get", "patch", "delete"]
    assert list(paths["/items/notes"]) == ["get", "patch"]  # a singleton has no {id}
    assert "/items/notes/{id}" not in paths
    assert not any(path.startswith("/items/directus_") for path in paths)
    assert list(paths["/collections"]) == ["get", "post", "patch"]
    assert list(paths["/fields/{collection}/{field}"]) == ["get", "patch", "delete"]
    assert list(paths["/relations"]) == ["get", "post"]
    assert list(paths["/activity"]) == ["get"]
    assert set(paths) >= {"/revisions/{id}", "/server/ping", "/server/specs/oas"}
    tags = {tag["name"]: tag for tag in spec["tags"]}
    assert tags["ItemsArticlesTags"] == {
        "name": "ItemsArticlesTags",
        "x-collection": "articles_tags",
    }
    assert {"Server", "Collections", "Fields", "Relations", "Activity", "Revisions"} <= set(tags)


async def test_operations_say_what_the_api_answers(client):
    paths = (await document(client, ADMIN))["paths"]
    listing = paths["/items/articles"]["get"]
    assert listing["operationId"] == "readItemsArticles"
    assert listing["tags"] == ["ItemsArticles"]
    assert {"$ref": "#/components/parameters/Filter"} in listing["parameters"]
    data = listing["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert data["data"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/ItemsArticles"},
    }
    assert data["meta"] == {"$ref": "#/components/schemas/x-metadata"}
    assert set(paths["/items/articles/{id}"]["delete"]["responses"]) == {"204", "400", "401", "403"}
    assert "204" in paths["/items/articles"]["post"]["responses"]  # when it can't be read back
    (key,) = paths["/items/articles/{id}"]["delete"]["parameters"]
    assert key == {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    assert set(paths["/collections/{collection}"]["delete"]["responses"]) == {
        "204",
        "400",
        "401",
        "403",
    }


async def test_item_schemas_map_field_types_and_relations(client):
    schemas = (await document(client, ADMIN))["components"]["schemas"]
    articles = schemas["ItemsArticles"]
    assert articles["x-collection"] == "articles"
    properties = articles["properties"]
    assert properties["id"] == {"nullable": False, "type": "integer"}
    assert properties["title"] == {"nullable": True, "type": "string"}
    assert properties["price"] == {"nullable": True, "type": "string", "format": "decimal"}
    assert properties["published_on"] == {"nullable": True, "type": "string", "format": "date"}
    assert properties["uid"] == {"nullable": True, "type": "string", "format": "uuid"}
    assert properties["flags"] == {"nullable": True}
    assert properties["author"] == {
        "nullable": True,
        "oneOf": [{"type": "integer"}, {"$ref": "#/components/schemas/ItemsAuthors"}],
    }
    assert properties["comments"] == {
        "type": "array",
        "items": {"oneOf": [{"type": "integer"}, {"$ref": "#/components/schemas/ItemsComments"}]},
    }
    assert schemas["ItemsArticlesBlocks"]["properties"]["item"] == {
        "nullable": True,
        "oneOf": [
            {"type": "string"},
            {"$ref": "#/components/schemas/ItemsHeadings"},
            {"$ref": "#/components/schemas/ItemsTexts"},
        ],
    }
    assert "required" not in articles  # the id auto-increments; the rest may be null


async def test_every_field_type_has_its_openapi_type(client, blog_db):
    types = {
        "string": {"type": "string"},
        "text": {"type": "string"},
        "integer": {"type": "integer"},
        "bigInteger": {"type": "integer", "format": "int64"},
        "float": {"type": "number", "format": "float"},
        "decimal": {"type": "string", "format": "decimal"},
        "boolean": {"type": "boolean"},
        "date": {"type": "string", "format": "date"},
        "dateTime": {"type": "string", "format": "date-time"},
        "time": {"type": "string", "format": "time"},
        "timestamp": {"type": "string", "format": "date-time"},
        "json": {},
        "csv": {"type": "array", "items": {"type": "string"}},
        "uuid": {"type": "string", "format": "uuid"},
        "hash": {"type": "string"},
        "binary": {"type": "string", "format": "binary"},
    }
    fields = [{"field": f"f_{name}", "type": name} for name in types]
    fields.append({"field": "code", "type": "string", "schema": {"is_nullable": False}})
    fields.append(
        {
            "field": "stamp",
            "type": "timestamp",
            "schema": {"is_nullable": False},
            "meta": {"special": ["date-created"], "note": "When it was made"},
        }
    )
    context = SchemaContext(blog_db, SchemaCache(blog_db))
    CollectionsService(context).create({"collection": "every_type", "schema": {}, "fields": fields})

    schema = (await document(client, ADMIN))["components"]["schemas"]["ItemsEveryType"]
    properties = schema["properties"]
    for name, expected in types.items():
        assert properties[f"f_{name}"] == {"nullable": True, **expected}, name
    assert properties["stamp"]["description"] == "When it was made"
    assert schema["required"] == ["code"]  # not nullable, no default, not filled by the server


async def test_an_app_user_sees_only_what_they_may_do(client):
    spec = await document(client, APP_USER)
    paths = spec["paths"]
    item_paths = {path: list(methods) for path, methods in paths.items() if "/items/" in path}
    assert item_paths == {
        "/items/articles": ["get"],
        "/items/articles/{id}": ["get"],
        "/items/tags": ["post", "get"],
        "/items/tags/{id}": ["get"],
    }
    assert list(paths["/collections"]) == ["get"]  # schema changes are for admins
    assert list(paths["/fields/{collection}"]) == ["get"]
    assert "/revisions" not in paths  # app access reads only its own activity
    assert list(paths["/activity"]) == ["get"]
    schemas = spec["components"]["schemas"]
    assert list(schemas["ItemsArticles"]["properties"]) == ["id", "title"]
    assert "ItemsAuthors" not in schemas
    assert "Revisions" not in schemas


async def test_the_public_document_lists_only_the_server(client):
    spec = await document(client, {})
    assert set(spec["paths"]) == {
        "/server/ping",
        "/server/info",
        "/server/health",
        "/server/specs/oas",
    }
    assert set(spec["components"]["schemas"]) == {"Error", "Query", "x-metadata"}


async def test_the_version_follows_the_schema(client):
    first = (await document(client, ADMIN))["info"]["version"]
    assert (await document(client, ADMIN))["info"]["version"] == first
    assert (await document(client, APP_USER))["info"]["version"] != first
    await client.post("/fields/tags", params=ADMIN, json={"field": "color", "type": "string"})
    assert (await document(client, ADMIN))["info"]["version"] != first


async def test_the_server_is_public_url_when_set(blog_db, settings):
    bootstrap(blog_db, settings)
    configured = settings.model_copy(update={"public_url": "https://api.example.com/"})
    async with serving(create_app(configured, blog_db)) as client:
        spec = await document(client, {})
    assert spec["servers"][0]["url"] == "https://api.example.com"


def test_titles_name_schemas_as_directus_does():
    assert title("articles_tags") == "ArticlesTags"
    assert title("blogPosts") == "BlogPosts"
    assert title("zz-h10 a") == "ZzH10A"
