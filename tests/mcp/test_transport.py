"""``/mcp`` over plain HTTP: gating, DNS-rebinding checks, and every malformed request.

Where Directus answers a 500 or never answers (a batch, a GET, a notification other than
``initialized``), the transport spec's answer is tested instead.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from asgi_client import serving
from tessera.access.passwords import hash_password
from tessera.app import create_app
from tessera.db.system_tables import directus_users

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


def headers(token: str | None, **extra: str) -> dict[str, str]:
    sent = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return {**sent, **extra}


def modern(method: str, routed_name: str | None = None, **params: Any) -> tuple[dict, dict]:
    """A 2026-07-28 request and its routing headers (``Mcp-Name`` when ``routed_name``)."""
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": {**params, "_meta": META}}
    sent = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if routed_name is not None:
        sent["Mcp-Name"] = routed_name
    return body, sent


# --- gating ---------------------------------------------------------------------------------


async def test_mcp_enabled_env_false_is_a_404(mcp_db, mcp_settings, admin_token):
    off = create_app(mcp_settings.model_copy(update={"mcp_enabled": False}), mcp_db)
    async with serving(off) as client:
        answer = await client.post("http://127.0.0.1/mcp", json=PING, headers=headers(admin_token))
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["extensions"]["code"] == "ROUTE_NOT_FOUND"


async def test_the_setting_off_is_a_403_before_credentials(http, set_mcp):
    set_mcp(enabled=False)
    answer = await http.post("/mcp", json=PING, headers=headers(None))
    assert answer.status_code == 403
    assert answer.json() == {
        "errors": [{"message": "MCP must be enabled", "extensions": {"code": "FORBIDDEN"}}]
    }


async def test_no_credentials_is_a_401_naming_the_resource_metadata(http):
    answer = await http.post("/mcp", json=PING, headers=headers(None))
    assert answer.status_code == 401
    assert answer.content == b""
    assert answer.headers["www-authenticate"] == (
        'Bearer resource_metadata="http://127.0.0.1:8055/.well-known/oauth-protected-resource'
        '/mcp", scope="mcp:access"'
    )
    assert answer.headers["access-control-expose-headers"] == "WWW-Authenticate"


async def test_a_bad_token_is_a_401_with_the_invalid_token_challenge(http):
    answer = await http.post("/mcp", json=PING, headers=headers("not-a-token"))
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert answer.headers["www-authenticate"].endswith(', error="invalid_token"')


async def test_the_token_may_come_in_the_query(http, admin_token):
    answer = await http.post(f"/mcp?access_token={admin_token}", json=PING, headers=headers(None))
    assert answer.status_code == 200
    assert answer.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


async def test_an_access_token_from_sign_in_works(http, mcp_db, reader_token):
    with mcp_db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.token == reader_token)
            .values(email="reader@example.com", password=hash_password("reader-pass-1"))
        )
    signed_in = await http.post(
        "/auth/login", json={"email": "reader@example.com", "password": "reader-pass-1"}
    )
    jwt = signed_in.json()["data"]["access_token"]
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    answer = await http.post("/mcp", json=body, headers=headers(jwt))
    assert answer.status_code == 200
    assert [tool["name"] for tool in answer.json()["result"]["tools"]] == [
        "system-prompt",
        "items",
        "schema",
    ]


async def test_two_tokens_at_once_are_refused(http, admin_token):
    answer = await http.post(
        f"/mcp?access_token={admin_token}", json=PING, headers=headers(admin_token)
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"


# --- DNS rebinding --------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "null"])
async def test_a_foreign_origin_is_a_403(http, admin_token, origin):
    answer = await http.post("/mcp", json=PING, headers=headers(admin_token, Origin=origin))
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == "Invalid Origin header"


async def test_a_foreign_host_is_a_421(http, admin_token):
    answer = await http.post("http://evil.example/mcp", json=PING, headers=headers(admin_token))
    assert answer.status_code == 421


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://localhost:9000/mcp", "http://localhost:3000"),
        ("http://[::1]:8055/mcp", "http://127.0.0.2"),
        ("https://cms.example.com/mcp", "https://cms.example.com"),
    ],
)
async def test_loopback_and_the_public_url_host_are_allowed(
    mcp_db, mcp_settings, admin_token, url, origin
):
    public = mcp_settings.model_copy(update={"public_url": "https://cms.example.com/"})
    async with serving(create_app(public, mcp_db)) as client:
        answer = await client.post(url, json=PING, headers=headers(admin_token, Origin=origin))
    assert answer.status_code == 200


# --- methods and bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_get_and_delete_are_405(http, admin_token, method):
    answer = await http.request(method, "/mcp", headers=headers(admin_token))
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"


async def test_malformed_json_is_a_parse_error(http, admin_token):
    answer = await http.post(
        "/mcp",
        content=b'{"jsonrpc":',
        headers=headers(admin_token, **{"Content-Type": "application/json"}),
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == -32700
    assert answer.json()["id"] is None


@pytest.mark.parametrize(
    "body",
    [[PING], [], "ping", {"id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": 1}],
)
async def test_batches_and_non_messages_are_invalid_requests(http, admin_token, body):
    answer = await http.post("/mcp", json=body, headers=headers(admin_token))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == -32600


@pytest.mark.parametrize(
    "body",
    [
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3}},
        {"jsonrpc": "2.0", "method": "notifications/whatever"},
        {"jsonrpc": "2.0", "id": 4, "result": {}},
    ],
)
async def test_notifications_and_responses_are_202(http, admin_token, body):
    answer = await http.post("/mcp", json=body, headers=headers(admin_token))
    assert answer.status_code == 202
    assert answer.content == b""


async def test_a_modern_notification_is_202(http, admin_token):
    body = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"_meta": META}}
    sent = headers(admin_token, **{"MCP-Protocol-Version": MODERN})
    answer = await http.post("/mcp", json=body, headers=sent)
    assert answer.status_code == 202


async def test_sse_only_accept_is_406(http, admin_token):
    sent = headers(admin_token, Accept="text/event-stream")
    answer = await http.post("/mcp", json=PING, headers=sent)
    assert answer.status_code == 406


async def test_a_body_that_is_not_json_by_its_type_is_415(http, admin_token):
    sent = headers(admin_token, **{"Content-Type": "text/plain"})
    answer = await http.post("/mcp", content=b"{}", headers=sent)
    assert answer.status_code == 415


async def test_unknown_methods_are_method_not_found(http, admin_token):
    # Subscriptions exist at 2025-11-25, but Tessera does not offer them.
    params = {"uri": "tessera://schema"}
    body = {"jsonrpc": "2.0", "id": "a", "method": "resources/subscribe", "params": params}
    answer = await http.post("/mcp", json=body, headers=headers(admin_token))
    assert answer.status_code == 200
    assert answer.json()["error"]["code"] == -32601
    assert answer.json()["id"] == "a"


async def test_bad_params_are_invalid_params(http, admin_token):
    body = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"arguments": {}}}
    answer = await http.post("/mcp", json=body, headers=headers(admin_token))
    assert answer.json()["error"]["code"] == -32602


# --- both eras ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "given"),
    [("2025-11-25", "2025-11-25"), ("2024-11-05", "2024-11-05"), ("1999-01-01", "2025-11-25")],
)
async def test_initialize_negotiates_a_handshake_version(http, admin_token, asked, given):
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": asked,
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    answer = await http.post("/mcp", json=body, headers=headers(admin_token))
    result = answer.json()["result"]
    assert result["protocolVersion"] == given
    offered = {"tools": {}, "logging": {}, "completions": {}, "resources": {}}
    assert result["capabilities"] == offered
    assert result["serverInfo"]["name"] == "tessera"
    assert "mcp-session-id" not in answer.headers


async def test_server_discover_on_the_modern_wire(http, admin_token):
    body, sent = modern("server/discover")
    answer = await http.post("/mcp", json=body, headers=headers(admin_token, **sent))
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert result["supportedVersions"] == [MODERN]
    assert result["resultType"] == "complete"
    assert result["cacheScope"] == "private"
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "tessera"


async def test_modern_tools_list_carries_cache_hints(http, admin_token):
    body, sent = modern("tools/list")
    answer = await http.post("/mcp", json=body, headers=headers(admin_token, **sent))
    result = answer.json()["result"]
    assert {"ttlMs": 0, "cacheScope": "private", "resultType": "complete"}.items() <= (
        result.items()
    )
    assert [tool["name"] for tool in result["tools"]][:2] == ["system-prompt", "items"]


@pytest.mark.parametrize(
    "change",
    [
        {"Mcp-Method": "tools/list"},
        {"Mcp-Name": "schema"},
        {"MCP-Protocol-Version": "2025-11-25-x"},
    ],
)
async def test_modern_routing_headers_must_match_the_body(http, admin_token, change):
    body, sent = modern("tools/call", "items", name="items", arguments={})
    answer = await http.post("/mcp", json=body, headers=headers(admin_token, **{**sent, **change}))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] in (-32020, -32022)
    assert answer.json()["id"] == 7


async def test_a_modern_request_without_its_envelope_is_invalid_params(http, admin_token):
    body, sent = modern("tools/list")
    del body["params"]["_meta"]
    answer = await http.post("/mcp", json=body, headers=headers(admin_token, **sent))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == -32602


async def test_an_unknown_modern_method_is_a_404(http, admin_token):
    body, sent = modern("logging/setLevel")  # 2026-07-28 sets the level per request
    answer = await http.post("/mcp", json=body, headers=headers(admin_token, **sent))
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == -32601


async def test_an_unsupported_version_names_the_supported_ones(http, admin_token):
    body, sent = modern("tools/list")
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
    sent["MCP-Protocol-Version"] = "2099-01-01"
    answer = await http.post("/mcp", json=body, headers=headers(admin_token, **sent))
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == -32022
    assert error["data"]["supported"] == [MODERN]


async def test_a_request_without_a_version_header_is_served(http: httpx.AsyncClient, admin_token):
    """The transport spec: no header reads as 2025-03-26."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "system-prompt", "arguments": {}},
    }
    answer = await http.post("/mcp", json=body, headers={"Authorization": f"Bearer {admin_token}"})
    result = answer.json()["result"]
    assert result["content"][0]["type"] == "text"


async def test_an_admin_turns_mcp_on_through_the_settings(http, set_mcp, admin_token):
    set_mcp(enabled=False)
    sent = headers(admin_token)
    assert (await http.post("/mcp", json=PING, headers=sent)).status_code == 403
    turned_on = await http.patch(
        "/settings", json={"mcp_enabled": True}, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert turned_on.status_code == 200
    assert (await http.post("/mcp", json=PING, headers=sent)).status_code == 200
