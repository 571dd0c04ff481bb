"""``schema``, ``collections``, ``fields`` and ``relations`` through the SDK's client: every
action, with the shapes Directus's tools answer, on both protocol eras."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.db.system_tables import directus_activity

pytestmark = pytest.mark.anyio


async def call(client: Any, tool: str, arguments: dict[str, Any]) -> Any:
    """The tool's data (``raw``); a failure fails the test with the error text."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content[0].text
    payload = json.loads(result.content[0].text)
    assert result.structured_content == payload
    return payload["raw"]


async def test_schema_lists_collections_then_describes_them(connect, mode):
    async with connect(mode=mode) as client:
        listed = await call(client, "schema", {})
        detailed = await call(client, "schema", {"keys": ["articles", "articles_blocks"]})
    assert {"articles", "authors", "notes"} <= set(listed["collections"])
    assert "directus_users" in listed["system"]
    assert "folders" not in listed
    articles = detailed["articles"]
    assert articles["id"] == "integer pk readonly ui:numeric"
    assert articles["author"].endswith(" m2o:authors")
    assert articles["comments"].endswith(" o2m:comments.article")
    assert articles["tags"].endswith(" m2m:tags via articles_tags(articles_id,tags_id)")
    assert articles["blocks"].endswith(
        " m2a:headings|texts via articles_blocks(articles_id,item,collection,sort=sort)"
    )
    assert set(detailed) == {"articles", "articles_blocks"}


async def test_collections_create_read_update_delete(connect, mode, set_mcp, mcp_db):
    set_mcp(allow_deletes=True)
    async with connect(mode=mode) as client:
        created = await call(
            client,
            "collections",
            {
                "action": "create",
                "data": [
                    {
                        "collection": "events",
                        "schema": {},
                        "meta": {"note": "Things that happen"},
                        "fields": [{"field": "title", "type": "string"}],
                    },
                    {"collection": "planning", "schema": None},
                ],
            },
        )
        read = await client.call_tool("collections", {"action": "read", "keys": ["events"]})
        updated = await call(
            client,
            "collections",
            {"action": "update", "data": [{"collection": "events", "meta": {"icon": "event"}}]},
        )
        listed = await call(client, "schema", {})
        deleted = await call(client, "collections", {"action": "delete", "keys": ["events"]})
        after = await call(client, "collections", {"action": "read"})
    assert [c["collection"] for c in created] == ["events", "planning"]
    assert created[0]["schema"] == {"name": "events"}
    assert created[1]["schema"] is None
    assert json.loads(read.content[0].text)["url"] == ("http://127.0.0.1:8055/admin/content/events")
    assert updated[0]["meta"]["icon"] == "event"
    assert listed["folders"] == ["planning"]
    assert "events # Things that happen" in listed["collections"]
    assert deleted == ["events"]
    assert "events" not in {c["collection"] for c in after}
    with mcp_db.read() as conn:
        logged = conn.execute(
            sa.select(directus_activity.c.action, directus_activity.c.origin).where(
                directus_activity.c.collection == "directus_collections"
            )
        ).all()
    assert ("create", "mcp") in logged
    assert ("delete", "mcp") in logged


async def test_a_failing_collection_leaves_the_others_uncreated(connect):
    async with connect() as client:
        result = await client.call_tool(
            "collections",
            {
                "action": "create",
                "data": [
                    {"collection": "first_one", "schema": {}},
                    {"collection": "articles", "schema": {}},
                ],
            },
        )
        listed = await call(client, "schema", {})
    assert result.is_error
    assert "first_one" not in listed["collections"]


async def test_fields_create_read_update_delete(connect, mode, set_mcp):
    set_mcp(allow_deletes=True)
    async with connect(mode=mode) as client:
        created = await call(
            client,
            "fields",
            {
                "action": "create",
                "collection": "tags",
                "data": [
                    {"field": "color", "type": "string", "schema": {"max_length": 20}},
                    {"field": "weight", "type": "integer", "meta": {"note": "Heavier first"}},
                ],
            },
        )
        one = await call(
            client, "fields", {"action": "read", "collection": "tags", "field": "color"}
        )
        of_tags = await call(client, "fields", {"action": "read", "collection": "tags"})
        everything = await call(client, "fields", {"action": "read"})
        updated = await call(
            client,
            "fields",
            {
                "action": "update",
                "collection": "tags",
                "data": [{"field": "color", "meta": {"note": "CSS colour"}}],
            },
        )
        deleted = await call(
            client, "fields", {"action": "delete", "collection": "tags", "field": "weight"}
        )
        refused = await client.call_tool(
            "fields", {"action": "create", "collection": "tags", "field": "x", "data": []}
        )
    assert [f["field"] for f in created] == ["color", "weight"]
    assert one["schema"]["max_length"] == 20
    assert {f["field"] for f in of_tags} == {"id", "name", "color", "weight"}
    assert len(everything) > len(of_tags)
    assert updated[0]["meta"]["note"] == "CSS colour"
    assert deleted == {"collection": "tags", "field": "weight"}
    assert refused.is_error


async def test_relations_create_read_update_delete(connect, mode, set_mcp):
    set_mcp(allow_deletes=True)
    async with connect(mode=mode) as client:
        await call(
            client,
            "fields",
            {
                "action": "create",
                "collection": "tags",
                "data": {"field": "owner", "type": "integer"},
            },
        )
        created = await call(
            client,
            "relations",
            {
                "action": "create",
                "collection": "tags",
                "data": {
                    "collection": "tags",
                    "field": "owner",
                    "related_collection": "authors",
                    "schema": {"on_delete": "SET NULL"},
                    "meta": {"one_field": "owned_tags"},
                },
            },
        )
        one = await call(
            client, "relations", {"action": "read", "collection": "tags", "field": "owner"}
        )
        of_articles = await call(client, "relations", {"action": "read", "collection": "articles"})
        everything = await call(client, "relations", {"action": "read"})
        updated = await call(
            client,
            "relations",
            {
                "action": "update",
                "collection": "tags",
                "field": "owner",
                "data": {"collection": "tags", "field": "owner", "meta": {"sort_field": None}},
            },
        )
        deleted = await call(
            client, "relations", {"action": "delete", "collection": "tags", "field": "owner"}
        )
    assert created["related_collection"] == "authors"
    assert created["meta"]["one_field"] == "owned_tags"
    assert one == created
    assert [r["field"] for r in of_articles] == ["author"]
    assert len(everything) >= 8
    assert updated["field"] == "owner"
    assert deleted == {"collection": "tags", "field": "owner"}


async def test_schema_changes_need_deletes_allowed_to_delete(connect):
    async with connect() as client:
        result = await client.call_tool(
            "fields", {"action": "delete", "collection": "tags", "field": "name"}
        )
    assert result.is_error
    assert json.loads(result.content[0].text)[0]["code"] == "INVALID_PAYLOAD"
