"""The live check of a permission's filters in a real browser (headless Chromium, JavaScript
on): what permissions.js shows beneath a text area as it is typed. Each page is saved as a
screenshot (the test's folder, or ``TESSERA_SCREENSHOTS/permissions``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from admin_helpers import ADMIN_EMAIL, PASSWORD
from browser_helpers import launch, playwright_or_skip, screenshots
from live_app import serving_live
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_policies

pytestmark = pytest.mark.sqlite_only  # the script is the same on both databases


@pytest.fixture
def live(admin_db: Database, admin_settings: Settings) -> Iterator[str]:
    def make(base: str) -> Starlette:
        return create_app(admin_settings.model_copy(update={"public_url": base}), admin_db)

    with serving_live(make) as base:
        yield base


def test_the_filters_are_checked_as_they_are_typed(live: str, admin_db: Database, tmp_path: Path):
    sync_playwright = playwright_or_skip()
    from playwright.sync_api import expect

    shots = screenshots(tmp_path, "permissions")
    with admin_db.read() as conn:
        public = conn.execute(
            sa.select(directus_policies.c.id).where(directus_policies.c.name == "$t:public_label")
        ).scalar_one()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(f"{live}/admin/login")
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live}/admin")
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
