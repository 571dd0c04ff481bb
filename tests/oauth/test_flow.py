"""The whole flow as an MCP client lives it, driven by the MCP Python SDK's OAuth client:
discovery from the 401, registration, sign-in and consent in the browser, the code
exchange, tool calls, a refresh, and revocation."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from oauth_helpers import ADMIN_TOKEN, MemoryStorage, field_value, make_provider
from tessera.db.system_tables import (
    directus_activity,
    directus_oauth_clients,
    directus_oauth_tokens,
    directus_sessions,
)

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_an_sdk_client_connects_with_oauth_and_calls_tools(sdk, connect, oauth_db, mode):
    async with connect(sdk.provider, mode) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert {"items", "schema", "collections"} <= tools
        result = await client.call_tool(
            "items", {"action": "read", "collection": "articles", "query": {"limit": 1}}
        )
        assert not result.is_error
    assert sdk.browser.pages == ["login", "consent"]
    tokens = sdk.storage.tokens
    assert tokens is not None
    assert tokens.refresh_token
    assert tokens.scope == "mcp:access"
    with oauth_db.read() as conn:
        client = conn.execute(sa.select(directus_oauth_clients)).one()
        grant = conn.execute(sa.select(directus_oauth_tokens)).one()
        actions = conn.execute(
            sa.select(directus_activity.c.action, directus_activity.c.item).where(
                directus_activity.c.collection.in_(
                    ["directus_oauth_tokens", "directus_oauth_clients"]
                )
            )
        ).all()
    assert client.client_name == "SDK test client"
    assert client.registration_type == "dcr"
    assert grant.client == client.client_id
    assert grant.scope == "mcp:access"
    # The grant, then one row per tool call attributed to the client.
    assert ("login", str(grant.id)) in actions
    assert ("run", client.client_id) in actions


async def test_a_refresh_rotates_and_the_old_refresh_token_is_dead(sdk, connect, http):
    async with connect(sdk.provider) as client:
        await client.list_tools()
    first = sdk.storage.tokens
    client_id = sdk.storage.client.client_id
    # Make the access token look expired: the SDK refreshes before its next request.
    sdk.provider.context.token_expiry_time = time.time() - 1
    async with connect(sdk.provider) as client:
        await client.list_tools()
    second = sdk.storage.tokens
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert sdk.browser.pages == ["login", "consent"]  # no second trip to the browser
    old = await http.get("/mcp", headers={"Authorization": f"Bearer {first.access_token}"})
    assert old.status_code == 401  # the first session is gone with its refresh token
    answer = await http.post(
        "/mcp-oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first.refresh_token,
            "client_id": client_id,
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    # Reuse kills the grant: the current tokens stop working too.
    current = await http.post(
        "/mcp",
        headers={"Authorization": f"Bearer {second.access_token}"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert current.status_code == 401
    again = await http.post(
        "/mcp-oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": second.refresh_token,
            "client_id": client_id,
        },
    )
    assert again.json()["error"] == "invalid_grant"


async def test_revocation_ends_the_grant_and_its_access_tokens(sdk, connect, http, oauth_db):
    async with connect(sdk.provider) as client:
        await client.list_tools()
    tokens, client_id = sdk.storage.tokens, sdk.storage.client.client_id
    revoked = await http.post(
        "/mcp-oauth/revoke", data={"token": tokens.refresh_token, "client_id": client_id}
    )
    assert revoked.status_code == 200
    assert revoked.json() == {}
    after = await http.post(
        "/mcp",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert after.status_code == 401
    assert (
        'resource_metadata="http://127.0.0.1:8055/.well-known/oauth-protected-resource/mcp"'
        in (after.headers["www-authenticate"])
    )
    with oauth_db.read() as conn:
        assert conn.execute(sa.select(directus_oauth_tokens)).first() is None
        assert (
            conn.execute(
                sa.select(directus_sessions).where(directus_sessions.c.oauth_client == client_id)
            ).first()
            is None
        )
        logged = (
            conn.execute(
                sa.select(directus_activity.c.action).where(
                    directus_activity.c.collection == "directus_oauth_tokens"
                )
            )
            .scalars()
            .all()
        )
    assert "logout" in logged
    # Unknown tokens, and a second revocation, are silently fine (RFC 7009 §2.2).
    again = await http.post(
        "/mcp-oauth/revoke", data={"token": tokens.refresh_token, "client_id": client_id}
    )
    assert again.status_code == 200


async def test_a_returning_client_is_not_asked_again(sdk, browser, connect):
    async with connect(sdk.provider) as client:
        await client.list_tools()
    # A new installation of the same client (same registration, fresh tokens).
    storage = MemoryStorage()
    storage.client = sdk.storage.client
    provider = make_provider(browser, storage)
    async with connect(provider) as client:
        await client.list_tools()
    assert browser.pages == ["login", "consent"]  # signed in already, consent remembered


async def test_asking_for_more_than_was_approved_asks_again(browser, connect):
    storage = MemoryStorage()
    browser.read_only = True
    async with connect(make_provider(browser, storage)) as client:
        await client.list_tools()
    assert storage.tokens.scope == "mcp:read"
    browser.read_only = False
    second = MemoryStorage()
    second.client = storage.client
    async with connect(make_provider(browser, second)) as client:
        await client.list_tools()
    assert browser.pages == ["login", "consent", "consent"]
    assert second.tokens.scope == "mcp:access"


async def test_connected_apps_lists_and_revokes(sdk, connect, browser, http):
    async with connect(sdk.provider) as client:
        await client.list_tools()
    page = await browser.http.get("/mcp-oauth/apps")
    assert page.status_code == 200
    assert "SDK test client" in page.text
    assert "127.0.0.1:33418" in page.text
    assert "Full (your permissions)" in page.text

    csrf = field_value(page.text, "csrf")
    client_id = sdk.storage.client.client_id
    refused = await browser.http.post("/mcp-oauth/apps/revoke", data={"client_id": client_id})
    assert refused.status_code == 403
    done = await browser.http.post(
        "/mcp-oauth/apps/revoke", data={"client_id": client_id, "csrf": csrf}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/mcp-oauth/apps"
    page = await browser.http.get("/mcp-oauth/apps")
    assert "SDK test client" not in page.text
    tokens = sdk.storage.tokens
    after = await http.post(
        "/mcp",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert after.status_code == 401
    refresh = await http.post(
        "/mcp-oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": client_id,
        },
    )
    assert refresh.json()["error"] == "invalid_grant"


async def test_static_tokens_keep_working(http):

    answer = await http.post(
        "/mcp",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert answer.status_code == 200
    assert answer.json()["result"]["tools"]
    by_query = await http.post(
        f"/mcp?access_token={ADMIN_TOKEN}",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert by_query.status_code == 200
