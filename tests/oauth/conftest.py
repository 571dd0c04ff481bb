"""An app with MCP and OAuth on, a scripted browser, and the SDK's OAuth client.

The helpers (addresses, :class:`~oauth_helpers.Browser`, the SDK provider) are in
``tests/oauth_helpers.py`` so test modules can import them. (No ``__init__.py`` here: it
would shadow the ``mcp`` package, as in tests/mcp.)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
import httpx2
import pytest
import sqlalchemy as sa
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from callers import grant, make_caller
from mcp import Client
from oauth_helpers import (
    ADMIN_EMAIL,
    ADMIN_TOKEN,
    BASE_URL,
    MCP_URL,
    PASSWORD,
    READER_EMAIL,
    Browser,
    MemoryStorage,
    SdkClient,
    make_provider,
)
from tessera.access.passwords import hash_password
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_settings, directus_users
from tessera.services.bootstrap import bootstrap


@pytest.fixture
def oauth_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "public_url": BASE_URL,
            "admin_email": ADMIN_EMAIL,
            "admin_password": PASSWORD,
            "admin_token": ADMIN_TOKEN,
            "login_stall_time": 0,
            "mcp_oauth_enabled": True,
            "mcp_oauth_dcr_enabled": True,
            "mcp_oauth_cimd_enabled": True,
        }
    )


@pytest.fixture
def oauth_db(blog_db: Database, oauth_settings: Settings) -> Database:
    """The blog, an admin, a reader of ``articles`` (both with PASSWORD), MCP and OAuth on."""
    bootstrap(blog_db, oauth_settings)
    make_caller(blog_db, [grant("articles", "read", fields="id,title,status")], email=READER_EMAIL)
    with blog_db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.email == READER_EMAIL)
            .values(password=hash_password(PASSWORD), provider="default")
        )
        conn.execute(
            sa.update(directus_settings).values(
                mcp_enabled=True,
                mcp_oauth_enabled=True,
                mcp_oauth_dcr_enabled=True,
                mcp_oauth_cimd_enabled=True,
            )
        )
    return blog_db


@pytest.fixture
def app(oauth_db: Database, oauth_settings: Settings) -> Starlette:
    return create_app(oauth_settings, oauth_db)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client of the app, keeping no cookies of the browser's."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def browser(app: Starlette) -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield Browser(client)


@pytest.fixture
def sdk(browser: Browser) -> SdkClient:
    storage = MemoryStorage()
    return SdkClient(make_provider(browser, storage), storage, browser)


Connect = Callable[..., contextlib.AbstractAsyncContextManager[Client]]


@pytest.fixture
def connect(app: Starlette) -> Connect:
    """``async with connect(auth, mode) as client``: the SDK's MCP client, authorized by
    ``auth`` (an OAuthClientProvider)."""

    @contextlib.asynccontextmanager
    async def open_client(
        auth: httpx2.Auth, mode: str = "legacy", query: str = ""
    ) -> AsyncIterator[Client]:
        transport = httpx2.ASGITransport(app=app)
        async with (
            httpx2.AsyncClient(transport=transport, base_url=BASE_URL, auth=auth) as http,
            Client(streamable_http_client(MCP_URL + query, http_client=http), mode=mode) as c,
        ):
            yield c

    return open_client
