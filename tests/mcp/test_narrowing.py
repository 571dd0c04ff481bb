"""``tools/list`` narrowed to the caller: the ``action`` enums keep what the caller's
policies grant (and ``delete`` only when the project allows deletes); a tool with nothing
left is not listed; a dropped action is still refused when called."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from callers import grant, make_caller
from tessera.db import Database
from tessera.db.system_tables import directus_users

pytestmark = pytest.mark.anyio


def caller_with(db: Database, token: str, *rows: dict[str, Any]) -> str:
    """A user holding one policy of ``rows``, known by ``token``."""
    who = make_caller(db, list(rows))
    with db.write() as conn:
        users = directus_users
        conn.execute(sa.update(users).where(users.c.id == who.user).values(token=token))
    return token


async def actions_seen(connect: Any, token: str, mode: str) -> dict[str, list[str] | None]:
    """Each listed tool's ``action`` enum (None for a tool without actions)."""
    async with connect(token, mode=mode) as client:
        tools = (await client.list_tools()).tools
    return {
        tool.name: tool.input_schema["properties"].get("action", {}).get("enum") for tool in tools
    }


async def test_admins_lose_delete_only_while_deletes_are_disabled(connect, mode, set_mcp):
    without = await actions_seen(connect, "mcp-admin-token", mode)
    set_mcp(allow_deletes=True)
    with_deletes = await actions_seen(connect, "mcp-admin-token", mode)
    for name in ("items", "collections", "fields", "relations"):
        assert set(with_deletes[name]) == {"create", "read", "update", "delete"}, name
        assert without[name] == [a for a in with_deletes[name] if a != "delete"], name


async def test_a_reader_is_offered_read_only(connect, mode, set_mcp, reader_token):
    set_mcp(allow_deletes=True)
    seen = await actions_seen(connect, reader_token, mode)
    assert seen == {"system-prompt": None, "items": ["read"], "schema": None}


async def test_the_enum_is_the_union_of_the_collections_grants(connect, mode, set_mcp, mcp_db):
    set_mcp(allow_deletes=True)
    token = caller_with(
        mcp_db,
        "mixed-token",
        grant("articles", "create"),
        grant("notes", "read"),
        grant("notes", "delete"),
        grant("directus_users", "update"),
    )
    seen = await actions_seen(connect, token, mode)
    assert seen["items"] == ["create", "read", "delete"]
    set_mcp(allow_deletes=False)
    assert (await actions_seen(connect, token, mode))["items"] == ["create", "read"]


async def test_a_tool_with_no_allowed_action_is_absent(connect, mode, mcp_db):
    token = caller_with(mcp_db, "system-only-token", grant("directus_users", "read"))
    seen = await actions_seen(connect, token, mode)
    assert seen == {"system-prompt": None, "schema": None}


async def test_a_dropped_action_is_still_refused_when_called(connect, mode, reader_token):
    async with connect(reader_token, mode=mode) as client:
        result = await client.call_tool(
            "items", {"action": "create", "collection": "articles", "data": {"title": "x"}}
        )
    assert result.is_error
    assert json.loads(result.content[0].text)[0]["code"] == "FORBIDDEN"
