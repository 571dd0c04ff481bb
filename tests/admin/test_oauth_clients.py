"""The registered OAuth clients, for admins: list, inspect, revoke; and nothing of it
while the environment keeps OAuth off."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import httpx2
import pytest
import sqlalchemy as sa
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from admin_helpers import BASE_URL, EDITOR_EMAIL, Person, text_of
from mcp import Client
from oauth_helpers import CALLBACK, Browser, exchange, get_code, pkce, register
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_oauth_clients, directus_settings
from tessera.services.oauth import cimd

pytestmark = pytest.mark.anyio
LIST = "/admin/oauth-clients"
DOCUMENT_URL = "https://client.example.com/oauth/metadata.json"


@pytest.fixture
def admin_settings(admin_settings: Settings) -> Settings:
    return admin_settings.model_copy(
        update={
            "mcp_oauth_enabled": True,
            "mcp_oauth_dcr_enabled": True,
            "mcp_oauth_cimd_enabled": True,
        }
    )


@pytest.fixture
def admin_db(admin_db: Database) -> Database:
    with admin_db.write() as conn:
        conn.execute(
            sa.update(directus_settings).values(
                mcp_enabled=True,
                mcp_oauth_enabled=True,
                mcp_oauth_dcr_enabled=True,
                mcp_oauth_cimd_enabled=True,
            )
        )
    return admin_db


@pytest.fixture
async def http(app: Starlette, person: Person) -> AsyncIterator[httpx.AsyncClient]:
    """The client application's own HTTP client (no browser cookies)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def approved(app: Starlette, http: httpx.AsyncClient) -> dict[str, str]:
    """A client registered with DCR, approved by the editor at their own browser: its
    ``client_id`` and the ``access_token`` it was given."""
    client = await register(http, client_name="Claude Test")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as browser_http:
        verifier, challenge = pkce()
        got = await get_code(
            Browser(browser_http, email=EDITOR_EMAIL), client["client_id"], challenge
        )
    tokens = await exchange(http, client["client_id"], got["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    return {"client_id": client["client_id"], "access_token": tokens.json()["access_token"]}


@contextlib.asynccontextmanager
async def mcp_with(app: Starlette, token: str) -> AsyncIterator[Client]:
    transport = httpx2.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as http,
        Client(streamable_http_client(f"{BASE_URL}/mcp", http_client=http)) as client,
    ):
        yield client


def client_page(client_id: str) -> str:
    return f"{LIST}/{quote(client_id, safe='')}"


def cells_of(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [
        [text_of(cell) for cell in re.split(r"<td[^>]*>", row)[1:]]
        for row in body.split("<tr>")[1:]
    ]


async def test_the_list_says_what_each_client_is(
    admin: Person, app: Starlette, approved: dict[str, str]
):
    async with mcp_with(app, approved["access_token"]) as client:
        assert not (await client.call_tool("schema", {})).is_error
    page = await admin.get(LIST)
    assert page.status_code == 200
    [row] = cells_of(page.text)
    name, client_id, registration, redirects, registered, last_used, grants = row
    assert (name, client_id, registration, redirects) == (
        "Claude Test",
        approved["client_id"],
        "DCR",
        CALLBACK,
    )
    assert registered.endswith("UTC")
    assert last_used.endswith("UTC")
    assert grants == "1 user"
    assert f'href="{client_page(approved["client_id"])}"' in page.text
    # Each person's own approvals are elsewhere, and linked.
    assert '<a href="/mcp-oauth/apps">Connected apps</a>' in page.text.split("</header>", 1)[1]


async def test_a_client_shows_who_approved_it(admin: Person, approved: dict[str, str]):
    page = await admin.get(client_page(approved["client_id"]))
    assert page.status_code == 200
    [row] = cells_of(page.text)
    assert row[0].startswith("editor@example.com")
    assert row[1] == "Full (the user's permissions)"
    assert row[3].startswith("Live since")
    assert "/admin/activity?user=editor%40example.com&amp;origin=mcp" in page.text
    assert f"origin=oauth%3A{approved['client_id']}" in page.text
    words = text_of(page.text)
    assert f"Client ID {approved['client_id']}" in words
    assert "Dynamic Client Registration" in words


async def test_revoking_ends_the_client_and_its_tokens(
    admin: Person, app: Starlette, approved: dict[str, str]
):
    async with mcp_with(app, approved["access_token"]) as client:
        assert not (await client.call_tool("schema", {})).is_error
    calls = await admin.get("/admin/activity", origin=f"oauth:{approved['client_id']}")
    assert [row[1:5] for row in cells_of(calls.text)] == [
        ["editor@example.com", "run", "directus_oauth_clients", approved["client_id"]]
    ]
    done = await admin.submit(
        f"{LIST}/revoke",
        {"client_id": approved["client_id"]},
        page=client_page(approved["client_id"]),
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{LIST}?notice=client-revoked"
    listed = await admin.get(done.headers["location"])
    assert "The client is revoked, with every token it held." in text_of(listed.text)
    assert "No client has registered yet." in text_of(listed.text)
    refused = await admin.http.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": f"Bearer {approved['access_token']}"},
    )
    assert refused.status_code == 401
    again = await admin.get(client_page(approved["client_id"]))
    assert again.status_code == 404
    assert "No such client" in again.text


async def test_revoking_without_the_form_token_changes_nothing(
    admin: Person, approved: dict[str, str]
):
    await admin.get(LIST)
    refused = await admin.http.post(f"{LIST}/revoke", data={"client_id": approved["client_id"]})
    assert refused.status_code == 403
    assert "The form expired" in refused.text
    assert approved["client_id"] in (await admin.get(LIST)).text


async def test_someone_who_is_not_an_admin_is_refused(
    person: Person, admin_db: Database, approved: dict[str, str]
):
    await person.sign_in(EDITOR_EMAIL)
    home = await person.get("/admin")
    assert LIST not in home.text
    assert (await person.get(LIST)).status_code == 403
    assert (await person.get(client_page(approved["client_id"]))).status_code == 403
    refused = await person.submit(
        f"{LIST}/revoke", {"client_id": approved["client_id"]}, page="/admin"
    )
    assert refused.status_code == 403
    with admin_db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(directus_oauth_clients)).scalar()


async def test_a_metadata_document_client_has_its_url_as_its_id(
    admin: Person, admin_db: Database, admin_settings: Settings
):
    document = {"client_id": DOCUMENT_URL, "client_name": "Doc client", "redirect_uris": [CALLBACK]}
    cimd.resolve_client(
        admin_db,
        DOCUMENT_URL,
        admin_settings,
        lambda url, etag: cimd.Fetched(document, None, dt.timedelta(hours=1)),
    )
    listed = await admin.get(LIST)
    [row] = cells_of(listed.text)
    assert row[:3] == ["Doc client", DOCUMENT_URL, "CIMD"]
    assert row[-1] == "0 users"
    page = await admin.get(client_page(DOCUMENT_URL))
    assert page.status_code == 200
    assert "Client ID Metadata Document, fetched" in text_of(page.text)
    assert "Nobody has approved this client." in text_of(page.text)
    done = await admin.submit(
        f"{LIST}/revoke", {"client_id": DOCUMENT_URL}, page=client_page(DOCUMENT_URL)
    )
    assert done.status_code == 303


async def test_an_unknown_client_is_not_found(admin: Person):
    page = await admin.get(client_page("no-such-client"))
    assert page.status_code == 404
    gone = await admin.submit(f"{LIST}/revoke", {"client_id": "no-such-client"}, page=LIST)
    assert gone.status_code == 404
    assert "No OAuth client no-such-client is registered" in text_of(gone.text)


async def test_without_oauth_in_the_environment_the_pages_do_not_exist(
    admin_db: Database, admin_settings: Settings
):
    off = create_app(admin_settings.model_copy(update={"mcp_oauth_enabled": False}), admin_db)
    async with off.router.lifespan_context(off):
        transport = httpx.ASGITransport(app=off)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            admin = Person(client)
            await admin.sign_in()
            assert LIST not in (await admin.get("/admin")).text
            assert (await admin.get(LIST)).status_code == 404
            assert (await admin.get(client_page("any"))).status_code == 404
            home = await admin.get("/admin")
            assert home.status_code == 200
            refused = await admin.submit(f"{LIST}/revoke", {"client_id": "any"}, page="/admin")
            assert refused.status_code == 404
