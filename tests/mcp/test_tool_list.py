"""``tools/list`` against Directus 12.4.0's, and who sees which tool.

``tests/replays/directus-12.4-tools.json`` is what the reference Directus 12.4.0 lists
(names and input schemas, its descriptions left out): our names, order and input schemas
must match it; our descriptions are our own and much shorter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tessera.mcp.tools import TOOLS
from tessera.mcp.tools.system_prompt import DEFAULT_PROMPT

pytestmark = pytest.mark.anyio

REFERENCE = Path(__file__).resolve().parents[1] / "replays" / "directus-12.4-tools.json"
OURS = [
    *("system-prompt", "items", "files", "upload-file", "folders", "assets", "file-content"),
    *("flows", "trigger-flow", "operations", "schema", "collections", "fields", "relations"),
]
#: Tools Directus 12.4 does not list: Tessera's own, and one of Directus's newer ones.
OWN = {"upload-file", "file-content"}
ADMIN_ONLY = {"flows", "operations", "collections", "fields", "relations"}


def without_descriptions(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: without_descriptions(v) for k, v in schema.items() if k != "description"}
    if isinstance(schema, list):
        return [without_descriptions(v) for v in schema]
    return schema


def test_names_order_and_input_schemas_are_directus_s():
    reference = json.loads(REFERENCE.read_text())["default"]
    theirs = [tool for tool in reference if tool["name"] in OURS]
    shared = [tool for tool in TOOLS if tool.name not in OWN]
    assert [tool.name for tool in shared] == [tool["name"] for tool in theirs]
    for ours, directus in zip(shared, theirs, strict=True):
        assert without_descriptions(ours.input_schema) == directus["inputSchema"], ours.name


def test_descriptions_are_short_and_every_schema_is_valid():
    for tool in TOOLS:
        assert len(tool.description) < 900, tool.name
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        if tool.output_schema is not None:  # assets answers content, not data
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)
    listed = json.dumps([tool.to_wire() for tool in TOOLS])
    assert len(listed) < 38_000  # Directus 12.4 lists its twelve of these in 111,075 bytes


def test_hints_say_what_each_tool_does():
    hints = {tool.name: tool.to_wire()["annotations"] for tool in TOOLS}
    assert hints["schema"] == {"title": "Schema", "readOnlyHint": True, "openWorldHint": False}
    assert hints["system-prompt"]["readOnlyHint"] is True
    for name in ("items", "flows", "operations", "collections", "fields", "relations"):
        assert hints[name]["readOnlyHint"] is False
        assert hints[name]["destructiveHint"] is True
        assert hints[name]["idempotentHint"] is False
        assert hints[name]["openWorldHint"] is False
    # A flow may call other services (its request operation).
    assert hints["trigger-flow"]["openWorldHint"] is True
    assert hints["trigger-flow"]["destructiveHint"] is True


async def test_admins_see_every_tool_and_others_the_rest(connect, mode, reader_token):
    async with connect(mode=mode) as admin:
        seen_by_admin = [tool.name for tool in (await admin.list_tools()).tools]
    async with connect(reader_token, mode=mode) as reader:
        seen_by_reader = [tool.name for tool in (await reader.list_tools()).tools]
        refused = await reader.call_tool("collections", {"action": "read"})
    # trigger-flow waits for an active manual flow (tests/mcp/test_flow_tools.py).
    listed = [name for name in OURS if name != "trigger-flow"]
    assert seen_by_admin == listed
    # The reader has no permission on files or folders: those tools offer them nothing.
    hidden = ADMIN_ONLY | {"files", "upload-file", "folders", "assets", "file-content"}
    assert seen_by_reader == [name for name in listed if name not in hidden]
    assert refused.is_error
    assert json.loads(refused.content[0].text) == [
        {"error": "You must be an admin to access this tool", "code": "FORBIDDEN"}
    ]


async def test_listed_tools_carry_output_schemas_their_results_follow(connect, mode):
    async with connect(mode=mode) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        calls = {
            "system-prompt": {},
            "schema": {"keys": ["tags"]},
            "items": {"action": "read", "collection": "tags"},
            "collections": {"action": "read", "keys": ["tags"]},
            "fields": {"action": "read", "collection": "tags", "field": "name"},
            "relations": {"action": "read", "collection": "articles"},
        }
        for name, arguments in calls.items():
            result = await client.call_tool(name, arguments)
            assert not result.is_error, result.content[0].text
            jsonschema.validate(result.structured_content, listed[name].output_schema)


async def test_the_system_prompt_follows_the_settings(connect, set_mcp):
    async with connect() as client:
        default = await client.call_tool("system-prompt", {"ignored": True})
        set_mcp(system_prompt="Only ever read.")
        custom = await client.call_tool("system-prompt", {})
        set_mcp(system_prompt_enabled=False)
        names = [tool.name for tool in (await client.list_tools()).tools]
        hidden = await client.call_tool("system-prompt", {})
    assert json.loads(default.content[0].text) == {"raw": DEFAULT_PROMPT}
    assert json.loads(custom.content[0].text) == {"raw": "Only ever read."}
    assert "system-prompt" not in names
    assert json.loads(hidden.content[0].text) == [
        {
            "error": 'Invalid payload. "system-prompt" doesn\'t exist in the toolset.',
            "code": "INVALID_PAYLOAD",
        }
    ]


async def test_an_unknown_tool_is_an_error_result(connect):
    async with connect() as client:
        result = await client.call_tool("nope", {})
    assert result.is_error
    assert json.loads(result.content[0].text)[0]["code"] == "INVALID_PAYLOAD"
