"""``flows``, ``operations`` and ``trigger-flow`` through the SDK client, on both wires:
an admin builds a manual flow step by step as the tools' descriptions say, a user runs it
on items they may read, and what the flows service refuses, the tools refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.db import Database
from tessera.db.system_tables import directus_activity

pytestmark = pytest.mark.anyio
READER = "mcp-reader-token"


async def call(client: Any, name: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
    result = await client.call_tool(name, arguments)
    return result.is_error, json.loads(result.content[0].text)


async def build_flow(client: Any, **options: Any) -> str:
    """A manual flow on ``articles`` that answers the keys it ran on, made with the tools."""
    flow_options = {"collections": ["articles"], **options}
    data = {"name": "Echo", "trigger": "manual", "status": "active", "options": flow_options}
    failed, flow = await call(client, "flows", {"action": "create", "data": data})
    assert not failed, flow
    step = {
        "flow": flow["raw"]["id"],
        "key": "echo",
        "type": "transform",
        "position_x": 19,
        "position_y": 1,
        "options": {
            "json": {"keys": "{{ $trigger.body.keys }}", "note": "{{ $trigger.body.note }}"}
        },
    }
    failed, operation = await call(client, "operations", {"action": "create", "data": step})
    assert not failed, operation
    change = {"operation": operation["raw"]["id"]}
    failed, _ = await call(
        client, "flows", {"action": "update", "key": flow["raw"]["id"], "data": change}
    )
    assert not failed
    return str(flow["raw"]["id"])


async def test_an_admin_builds_a_flow_and_a_reader_runs_it(connect, mode, mcp_db: Database):
    async with connect(mode=mode) as admin:
        before = [tool.name for tool in (await admin.list_tools()).tools]
        flow_id = await build_flow(admin)
        after = [tool.name for tool in (await admin.list_tools()).tools]
        failed, read = await call(
            admin, "flows", {"action": "read", "query": {"fields": ["name", "operation"]}}
        )
    async with connect(READER, mode=mode) as reader:
        listed = [tool.name for tool in (await reader.list_tools()).tools]
        arguments = {"id": flow_id, "collection": "articles", "keys": [1], "data": {"note": "hi"}}
        failed_run, ran = await call(reader, "trigger-flow", arguments)
    assert "trigger-flow" not in before
    assert "trigger-flow" in after
    assert "trigger-flow" in listed
    assert not failed
    assert read["raw"][0]["name"] == "Echo"
    assert read["raw"][0]["operation"] is not None
    assert not failed_run
    assert ran == {"raw": {"keys": [1], "note": "hi"}}
    act = directus_activity
    with mcp_db.read() as conn:
        origins = conn.execute(
            sa.select(act.c.collection, act.c.origin).where(act.c.action == "create")
        ).all()
    assert ("directus_flows", "mcp") in origins
    assert ("directus_operations", "mcp") in origins


async def test_a_flow_the_service_refuses_is_refused(connect, mode):
    bad = {"name": "Bad", "trigger": "schedule", "options": {"cron": "not a cron"}}
    async with connect(mode=mode) as admin:
        failed, errors = await call(admin, "flows", {"action": "create", "data": bad})
        unknown, shape = await call(
            admin, "flows", {"action": "create", "data": {"name": "x", "colour": "red"}}
        )
    assert failed
    assert errors[0]["code"] == "INVALID_PAYLOAD"
    assert "cron" in errors[0]["error"]
    assert unknown
    assert shape[0]["code"] == "INVALID_PAYLOAD"


async def test_flow_urls_deletes_and_admins_only(connect, set_mcp):
    async with connect() as admin:
        flow_id = await build_flow(admin)
        _, read = await call(admin, "flows", {"action": "read", "query": {"limit": 1}})
        refused, disabled = await call(admin, "flows", {"action": "delete", "key": flow_id})
        set_mcp(allow_deletes=True)
        deleted, key = await call(admin, "flows", {"action": "delete", "key": flow_id})
    async with connect(READER) as reader:
        names = [tool.name for tool in (await reader.list_tools()).tools]
        forbidden, why = await call(reader, "flows", {"action": "read"})
    assert read["url"] == f"http://127.0.0.1:8055/admin/settings/flows/{flow_id}"
    assert refused
    assert disabled == [
        {"error": "Invalid payload. Delete actions are disabled.", "code": "INVALID_PAYLOAD"}
    ]
    assert not deleted
    assert key == {"raw": flow_id}
    assert "flows" not in names
    assert "operations" not in names
    assert forbidden
    assert why == [{"error": "You must be an admin to access this tool", "code": "FORBIDDEN"}]


async def test_trigger_flow_refuses_as_the_trigger_route_does(connect, mode):
    async with connect(mode=mode) as admin:
        flow_id = await build_flow(admin, fields=[{"field": "note", "meta": {"required": True}}])
        _, webhook = await call(
            admin,
            "flows",
            {
                "action": "create",
                "data": {"name": "Hook", "trigger": "webhook", "status": "active"},
            },
        )
        missing = await call(
            admin, "trigger-flow", {"id": flow_id, "collection": "articles", "keys": [1]}
        )
        other = await call(
            admin,
            "trigger-flow",
            {"id": flow_id, "collection": "authors", "keys": [1], "data": {"note": "x"}},
        )
        not_manual = await call(
            admin, "trigger-flow", {"id": webhook["raw"]["id"], "collection": "articles"}
        )
    assert missing == (
        True,
        [
            {
                "error": 'Invalid payload. Required field "note" is missing.',
                "code": "INVALID_PAYLOAD",
            }
        ],
    )
    assert other[0]
    assert other[1][0]["code"] == "FORBIDDEN"
    assert not_manual[0]
    assert not_manual[1][0]["code"] == "FORBIDDEN"


async def test_a_reader_cannot_run_a_flow_on_items_they_may_not_read(connect, mode):
    async with connect(mode=mode) as admin:
        flow_id = await build_flow(admin, collections=["authors"])
    async with connect(READER, mode=mode) as reader:
        names = [tool.name for tool in (await reader.list_tools()).tools]
        failed, errors = await call(
            reader, "trigger-flow", {"id": flow_id, "collection": "authors", "keys": [1]}
        )
    assert "trigger-flow" not in names  # its only flow runs on a collection they cannot read
    assert failed
    assert errors[0]["code"] == "FORBIDDEN"
