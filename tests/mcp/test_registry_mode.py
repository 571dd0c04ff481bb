"""``/mcp?tool_mode=registry`` through the SDK's client, on both protocol eras: the three
root tools as Directus 12.4.0 lists them, ``search`` and its ranking, and ``execute``
running tools with the default mode's gates, answered in registry mode's shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa

from tessera.db.system_tables import directus_activity
from tessera.mcp.registry_mode.search_index import Document, rank
from tessera.mcp.registry_mode.typescript import type_of
from tessera.mcp.tools import TOOLS

pytestmark = pytest.mark.anyio

REFERENCE = Path(__file__).resolve().parents[1] / "replays" / "directus-12.4-tools.json"
REGISTRY = "?tool_mode=registry"


def without_descriptions(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: without_descriptions(v) for k, v in schema.items() if k != "description"}
    if isinstance(schema, list):
        return [without_descriptions(v) for v in schema]
    return schema


async def call(client: Any, name: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
    """``(is_error, the text's JSON)``; a result's structured copy must say the same."""
    result = await client.call_tool(name, arguments)
    payload = json.loads(result.content[0].text)
    if not result.is_error:
        assert result.structured_content == payload
    return bool(result.is_error), payload


async def test_the_root_tools_are_directus_s(connect, mode):
    reference = json.loads(REFERENCE.read_text())["registry"]
    async with connect(mode=mode, query=REGISTRY) as client:
        tools = (await client.list_tools()).tools
    assert [tool.name for tool in tools] == [tool["name"] for tool in reference]
    for ours, directus in zip(tools, reference, strict=True):
        assert without_descriptions(ours.input_schema) == directus["inputSchema"], ours.name
        jsonschema.Draft202012Validator.check_schema(ours.output_schema)
    hints = {tool.name: tool.annotations for tool in tools}
    assert hints["search"].read_only_hint is True
    assert hints["execute"].read_only_hint is False
    assert hints["execute"].destructive_hint is True
    assert len(json.dumps([tool.model_dump(exclude_none=True) for tool in tools])) < 4_000


async def test_another_tool_mode_is_the_default_one(connect):
    async with connect(query="?tool_mode=other") as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
    assert names == [tool.name for tool in TOOLS if tool.name != "trigger-flow"]


async def test_search_ranks_tools_for_a_query(connect, mode):
    async with connect(mode=mode, query=REGISTRY) as client:
        _, by_name = await call(client, "search", {"query": "items"})
        _, by_words = await call(client, "search", {"query": "many-to-many relationship"})
        _, columns = await call(client, "search", {"query": "add a column"})
        _, nothing = await call(client, "search", {"query": "zzzqqq"})
    assert by_name["data"]["results"][0] == {
        "name": "items",
        "description": next(tool.description for tool in TOOLS if tool.name == "items"),
    }
    assert by_words["data"]["results"][0]["name"] == "relations"
    assert columns["data"]["results"][0]["name"] == "fields"
    available = ["assets", "collections", "fields", "file-content", "files", "flows", "folders"]
    available += ["items", "operations", "relations", "system-prompt", "upload-file"]
    # (no trigger-flow: there is no manual flow)
    assert nothing == {
        "data": {
            "results": [],
            "availableToolNames": available,
            "hint": f"No tools matched. Available tools: {', '.join(available)}",
        }
    }


async def test_search_loads_the_types_of_named_tools(connect, mode):
    async with connect(mode=mode, query=REGISTRY) as client:
        _, loaded = await call(client, "search", {"names": ["items", "nope", "schema", "items"]})
    results = loaded["data"]["results"]
    assert [result["name"] for result in results] == ["items"]
    # Deletes are off, so the narrowed list offers no delete.
    assert '\taction: "create" | "read" | "update";' in results[0]["inputType"]
    assert "\tcollection: string;" in results[0]["inputType"]
    assert "\tkeys?: (number | string)[];" in results[0]["inputType"]
    assert "\tdata: unknown[] | Record<string, unknown> | null;" in results[0]["outputType"]
    assert loaded["data"]["hint"].startswith("Unknown tools: nope, schema. Available tools: ")


@pytest.mark.parametrize(
    "arguments",
    [{}, {"query": "  "}, {"names": []}, {"query": "items", "names": ["items"]}],
)
async def test_search_wants_exactly_one_of_query_and_names(connect, arguments):
    async with connect(query=REGISTRY) as client:
        failed, payload = await call(client, "search", arguments)
    assert failed
    assert payload == [
        {
            "error": "Invalid payload. Validation error: "
            'Provide exactly one of "query" or "names".',
            "code": "INVALID_PAYLOAD",
            "recoverable": True,
        }
    ]


async def test_search_sees_what_the_caller_sees(connect, reader_token, set_mcp):
    set_mcp(system_prompt_enabled=False)
    async with connect(reader_token, query=REGISTRY) as client:
        _, found = await call(client, "search", {"query": "relations between collections"})
        _, loaded = await call(client, "search", {"names": ["fields", "items"]})
    assert [result["name"] for result in found["data"]["results"]] == ["items"]
    assert [result["name"] for result in loaded["data"]["results"]] == ["items"]
    # The reader may only read: narrowed as the default mode's tools/list narrows it.
    assert '\taction: "read";' in loaded["data"]["results"][0]["inputType"]


async def test_execute_answers_data_and_url(connect, mode):
    async with connect(mode=mode, query=REGISTRY) as client:
        failed, many = await call(
            client,
            "execute",
            {
                "name": "items",
                "input": {"action": "read", "collection": "articles", "query": {"sort": ["id"]}},
            },
        )
        _, one = await call(
            client,
            "execute",
            {"name": "items", "input": {"action": "read", "collection": "articles", "keys": [2]}},
        )
    assert not failed
    assert [item["id"] for item in many["data"]] == [1, 2, 3, 4]
    assert "url" not in many
    assert one["url"] == "http://127.0.0.1:8055/admin/content/articles/2"
    assert [item["id"] for item in one["data"]] == [2]


async def test_execute_coerces_json_strings(connect):
    async with connect(query=REGISTRY) as client:
        _, payload = await call(
            client,
            "execute",
            {
                "name": "items",
                "input": json.dumps(
                    {
                        "action": "read",
                        "collection": "articles",
                        "keys": "[1, 3]",
                        "query": '{"fields": ["title"], "sort": ["id"]}',
                    }
                ),
            },
        )
    assert payload == {"data": [{"title": "Hello world"}, {"title": "MCP in practice"}]}


async def test_execute_errors_say_how_to_recover(connect, mode):
    async with connect(mode=mode, query=REGISTRY) as client:
        _, unknown = await call(client, "execute", {"name": "nope", "input": {}})
        _, root = await call(client, "execute", {"name": "search", "input": {"query": "x"}})
        _, invalid = await call(
            client, "execute", {"name": "items", "input": {"action": "zap", "collection": "x"}}
        )
        _, forbidden = await call(
            client, "execute", {"name": "items", "input": {"action": "read", "collection": "no"}}
        )
        _, meta = await call(client, "items", {"action": "read", "collection": "articles"})
        _, nameless = await call(client, "execute", {"input": {}})
    assert unknown == [
        {
            "error": '"nope" doesn\'t exist in the toolset',
            "code": "UNKNOWN_TOOL",
            "recoverable": True,
            "next": {"tool": "search", "input": {"query": "nope"}},
        }
    ]
    assert root[0]["code"] == "UNKNOWN_TOOL"
    assert invalid[0]["code"] == "INVALID_PAYLOAD"
    assert invalid[0]["recoverable"] is True
    assert invalid[0]["next"] == {"tool": "search", "input": {"names": ["items"]}}
    assert (forbidden[0]["code"], forbidden[0]["recoverable"]) == ("FORBIDDEN", False)
    assert "next" not in forbidden[0]
    assert meta == [
        {
            "error": '"items" doesn\'t exist in the root toolset',
            "code": "UNKNOWN_META_TOOL",
            "recoverable": False,
        }
    ]
    assert nameless[0]["code"] == "INVALID_PAYLOAD"
    assert "next" not in nameless[0]


async def test_execute_keeps_the_delete_switch_and_logs_as_mcp(connect, set_mcp, mcp_db):
    delete = {"name": "items", "input": {"action": "delete", "collection": "tags", "keys": [1]}}
    async with connect(query=REGISTRY) as client:
        _, refused = await call(client, "execute", delete)
        set_mcp(allow_deletes=True)
        failed, deleted = await call(client, "execute", delete)
    assert refused[0]["error"] == "Invalid payload. Delete actions are disabled."
    assert refused[0]["next"] == {"tool": "search", "input": {"names": ["items"]}}
    assert not failed
    assert deleted == {"data": [1]}
    with mcp_db.read() as conn:
        origins = conn.execute(
            sa.select(directus_activity.c.origin).where(
                directus_activity.c.action == "delete",
                directus_activity.c.collection == "tags",
            )
        ).all()
    assert [row.origin for row in origins] == ["mcp"]


async def test_execute_keeps_the_admin_gate(connect, reader_token):
    async with connect(reader_token, query=REGISTRY) as client:
        _, refused = await call(client, "execute", {"name": "collections", "input": {}})
    assert refused == [
        {
            "error": "You must be an admin to access this tool",
            "code": "FORBIDDEN",
            "recoverable": False,
        }
    ]


async def test_schema_stays_a_direct_tool(connect, mode):
    async with connect(mode=mode, query=REGISTRY) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        failed, overview = await call(client, "schema", {"keys": ["tags"]})
        _, executed = await call(client, "execute", {"name": "schema", "input": {"keys": ["tags"]}})
    assert not failed
    assert "tags" in json.dumps(overview["data"])
    assert executed == overview
    jsonschema.validate(overview, listed["schema"].output_schema)


def test_the_index_ranks_by_weighted_fields():
    documents = [
        Document("a", {"name": ["a"], "keywords": [], "description": ["x"], "arguments": ["y"]}),
        Document("b", {"name": ["b"], "keywords": ["y"], "description": [], "arguments": []}),
        Document("y", {"name": ["y"], "keywords": [], "description": [], "arguments": []}),
    ]
    assert rank(documents, "y") == ["y", "b", "a"]
    assert rank(documents, "nothing") == []


def test_typescript_types():
    assert type_of({"type": "object", "properties": {}, "additionalProperties": False}) == "{}"
    assert type_of({"anyOf": [{"type": "string"}, {"type": "null"}]}) == "string | null"
    assert type_of({"type": "object", "additionalProperties": {}}) == "Record<string, unknown>"
    nested = {
        "type": "object",
        "properties": {"a": {"description": "A.", "type": "array", "items": {"type": "integer"}}},
        "required": ["a"],
    }
    assert type_of(nested) == "{\n\t/** A. */\n\ta: number[];\n}"
