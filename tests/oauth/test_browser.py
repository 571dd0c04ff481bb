"""The pages in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright, with JavaScript off — sign in, approve, see the app in Connected apps, revoke
it. Each page is saved as a screenshot (in the test's folder, or ``TESSERA_SCREENSHOTS/oauth``).

Without Chromium or Playwright the test is skipped, except under ``CI=true``.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from browser_helpers import launch, playwright_or_skip, screenshots
from live_app import serving_live
from oauth_helpers import ADMIN_EMAIL, PASSWORD, pkce
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database

pytestmark = pytest.mark.sqlite_only  # the pages are the same on both databases


@pytest.fixture
def live(oauth_db: Database, oauth_settings: Settings) -> Iterator[str]:
    def make(base: str) -> Starlette:
        return create_app(oauth_settings.model_copy(update={"public_url": base}), oauth_db)

    with serving_live(make) as base:
        yield base


def _callback_server(landed: list[str]) -> http.server.HTTPServer:
    """The client's end of the redirect: records each URL it is sent to."""

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            landed.append(f"http://127.0.0.1:{self.server.server_address[1]}{self.path}")
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"Signed in; you can close this window.")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_sign_in_approve_and_revoke_in_chromium(live: str, tmp_path: Path):
    sync_playwright = playwright_or_skip()
    shots = screenshots(tmp_path, "oauth")
    landed: list[str] = []
    receiver = _callback_server(landed)
    callback = f"http://127.0.0.1:{receiver.server_address[1]}/callback"
    client = httpx.post(
        f"{live}/mcp-oauth/register",
        json={
            "client_name": "Browser test client",
            "redirect_uris": [callback],
            "token_endpoint_auth_method": "none",
        },
    ).json()
    authorize = f"{live}/mcp-oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": callback,
            "code_challenge": pkce()[1],
            "code_challenge_method": "S256",
            "state": "browser",
            "resource": f"{live}/mcp",
        }
    )
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(authorize)
        assert page.title().startswith("Sign in")
        page.screenshot(path=shots / "1-sign-in.png", full_page=True)
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        assert "Browser test client" in page.title()
        page.screenshot(path=shots / "2-consent.png", full_page=True)
        page.get_by_role("button", name="Approve").click()
        # (The browser may also ask the callback's host for a favicon.)
        (arrived,) = [url for url in landed if "/callback?" in url]
        query = parse_qs(urlsplit(arrived).query)
        assert query["state"] == ["browser"]
        assert query["iss"] == [live]
        assert query["code"]
        page.goto(f"{live}/mcp-oauth/apps")
        assert page.get_by_text("Browser test client").is_visible()
        page.screenshot(path=shots / "3-connected-apps.png", full_page=True)
        page.get_by_role("button", name="Revoke Browser test client").click()
        assert page.get_by_text("You have not approved any application.").is_visible()
        page.screenshot(path=shots / "4-revoked.png", full_page=True)
        browser.close()
    receiver.shutdown()
    assert sorted(path.name for path in shots.iterdir()) == [
        "1-sign-in.png",
        "2-consent.png",
        "3-connected-apps.png",
        "4-revoked.png",
    ]
