"""Writes through the MCP ``items`` tool fire event flows as REST writes do: a filter hook
that rejects is the tool's error and nothing is written; one that returns a value changes
what is written; an action hook runs after the write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flow_helpers import runs, save_flow
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService

pytestmark = pytest.mark.anyio


async def call(client: Any, arguments: dict[str, Any]) -> tuple[bool, Any]:
    result = await client.call_tool("items", arguments)
    return result.is_error, json.loads(result.content[0].text)


def tags(db: Any) -> list[str]:
    with db.read() as conn:
        return sorted(conn.exec_driver_sql("SELECT name FROM tags").scalars())


def event_flow(db: Any, settings: Any, operation: dict[str, Any], **options: Any) -> str:
    items = ItemsService(db, SchemaCache(db), settings, None)
    options = {"scope": ["items.create"], "collections": ["tags"], **options}
    return save_flow(items, operation, trigger="event", options=options)


async def test_a_rejecting_filter_hook_is_the_tools_error(connect, mcp_db, mcp_settings):
    refuse = {"code": "NO_TAGS", "status": 409, "message": "No new tags"}
    event_flow(
        mcp_db, mcp_settings, {"key": "no", "type": "throw-error", "options": refuse}, type="filter"
    )
    before = tags(mcp_db)
    async with connect() as client:
        failed, answer = await call(
            client, {"action": "create", "collection": "tags", "data": {"name": "x"}}
        )
    assert failed
    assert answer == [{"error": "No new tags", "code": "NO_TAGS"}]
    assert tags(mcp_db) == before


async def test_filter_and_action_hooks_on_an_mcp_write(connect, app, mcp_db, mcp_settings):
    rename = {"json": {"name": "{{ $trigger.payload.name }} (checked)"}}
    event_flow(
        mcp_db,
        mcp_settings,
        {"key": "rename", "type": "transform", "options": rename},
        type="filter",
        **{"return": "$last"},
    )
    watcher = event_flow(
        mcp_db,
        mcp_settings,
        {"key": "note", "type": "log", "options": {"message": "x"}},
        type="action",
    )
    async with connect() as client:
        failed, _ = await call(
            client, {"action": "create", "collection": "tags", "data": {"name": "mcp"}}
        )
    assert not failed
    assert "mcp (checked)" in tags(mcp_db)
    app.state.flows.background.wait(10)
    [run] = runs(mcp_db, watcher)
    assert run["revision"]["data"]["$trigger"]["payload"] == {"name": "mcp (checked)"}
