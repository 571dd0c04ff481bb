"""``folders`` through the SDK client: Directus's shapes for each action, the caller's
permissions on ``directus_folders``, and the delete switch."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from callers import grant, make_caller
from tessera.db import Database
from tessera.db.system_tables import directus_users

pytestmark = pytest.mark.anyio
FILER = "mcp-filer-token"


async def call(client: Any, arguments: dict[str, Any]) -> tuple[bool, Any]:
    result = await client.call_tool("folders", arguments)
    return result.is_error, json.loads(result.content[0].text)


@pytest.fixture
def filer(mcp_db: Database) -> str:
    """A user who may read and create folders, nothing else."""
    caller = make_caller(
        mcp_db, [grant("directus_folders", "read"), grant("directus_folders", "create")]
    )
    with mcp_db.write() as conn:
        users = directus_users
        conn.execute(sa.update(users).where(users.c.id == caller.user).values(token=FILER))
    return FILER


async def test_folders_are_made_read_changed_and_removed(connect, mode, set_mcp):
    set_mcp(allow_deletes=True)
    async with connect(mode=mode) as client:
        _, made = await call(client, {"action": "create", "data": {"name": "Photos"}})
        parent = made["raw"][0]["id"]
        _, nested = await call(
            client,
            {"action": "create", "data": [{"name": "2026", "parent": parent}, {"name": "Misc"}]},
        )
        _, read = await call(
            client,
            {
                "action": "read",
                "query": {"filter": {"parent": {"_eq": parent}}, "fields": ["name"]},
            },
        )
        _, renamed = await call(
            client,
            {
                "action": "update",
                "keys": [parent],
                "data": {"name": "Pictures"},
                "query": {"fields": ["name"]},
            },
        )
        keys = [parent, *(folder["id"] for folder in nested["raw"])]
        _, removed = await call(client, {"action": "delete", "keys": keys})
        _, left = await call(client, {"action": "read"})
    assert made["raw"][0]["name"] == "Photos"
    assert made["raw"][0]["type"] == "files"
    assert sorted(folder["name"] for folder in nested["raw"]) == ["2026", "Misc"]
    assert read["raw"] == [{"name": "2026"}]
    assert renamed["raw"] == [{"name": "Pictures"}]
    assert sorted(removed["raw"]) == sorted(keys)
    assert left["raw"] == []


async def test_the_tool_offers_what_the_permissions_allow(connect, mode, filer, reader_token):
    async with connect(filer, mode=mode) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        created, _ = await call(client, {"action": "create", "data": {"name": "Mine"}})
        refused, why = await call(
            client, {"action": "update", "keys": ["x"], "data": {"name": "y"}}
        )
    async with connect(reader_token, mode=mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
    assert listed["folders"].input_schema["properties"]["action"]["enum"] == ["create", "read"]
    assert not created
    assert refused
    assert why[0]["code"] == "FORBIDDEN"
    assert "folders" not in names


async def test_bad_folders_are_refused(connect):
    async with connect() as client:
        unnamed = await call(client, {"action": "create", "data": {"parent": None}})
        odd = await call(client, {"action": "create", "data": {"name": "x", "colour": "red"}})
        deletes = await call(client, {"action": "delete", "keys": ["x"]})
    assert unnamed[0]
    assert unnamed[1][0]["code"] == "INVALID_PAYLOAD"
    assert odd[0]
    assert deletes == (
        True,
        [{"error": "Invalid payload. Delete actions are disabled.", "code": "INVALID_PAYLOAD"}],
    )
