"""``/mcp-oauth/clients`` for admins, and the cleanup job."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from oauth_helpers import ADMIN_TOKEN, CALLBACK, exchange, get_code, pkce, register
from tessera.db.system_tables import (
    directus_oauth_clients,
    directus_oauth_codes,
    directus_oauth_tokens,
    directus_sessions,
)
from tessera.services.oauth.cleanup import cleanup

pytestmark = pytest.mark.anyio
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def test_admins_list_inspect_and_revoke_clients(http, browser):
    client = await register(http)
    verifier, challenge = pkce()
    got = await get_code(browser, client["client_id"], challenge)
    tokens = (await exchange(http, client["client_id"], got["code"], verifier)).json()
    listed = (await http.get("/mcp-oauth/clients", headers=ADMIN)).json()["data"]
    assert [row["client_id"] for row in listed] == [client["client_id"]]
    assert listed[0]["grants"] == 1
    assert listed[0]["last_used"] is not None  # the grant's issue, until its first call
    assert "client_secret_hash" not in listed[0]
    one = await http.get(f"/mcp-oauth/clients/{client['client_id']}", headers=ADMIN)
    assert one.json()["data"]["redirect_uris"] == [CALLBACK]
    gone = await http.delete(f"/mcp-oauth/clients/{client['client_id']}", headers=ADMIN)
    assert gone.status_code == 204
    after = await http.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert after.status_code == 401
    assert (await http.get("/mcp-oauth/clients", headers=ADMIN)).json()["data"] == []


async def test_bulk_delete_is_all_or_nothing(http):
    first, second = await register(http), await register(http)
    refused = await http.request(
        "DELETE", "/mcp-oauth/clients", json=[first["client_id"], "nope"], headers=ADMIN
    )
    assert refused.status_code == 403
    assert len((await http.get("/mcp-oauth/clients", headers=ADMIN)).json()["data"]) == 2
    done = await http.request(
        "DELETE",
        "/mcp-oauth/clients",
        json={"keys": [first["client_id"], second["client_id"]]},
        headers=ADMIN,
    )
    assert done.status_code == 204


async def test_only_admins(http):
    assert (await http.get("/mcp-oauth/clients")).status_code == 403


async def test_cleanup_removes_what_expired(http, browser, oauth_db, oauth_settings):
    kept = await register(http)
    verifier, challenge = pkce()
    got = await get_code(browser, kept["client_id"], challenge)
    await exchange(http, kept["client_id"], got["code"], verifier)
    unused = await register(http)
    await get_code(browser, kept["client_id"], pkce()[1])  # an unused code, remembered consent
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with oauth_db.write() as conn:
        conn.execute(sa.update(directus_oauth_clients).values(date_created=past))
        conn.execute(
            sa.update(directus_oauth_codes)
            .where(directus_oauth_codes.c.used_at.is_(None))
            .values(expires_at=past)
        )
    done = cleanup(oauth_db, oauth_settings)
    assert done == {"codes": 1, "grants": 0, "clients": 1}
    with oauth_db.write() as conn:
        clients = conn.execute(sa.select(directus_oauth_clients.c.client_id)).scalars().all()
        assert clients == [kept["client_id"]]
        conn.execute(sa.update(directus_oauth_tokens).values(expires_at=past))
    assert cleanup(oauth_db, oauth_settings)["grants"] == 1
    with oauth_db.read() as conn:
        assert (
            conn.execute(
                sa.select(directus_sessions).where(directus_sessions.c.oauth_client.is_not(None))
            ).first()
            is None
        )
    assert unused["client_id"] not in clients
