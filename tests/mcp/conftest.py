"""An app serving the blog database with MCP on, and clients that talk to it in-process.

``connect`` opens the official SDK client (``mcp.client.streamable_http``) over an
``httpx2.ASGITransport``, so every test goes through the real HTTP layer without a socket.
Test modules here cannot import this file, so what they share is a fixture; the tokens
are ``admin-token`` fixtures' values and the ``mode`` fixture runs a test on both eras.
(No ``__init__.py`` in this folder: it would shadow the ``mcp`` package.)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import httpx2
import pytest
import sqlalchemy as sa
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from asgi_client import serving
from callers import grant, make_caller
from mcp import Client
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_settings, directus_users
from tessera.services.bootstrap import bootstrap

BASE_URL = "http://127.0.0.1:8055"
MCP_URL = f"{BASE_URL}/mcp"
ADMIN_TOKEN = "mcp-admin-token"
READER_TOKEN = "mcp-reader-token"
#: Both eras of the protocol, as the SDK client's ``mode``.
MODES = ["legacy", "2026-07-28"]


def _set_mcp(db: Database, **values: Any) -> None:
    with db.write() as conn:
        conn.execute(
            sa.update(directus_settings).values(
                **{f"mcp_{name}": value for name, value in values.items()}
            )
        )


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    """The SDK client's mode: the 2025-11-25 handshake, or the 2026-07-28 envelope."""
    return request.param


@pytest.fixture
def admin_token() -> str:
    return ADMIN_TOKEN


@pytest.fixture
def reader_token() -> str:
    return READER_TOKEN


@pytest.fixture
def set_mcp(mcp_db: Database) -> Callable[..., None]:
    """``set_mcp(allow_deletes=True)``: change ``mcp_*`` project settings."""
    return lambda **values: _set_mcp(mcp_db, **values)


@pytest.fixture
def mcp_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_url": BASE_URL})


@pytest.fixture
def mcp_db(blog_db: Database, mcp_settings: Settings) -> Database:
    """The blog, an admin (ADMIN_TOKEN), a reader of ``articles`` (READER_TOKEN), MCP on."""
    bootstrap(blog_db, mcp_settings)
    reader = make_caller(
        blog_db,
        [grant("articles", "read", fields="id,title,status"), grant("notes", "read")],
    )
    with blog_db.write() as conn:
        users = directus_users
        conn.execute(sa.update(users).where(users.c.id != reader.user).values(token=ADMIN_TOKEN))
        conn.execute(sa.update(users).where(users.c.id == reader.user).values(token=READER_TOKEN))
    _set_mcp(blog_db, enabled=True)
    return blog_db


@pytest.fixture
def app(mcp_db: Database, mcp_settings: Settings) -> Starlette:
    return create_app(mcp_settings, mcp_db)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client of the app, for the transport's own answers."""
    async with serving(app) as client:
        client.base_url = httpx.URL(BASE_URL)
        yield client


Connect = Callable[..., contextlib.AbstractAsyncContextManager[Client]]


def _opener(app: Starlette) -> Connect:
    @contextlib.asynccontextmanager
    async def open_client(
        token: str | None = ADMIN_TOKEN, mode: str = "legacy", query: str = ""
    ) -> AsyncIterator[Client]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx2.ASGITransport(app=app)
        async with (
            httpx2.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as http,
            Client(streamable_http_client(MCP_URL + query, http_client=http), mode=mode) as c,
        ):
            yield c

    return open_client


@pytest.fixture
def connect(app: Starlette) -> Connect:
    """``async with connect(token, mode) as client``: the SDK's client, connected."""
    return _opener(app)


@pytest.fixture
def connect_to() -> Callable[[Starlette], Connect]:
    """``async with connect_to(app)(token, mode)``: the same, to an app of the test's own."""
    return _opener
