"""The live check of a permission's filters in a real browser (headless Chromium, as in
tests/oauth/test_browser.py, with JavaScript on): what permissions.js shows beneath a text
area as it is typed. Each page is saved as a screenshot (in the test's folder, or
``TESSERA_SCREENSHOTS``). Without Chromium or Playwright the test is skipped, except under
``CI=true``."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn

from admin_helpers import ADMIN_EMAIL, PASSWORD
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_policies

pytestmark = pytest.mark.sqlite_only  # the script is the same on both databases
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def live(admin_db: Database, admin_settings: Settings) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = create_app(admin_settings.model_copy(update={"public_url": base}), admin_db)
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


def test_the_filters_are_checked_as_they_are_typed(live: str, admin_db: Database, tmp_path: Path):
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Playwright is not installed (CI installs it)")
        pytest.skip("Playwright is not installed")
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium is not installed (CI installs it)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    shots = Path(os.environ.get("TESSERA_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with admin_db.read() as conn:
        public = conn.execute(
            sa.select(directus_policies.c.id).where(directus_policies.c.name == "$t:public_label")
        ).scalar_one()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{live}/admin/login")
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live}/admin/roles")
        page.screenshot(path=shots / "roles.png", full_page=True)
        page.goto(f"{live}/admin/policies/{public}/permissions/articles/update")
        rule = page.get_by_label("Which items (row filter)")
        rule.fill('{"author": {"nope": {"_eq": 1}}}')
        said = page.locator("#permissions-check")
        expect(said).to_have_text('No field "nope" in the collection "authors" (after author).')
        page.screenshot(path=shots / "permission-wrong.png", full_page=True)
        rule.fill('{"author": {"name": {"_eq": "$CURRENT_USER.first_name"}}}')
        expect(said).to_have_text("OK")
        presets = page.get_by_label("Presets (default values)")
        presets.fill('{"status": "draft",}')
        expect(page.locator("#presets-check")).to_contain_text("Not JSON")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#presets-error")).to_contain_text("Not JSON")
        presets.fill('{"status": "draft"}')
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
        expect(page.get_by_label("articles, update: some")).to_be_visible()
        page.screenshot(path=shots / "permissions-grid.png", full_page=True)
        browser.close()
    assert sorted(path.name for path in shots.iterdir()) == [
        "permission-wrong.png",
        "permissions-grid.png",
        "roles.png",
    ]
