"""The seed's path in a real browser (headless Chromium, JavaScript on): sign in as the
admin, turn MCP on, create an MCP user with a role, copy its token — then connect the MCP
SDK client with that token and call ``schema``. Every page is saved as a screenshot (the
test's folder, or ``TESSERA_SCREENSHOTS/admin``); the README shows some of them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
import sqlalchemy as sa
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent
from starlette.applications import Starlette

from admin_helpers import ADMIN_EMAIL, PASSWORD
from browser_helpers import launch, playwright_or_skip, screenshots
from live_app import serving_live
from mcp import Client
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import (
    directus_access,
    directus_permissions,
    directus_policies,
    directus_roles,
)

pytestmark = pytest.mark.sqlite_only  # the pages are the same on both databases
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live(admin_db: Database, admin_settings: Settings) -> Iterator[str]:
    """The app on a real port, with a "Content Editor" role that may read articles."""
    role, policy = str(uuid.uuid4()), str(uuid.uuid4())
    with admin_db.write() as conn:
        conn.execute(sa.insert(directus_roles).values(id=role, name="Content Editor"))
        conn.execute(
            sa.insert(directus_policies).values(
                id=policy, name="Content editing", app_access=True, admin_access=False
            )
        )
        conn.execute(
            sa.insert(directus_access).values(id=str(uuid.uuid4()), role=role, policy=policy)
        )
        conn.execute(
            sa.insert(directus_permissions).values(
                policy=policy, collection="articles", action="read", fields="*"
            )
        )

    def make(base: str) -> Starlette:
        return create_app(admin_settings.model_copy(update={"public_url": base}), admin_db)

    with serving_live(make) as base:
        yield base


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_sign_in_enable_mcp_create_an_mcp_user_and_connect(live: str, tmp_path: Path):
    sync_playwright = playwright_or_skip()
    from playwright.sync_api import expect

    shots = screenshots(tmp_path, "admin")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(
            viewport={"width": 1100, "height": 800},
            permissions=["clipboard-read", "clipboard-write"],
        )
        page = context.new_page()
        page.goto(f"{live}/admin")
        assert page.title().startswith("Sign in")
        page.screenshot(path=shots / "1-sign-in.png", full_page=True)
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live}/admin")
        expect(page.get_by_text("Off. Turn it on in Settings")).to_be_visible()
        # The first Tab reaches the skip link: the app is usable from the keyboard.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.screenshot(path=shots / "2-home.png", full_page=True)

        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", name="Model Context Protocol")).to_be_visible()
        page.get_by_label("Enable MCP").check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
        expect(page.get_by_text(f"{live}/mcp", exact=True)).to_be_visible()
        copy = page.get_by_role("button", name="Copy the Claude Code configuration")
        copy.click()
        expect(copy).to_have_text("Copied")  # the clipboard write has finished
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(f"claude mcp add --transport http tessera {live}/mcp")
        page.screenshot(path=shots / "3-mcp-settings.png", full_page=True)

        nav.get_by_role("link", name="User Directory").click()
        page.get_by_role("link", name="Create an MCP user").click()
        page.get_by_label("Name").fill("Claude")
        page.get_by_label("Email").fill("claude@example.com")
        page.get_by_label("Role").select_option(label="Content Editor")
        page.screenshot(path=shots / "4-create-mcp-user.png", full_page=True)
        page.get_by_role("button", name="Create the user and its token").click()
        expect(page.get_by_role("heading", name="The MCP user is ready")).to_be_visible()
        copy = page.get_by_role("button", name="Copy the token")
        copy.click()
        expect(copy).to_have_text("Copied")
        token = page.evaluate("navigator.clipboard.readText()")
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
        assert token in page.locator("#config-vscode").text_content()
        page.screenshot(path=shots / "5-mcp-user-token.png", full_page=True)

        nav.get_by_role("link", name="User Directory").click()
        expect(page.get_by_role("cell", name="claude@example.com")).to_be_visible()
        page.set_viewport_size(PHONE)
        assert fits_the_screen(page)
        page.screenshot(path=shots / "6-user-directory-phone.png", full_page=True)
        page.goto(f"{live}/admin/settings/mcp")
        assert fits_the_screen(page)
        browser.close()

    schema = anyio.run(call_schema, f"{live}/mcp", token)
    assert "articles" in schema
    assert "authors" not in schema  # the role may not read it
    assert sorted(path.name for path in shots.iterdir()) == [
        "1-sign-in.png",
        "2-home.png",
        "3-mcp-settings.png",
        "4-create-mcp-user.png",
        "5-mcp-user-token.png",
        "6-user-directory-phone.png",
    ]


async def call_schema(url: str, token: str) -> str:
    """The ``schema`` tool's answer to the MCP SDK client connecting with ``token``."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        result = await client.call_tool("schema", {})
    assert not result.is_error, result.content
    return json.dumps([part.text for part in result.content if isinstance(part, TextContent)])
