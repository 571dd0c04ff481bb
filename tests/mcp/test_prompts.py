"""``prompts/list`` and ``prompts/get`` through the SDK's client, on both eras: prompts from
the collection ``mcp_prompts_collection`` names, read as the connected user, with the
answers and errors Directus 12.4 gives (checked against the reference server), and the
prompts as tools when ``MCP_PROMPTS_AS_TOOLS`` is on."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from mcp.shared.exceptions import MCPError

from callers import grant, make_caller
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_users
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService
from tessera.services.prompts_collection import create_prompts_collection
from tessera.services.schema_change import SchemaContext

pytestmark = pytest.mark.anyio

EDITOR_TOKEN = "mcp-prompts-editor-token"

PROMPTS: list[dict[str, Any]] = [
    {
        "name": "summarize-article",
        "sort": 1,
        "status": "published",
        "description": "Summarize one article",
        "system_prompt": "You are an editor for {{ project }}.",
        "messages": [
            {"role": "user", "text": "Summarize {{title}} in {{ words }} words for {{project}}."},
            {"role": "assistant", "text": "Which tone?"},
            {"role": "user", "content": "Directus's docs write content: it is not read"},
            {"text": "no role"},
            {"role": "system", "text": "MCP has no system role: {{ skipped }}"},
            {"role": "user", "text": ""},
        ],
    },
    {
        "name": "plain",
        "sort": 2,
        "status": "draft",
        "description": None,
        "system_prompt": None,
        "messages": [{"role": "user", "text": "List the published articles."}],
    },
    {"name": "dotted", "sort": 3, "status": "published", "system_prompt": "{{a.b}} and {{ x-y }}"},
]


@pytest.fixture
def prompts_db(mcp_db: Database, set_mcp) -> Database:
    """``ai_prompts`` with PROMPTS, named in the settings; an editor who reads published ones."""
    create_prompts_collection(SchemaContext(mcp_db, SchemaCache(mcp_db)), "ai_prompts")
    ItemsService(mcp_db, SchemaCache(mcp_db), Settings()).create_many("ai_prompts", PROMPTS)
    editor = make_caller(
        mcp_db, [grant("ai_prompts", "read", rule={"status": {"_eq": "published"}})]
    )
    with mcp_db.write() as conn:
        users = directus_users
        conn.execute(sa.update(users).where(users.c.id == editor.user).values(token=EDITOR_TOKEN))
    set_mcp(prompts_collection="ai_prompts")
    return mcp_db


@pytest.fixture
def as_tools(app, mcp_settings: Settings) -> None:
    app.state.settings = mcp_settings.model_copy(update={"mcp_prompts_as_tools": True})


def value_for(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "description": f"Value for {n}", "required": False} for n in names]


async def test_list_gives_each_prompt_with_its_variables_once(prompts_db, connect, mode):
    async with connect(mode=mode) as client:
        listed = await client.list_prompts()
    prompts = [p.model_dump(exclude_none=True, by_alias=True) for p in listed.prompts]
    assert prompts == [
        {
            "name": "summarize-article",
            "description": "Summarize one article",
            "arguments": value_for("project", "title", "words", "skipped"),
        },
        {"name": "plain", "arguments": []},
        {"name": "dotted", "arguments": value_for("a.b", "x-y")},
    ]


async def test_get_renders_the_system_prompt_then_the_messages(prompts_db, connect, mode):
    arguments = {"project": "Acme", "title": "Hello", "words": "50"}
    async with connect(mode=mode) as client:
        got = await client.get_prompt("summarize-article", arguments)
    assert got.description == "Summarize one article"
    assert [(m.role, m.content.text) for m in got.messages] == [
        ("assistant", "You are an editor for Acme."),
        ("user", "Summarize Hello in 50 words for Acme."),
        ("assistant", "Which tone?"),
    ]


async def test_missing_arguments_render_as_nothing(prompts_db, connect, mode):
    async with connect(mode=mode) as client:
        got = await client.get_prompt("summarize-article")
        dotted = await client.get_prompt("dotted", {"a.b": "AB", "x-y": "XY"})
        plain = await client.get_prompt("plain")
    assert got.messages[0].content.text == "You are an editor for ."
    assert got.messages[1].content.text == "Summarize  in  words for ."
    assert dotted.messages[0].content.text == "AB and XY"
    assert plain.description is None
    assert [(m.role, m.content.text) for m in plain.messages] == [
        ("user", "List the published articles.")
    ]


async def test_an_unknown_prompt_is_invalid_params(prompts_db, connect, mode):
    async with connect(mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.get_prompt("nope")
    assert raised.value.error.code == -32602
    assert raised.value.error.message == 'Invalid prompt "nope"'


async def test_prompts_are_read_with_the_callers_permissions(prompts_db, connect, mode):
    async with connect(EDITOR_TOKEN, mode=mode) as client:
        listed = await client.list_prompts()
        with pytest.raises(MCPError) as hidden:
            await client.get_prompt("plain")
    assert [p.name for p in listed.prompts] == ["summarize-article", "dotted"]
    assert hidden.value.error.code == -32602

    async with connect("mcp-reader-token", mode=mode) as client:
        for call in (client.list_prompts(), client.get_prompt("plain")):
            with pytest.raises(MCPError) as refused:
                await call
            assert refused.value.error.code == -32603
            assert refused.value.error.data == {"code": "FORBIDDEN"}
            assert "ai_prompts" in refused.value.error.message


async def test_without_a_collection_each_method_is_error_1001(mcp_db, connect, mode):
    async with connect(mode=mode) as client:
        for call in (client.list_prompts(), client.get_prompt("plain")):
            with pytest.raises(MCPError) as raised:
                await call
            assert raised.value.error.code == 1001
            assert raised.value.error.message == "A prompts collection must be set in settings"


async def capabilities(http: Any, token: str) -> list[dict[str, Any]]:
    """What ``initialize`` (2025-11-25) and ``server/discover`` (2026-07-28) advertise."""
    sent = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    params = {"protocolVersion": "2025-11-25", "capabilities": {}}
    params["clientInfo"] = {"name": "test", "version": "1"}
    legacy = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    modern = {"jsonrpc": "2.0", "id": 2, "method": "server/discover", "params": {"_meta": meta}}
    routed = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "server/discover"}
    answers = [
        await http.post("/mcp", json=legacy, headers=sent),
        await http.post("/mcp", json=modern, headers={**sent, **routed}),
    ]
    return [answer.json()["result"]["capabilities"] for answer in answers]


async def test_the_capability_is_advertised_only_with_a_collection(http, mcp_db, set_mcp):
    assert ["prompts" in offered for offered in await capabilities(http, "mcp-admin-token")] == [
        False,
        False,
    ]
    set_mcp(prompts_collection="ai_prompts")
    offered = await capabilities(http, "mcp-admin-token")
    assert [seen.get("prompts") for seen in offered] == [{}, {}]
    assert all(seen["tools"] == {} for seen in offered)


async def test_prompt_tools_are_off_by_default(prompts_db, connect):
    async with connect() as client:
        tools = await client.list_tools()
        called = await client.call_tool("prompt-plain", {})
    assert not any(tool.name.startswith("prompt-") for tool in tools.tools)
    assert called.is_error


async def test_prompts_as_tools(prompts_db, as_tools, connect, mode):
    async with connect(mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        result = await client.call_tool("prompt-summarize-article", {"title": "Hello"})
        unknown = await client.call_tool("prompt-nope", {})
        wrong = await client.call_tool("prompt-plain", {"title": 5})
    tool = tools["prompt-summarize-article"]
    assert tool.description == "Summarize one article"
    assert tool.annotations.read_only_hint is True
    assert set(tool.input_schema["properties"]) == {"project", "title", "words", "skipped"}
    assert tools["prompt-plain"].input_schema["properties"] == {}
    assert not result.is_error
    raw = json.loads(result.content[0].text)["raw"]
    assert result.structured_content == {"raw": raw}
    assert raw["messages"][1]["content"]["text"] == "Summarize Hello in  words for ."
    assert unknown.is_error
    assert json.loads(unknown.content[0].text) == [
        {
            "error": 'Invalid payload. "prompt-nope" doesn\'t exist in the toolset.',
            "code": "INVALID_PAYLOAD",
        }
    ]
    assert wrong.is_error


async def test_in_registry_mode_prompt_tools_sit_behind_search(prompts_db, as_tools, connect):
    async with connect(query="?tool_mode=registry") as client:
        roots = [tool.name for tool in (await client.list_tools()).tools]
        found = await client.call_tool("search", {"query": "summarize article"})
        run = await client.call_tool(
            "execute", {"name": "prompt-summarize-article", "input": {"title": "Hi"}}
        )
        direct = await client.call_tool("prompt-summarize-article", {"title": "Hi"})
    assert roots == ["search", "execute", "schema"]
    assert found.structured_content["data"]["results"][0]["name"] == "prompt-summarize-article"
    messages = run.structured_content["data"]["messages"]
    assert messages[1]["content"]["text"] == "Summarize Hi in  words for ."
    assert direct.is_error  # only the root tools answer directly


async def test_prompt_tools_follow_the_callers_permissions(prompts_db, as_tools, connect, mode):
    async with connect("mcp-reader-token", mode=mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
    assert not any(name.startswith("prompt-") for name in names)
    async with connect(EDITOR_TOKEN, mode=mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        hidden = await client.call_tool("prompt-plain", {})
    assert [n for n in names if n.startswith("prompt-")] == [
        "prompt-summarize-article",
        "prompt-dotted",
    ]
    assert hidden.is_error
