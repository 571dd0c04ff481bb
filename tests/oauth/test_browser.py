"""The pages in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright, with JavaScript off — sign in, approve, see the app in Connected apps, revoke
it. Each page is saved as a screenshot (in the test's folder, or ``TESSERA_SCREENSHOTS``).

Without Chromium or Playwright the test is skipped, except under ``CI=true``.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import uvicorn

from oauth_helpers import ADMIN_EMAIL, PASSWORD, pkce
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database

pytestmark = pytest.mark.sqlite_only  # the pages are the same on both databases
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _missing(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why} (CI installs chromium and playwright)")
    pytest.skip(why)


@pytest.fixture
def live(oauth_db: Database, oauth_settings: Settings) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = create_app(oauth_settings.model_copy(update={"public_url": base}), oauth_db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    yield base
    server.should_exit = True
    thread.join(10)


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
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    if not Path(CHROMIUM).is_file():
        _missing("Chromium is not installed (apt-get install chromium)")
    shots = Path(os.environ.get("TESSERA_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
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
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
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
