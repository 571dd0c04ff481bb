"""``mcp:read``: a grant that lists and runs only what reads, enforced by the server."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from oauth_helpers import BASE_URL, CALLBACK, MCP_URL, pkce

pytestmark = pytest.mark.anyio


async def grant_tokens(http, browser, *, scope: str = "mcp:access", read_only: bool = False):
    client = (
        await http.post(
            "/mcp-oauth/register",
            json={
                "client_name": "Reader",
                "redirect_uris": [CALLBACK],
                "token_endpoint_auth_method": "none",
            },
        )
    ).json()
    verifier, challenge = pkce()
    browser.read_only = read_only
    landed = await browser.visit(
        "/mcp-oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client["client_id"],
                "redirect_uri": CALLBACK,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "scope": scope,
                "resource": MCP_URL,
            }
        )
    )
    code = parse_qs(urlsplit(landed).query)["code"][0]
    answer = await http.post(
        "/mcp-oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
            "client_id": client["client_id"],
        },
    )
    return answer.json()


async def rpc(http, token, method, params=None, query=""):
    message = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        message["params"] = params
    return await http.post(
        "/mcp" + query, json=message, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.parametrize(("scope", "read_only"), [("mcp:access", True), ("mcp:read", False)])
async def test_a_read_only_grant_lists_only_reads(http, browser, scope, read_only):
    tokens = await grant_tokens(http, browser, scope=scope, read_only=read_only)
    assert tokens["scope"] == "mcp:read"
    listed = (await rpc(http, tokens["access_token"], "tools/list")).json()["result"]["tools"]
    by_name = {tool["name"]: tool for tool in listed}
    assert "items" in by_name
    assert "schema" in by_name
    assert by_name["items"]["inputSchema"]["properties"]["action"]["enum"] == ["read"]
    assert "trigger-flow" not in by_name
    for tool in listed:
        action = tool["inputSchema"].get("properties", {}).get("action")
        assert tool["annotations"]["readOnlyHint"] or (action and action["enum"] == ["read"])


async def test_a_read_only_grant_reads_and_is_refused_a_write_with_403(http, browser):
    token = (await grant_tokens(http, browser, read_only=True))["access_token"]
    read = await rpc(
        http,
        token,
        "tools/call",
        {"name": "items", "arguments": {"action": "read", "collection": "articles"}},
    )
    assert read.status_code == 200
    assert not read.json()["result"].get("isError")
    write = await rpc(
        http,
        token,
        "tools/call",
        {
            "name": "items",
            "arguments": {"action": "create", "collection": "articles", "data": {"title": "x"}},
        },
    )
    assert write.status_code == 403
    challenge = write.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="mcp:access"' in challenge
    assert f'resource_metadata="{BASE_URL}/.well-known/oauth-protected-resource/mcp"' in challenge


async def test_registry_mode_judges_execute_by_the_tool_it_runs(http, browser):
    token = (await grant_tokens(http, browser, read_only=True))["access_token"]
    arguments = {
        "name": "items",
        "input": json.dumps({"action": "update", "collection": "articles", "keys": [1]}),
    }
    refused = await rpc(
        http,
        token,
        "tools/call",
        {"name": "execute", "arguments": arguments},
        query="?tool_mode=registry",
    )
    assert refused.status_code == 403
    found = await rpc(
        http,
        token,
        "tools/call",
        {"name": "search", "arguments": {"query": "create items"}},
        query="?tool_mode=registry",
    )
    assert found.status_code == 200
    data = found.json()["result"]["structuredContent"]["data"]
    names = {entry["name"] for entry in data["results"]} | set(data.get("availableToolNames", []))
    assert "items" in names
    assert "trigger-flow" not in names


async def test_a_full_grant_may_write(http, browser):
    token = (await grant_tokens(http, browser))["access_token"]
    listed = (await rpc(http, token, "tools/list")).json()["result"]["tools"]
    items = next(tool for tool in listed if tool["name"] == "items")
    assert "create" in items["inputSchema"]["properties"]["action"]["enum"]
