"""Other MCP clients than the Python SDK's against a real ``tessera serve`` (both pinned in
``.ci/node-setup``):

- the MCP Inspector's command line (``mcp-inspector --cli``), as a person checking a server
  by hand uses it — tools, a tool call that writes and one that reads, registry mode,
  resources and prompts, with the token in a header;
- ``mcp-remote``, the stdio bridge the README's Claude Desktop configuration runs, started
  with that configuration's arguments and driven over stdio by the SDK's client.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client.stdio import StdioServerParameters

from live_tessera import ADMIN_TOKEN, serve
from mcp import Client
from node_packages import require

pytestmark = pytest.mark.sqlite_only  # the server has its own SQLite file; once per CI run

INSPECTOR_VERSION = "2.12.0"
MCP_REMOTE_VERSION = "0.15.1"


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Node, the Inspector's folder, and a home folder for what it writes there."""
    node, package = require("@modelcontextprotocol/inspector", INSPECTOR_VERSION)
    return node, package, tmp_path_factory.mktemp("inspector-home")


@pytest.fixture(scope="module")
def server(
    inspector: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A project with MCP on and a prompts collection holding one prompt; its /mcp URL."""
    home = tmp_path_factory.mktemp("inspector")
    setup = [["settings", "set", "mcp_enabled", "true"], ["prompts", "init"]]
    with serve(home, setup) as base:
        prompt = {
            "name": "summarise",
            "status": "active",
            "description": "Summarise a collection",
            "messages": [{"role": "user", "text": "Summarise {{collection}} in one line."}],
        }
        created = httpx.post(f"{base}/items/ai_prompts?access_token={ADMIN_TOKEN}", json=prompt)
        assert created.status_code == 200, created.text
        yield f"{base}/mcp"


def run(inspector: tuple[Path, Path, Path], url: str, *args: str) -> Any:
    """One ``mcp-inspector --cli`` call; its JSON answer."""
    node, package, home = inspector
    launcher = package / "clients" / "launcher" / "build" / "index.js"
    command = [str(node), str(launcher), "--cli", url, *args]
    command += ["--header", f"Authorization: Bearer {ADMIN_TOKEN}"]
    env = {"PATH": f"{node.parent}:/usr/bin:/bin", "HOME": str(home)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_it_lists_the_tools(inspector, server):
    listed = run(inspector, server, "--method", "tools/list")
    names = [tool["name"] for tool in listed["tools"]]
    assert names == [  # no trigger-flow: there is no manual flow
        *("system-prompt", "items", "files", "upload-file", "folders", "assets"),
        *("file-content", "flows", "operations", "schema"),
        *("collections", "fields", "relations"),
    ]
    assert all(tool["inputSchema"]["type"] == "object" for tool in listed["tools"])


def test_it_writes_and_reads_items(inspector, server):
    data = json.dumps({"name": "greet", "status": "draft", "messages": []})
    created = run(
        inspector,
        server,
        *("--method", "tools/call", "--tool-name", "items"),
        *("--tool-arg", "action=create", "collection=ai_prompts", f"data={data}"),
    )
    query = json.dumps({"filter": {"status": {"_eq": "draft"}}, "fields": ["name"]})
    read = run(
        inspector,
        server,
        *("--method", "tools/call", "--tool-name", "items"),
        *("--tool-arg", "action=read", "collection=ai_prompts", f"query={query}"),
    )
    assert [item["name"] for item in created["structuredContent"]["raw"]] == ["greet"]
    assert read["structuredContent"]["raw"] == [{"name": "greet"}]


def test_registry_mode_searches(inspector, server):
    found = run(
        inspector,
        f"{server}?tool_mode=registry",
        *("--method", "tools/call", "--tool-name", "search", "--tool-arg", "query=create items"),
    )
    results = found["structuredContent"]["data"]["results"]
    assert results[0]["name"] == "items"


def test_it_reads_resources_and_prompts(inspector, server):
    resources = run(inspector, server, "--method", "resources/list")
    schema = run(inspector, server, "--method", "resources/read", "--uri", "tessera://schema")
    prompts = run(inspector, server, "--method", "prompts/list")
    prompt = run(
        inspector,
        server,
        *("--method", "prompts/get", "--prompt-name", "summarise"),
        *("--prompt-args", "collection=ai_prompts"),
    )
    assert [r["uri"] for r in resources["resources"]] == ["tessera://schema"]
    assert "ai_prompts" in json.loads(schema["contents"][0]["text"])["collections"]
    assert "summarise" in [p["name"] for p in prompts["prompts"]]
    assert prompt["messages"][0]["content"]["text"] == "Summarise ai_prompts in one line."


@pytest.mark.anyio
async def test_claude_desktops_bridge_reaches_the_tools(inspector, server):
    node, _, home = inspector
    _, bridge = require("mcp-remote", MCP_REMOTE_VERSION)
    # The README's claude_desktop_config.json: npx -y mcp-remote <url> --header "…".
    args = [str(bridge / "dist" / "proxy.js"), server]
    args += ["--header", f"Authorization: Bearer {ADMIN_TOKEN}"]
    env = {"PATH": f"{node.parent}:/usr/bin:/bin", "HOME": str(home)}
    params = StdioServerParameters(command=str(node), args=args, env=env)
    async with Client(params, mode="legacy", read_timeout_seconds=30) as client:
        tools = await client.list_tools()
        schema = await client.call_tool("schema", {})
    assert "items" in [tool.name for tool in tools.tools]
    assert "ai_prompts" in schema.structured_content["raw"]["collections"]
