"""The ``items`` tool through the SDK's client, on both protocol eras: every action, the
delete switch, JSON-string arguments, validation, admin URLs and the activity log."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.db.system_tables import directus_activity

pytestmark = pytest.mark.anyio


async def call(client: Any, arguments: dict[str, Any] | str) -> tuple[bool, Any]:
    """``(is_error, the text's JSON)``; the structured copy must say the same."""
    result = await client.call_tool("items", arguments)
    payload = json.loads(result.content[0].text)
    if not result.is_error:
        assert result.structured_content == payload
    return bool(result.is_error), payload


async def test_read_by_query(connect, mode):
    async with connect(mode=mode) as client:
        failed, payload = await call(
            client,
            {
                "action": "read",
                "collection": "articles",
                "query": {
                    "fields": ["id", "title", "author.name"],
                    "filter": {"status": {"_eq": "published"}},
                    "sort": ["-id"],
                },
            },
        )
    assert not failed
    assert payload == {
        "raw": [
            {"id": 3, "title": "MCP in practice", "author": {"name": "Ann"}},
            {"id": 1, "title": "Hello world", "author": {"name": "Ann"}},
        ]
    }


async def test_read_by_keys_links_the_one_item(connect, mode):
    async with connect(mode=mode) as client:
        failed, payload = await call(
            client,
            {"action": "read", "collection": "articles", "keys": [2], "query": {"fields": ["id"]}},
        )
    assert not failed
    assert payload == {
        "raw": [{"id": 2}],
        "url": "http://127.0.0.1:8055/admin/content/articles/2",
    }


async def test_json_string_arguments_are_parsed(connect, mode):
    async with connect(mode=mode) as client:
        failed, payload = await call(
            client,
            {
                "action": "read",
                "collection": "articles",
                "keys": "[1, 3]",
                "query": '{"fields": ["title"], "sort": ["id"]}',
            },
        )
    assert not failed
    assert payload["raw"] == [{"title": "Hello world"}, {"title": "MCP in practice"}]


async def test_create_one_and_many(connect, mode, mcp_db):
    async with connect(mode=mode) as client:
        _, one = await call(
            client,
            {
                "action": "create",
                "collection": "tags",
                "data": {"name": "mcp"},
                "query": {"fields": ["name"]},
            },
        )
        _, many = await call(
            client,
            {"action": "create", "collection": "tags", "data": [{"name": "a"}, {"name": "b"}]},
        )
    assert one["raw"] == [{"name": "mcp"}]
    assert "url" not in one  # no primary key among the fields read back
    assert [tag["name"] for tag in many["raw"]] == ["a", "b"]
    with mcp_db.read() as conn:
        origins = conn.execute(
            sa.select(directus_activity.c.origin, directus_activity.c.action).where(
                directus_activity.c.collection == "tags"
            )
        ).all()
    assert origins == [("mcp", "create")] * 3


async def test_update_by_keys_by_batch_and_by_query(connect, mode):
    async with connect(mode=mode) as client:
        _, by_keys = await call(
            client,
            {
                "action": "update",
                "collection": "articles",
                "keys": [1],
                "data": {"rating": 1},
                "query": {"fields": ["id", "rating"]},
            },
        )
        _, batch = await call(
            client,
            {
                "action": "update",
                "collection": "articles",
                "data": [{"id": 1, "rating": 2}, {"id": 2, "rating": 3}],
                "query": {"fields": ["rating"], "sort": ["id"]},
            },
        )
        _, by_query = await call(
            client,
            {
                "action": "update",
                "collection": "articles",
                "data": {"status": "archived"},
                "query": {"filter": {"status": {"_eq": "draft"}}, "fields": ["id", "status"]},
            },
        )
    assert by_keys["raw"] == [{"id": 1, "rating": 1}]
    assert by_keys["url"].endswith("/admin/content/articles/1")
    assert batch["raw"] == [{"rating": 2}, {"rating": 3}]
    assert by_query["raw"] == [{"id": 2, "status": "archived"}]


async def test_an_update_with_one_object_needs_keys_or_a_query(connect, mode):
    """Directus would update the first hundred items here."""
    async with connect(mode=mode) as client:
        failed, errors = await call(
            client, {"action": "update", "collection": "articles", "data": {"rating": 1}}
        )
    assert failed
    assert errors[0]["code"] == "INVALID_PAYLOAD"


async def test_a_singleton_is_read_and_written_as_one_object(connect, mode):
    async with connect(mode=mode) as client:
        _, written = await call(
            client, {"action": "update", "collection": "notes", "data": {"motto": "Less is more"}}
        )
        _, read = await call(
            client, {"action": "read", "collection": "notes", "query": {"fields": ["motto"]}}
        )
        failed, errors = await call(
            client, {"action": "create", "collection": "notes", "data": [{"motto": "x"}]}
        )
    assert written["raw"]["motto"] == "Less is more"
    assert read == {"raw": {"motto": "Less is more"}}
    assert failed
    assert errors[0]["code"] == "INVALID_PAYLOAD"


async def test_delete_is_refused_until_the_setting_allows_it(connect, mode, set_mcp):
    arguments = {"action": "delete", "collection": "tags", "keys": [1]}
    async with connect(mode=mode) as client:
        failed, errors = await call(client, arguments)
        assert failed
        assert errors == [
            {"error": "Invalid payload. Delete actions are disabled.", "code": "INVALID_PAYLOAD"}
        ]
        set_mcp(allow_deletes=True)
        failed, deleted = await call(client, arguments)
        assert not failed
        assert deleted == {"raw": [1]}
        _, left = await call(client, {"action": "read", "collection": "tags", "keys": [1]})
    assert left == {"raw": []}


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (
            {"action": "read", "collection": "directus_users"},
            "INVALID_PAYLOAD",
            "Invalid payload. Cannot provide a core collection.",
        ),
        (
            {"action": "read", "collection": "nothing_here"},
            "FORBIDDEN",
            'You don\'t have permission to access collection "nothing_here" or it does not '
            "exist. Queried in root.",
        ),
        (
            {"action": "read"},
            "INVALID_PAYLOAD",
            'Invalid payload. Validation error: Required at "collection".',
        ),
        (
            {"action": "read", "collection": "tags", "bogus": 1},
            "INVALID_PAYLOAD",
            'Invalid payload. Validation error: Unrecognized key at "bogus".',
        ),
        (
            {"action": "delete", "collection": "tags"},
            "INVALID_PAYLOAD",
            'Invalid payload. Validation error: Required at "keys".',
        ),
        (
            {"action": "remove", "collection": "tags"},
            "INVALID_PAYLOAD",
            "Invalid payload. Validation error: \"action\" must be one of 'create', 'read', "
            "'update', 'delete'.",
        ),
        (
            {"action": "read", "collection": "tags", "query": "{not json"},
            "INVALID_PAYLOAD",
            "Invalid payload. Validation error: Input should be a valid dictionary or instance "
            'of QueryArgs at "query".',
        ),
        (
            {"action": "read", "collection": "tags", "query": {"filter": {"name": {"_bogus": 1}}}},
            "INVALID_QUERY",
            None,
        ),
    ],
)
async def test_bad_calls_are_error_results(connect, arguments, code, message):
    async with connect() as client:
        failed, errors = await call(client, arguments)
    assert failed
    assert errors[0]["code"] == code
    if message is not None:
        assert errors[0]["error"] == message


async def test_failed_validation_is_reported_per_failure(connect):
    async with connect() as client:
        changed = await client.call_tool(
            "fields",
            {
                "action": "update",
                "collection": "tags",
                "data": [
                    {"field": "name", "meta": {"validation": {"name": {"_starts_with": "#"}}}}
                ],
            },
        )
        assert not changed.is_error
        failed, errors = await call(
            client, {"action": "create", "collection": "tags", "data": {"name": "plain"}}
        )
    assert failed
    assert errors == [
        {
            "error": 'Validation failed for field "name". Value has to start with "#".',
            "code": "FAILED_VALIDATION",
        }
    ]


async def test_the_readme_s_first_conversation_counts_published_articles(connect):
    async with connect() as client:
        failed, payload = await call(
            client,
            {
                "action": "read",
                "collection": "articles",
                "query": {
                    "filter": {"status": {"_eq": "published"}},
                    "aggregate": {"count": ["*"]},
                },
            },
        )
    assert not failed
    assert payload == {"raw": [{"count": 2}]}
