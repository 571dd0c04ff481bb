"""Headless Chromium (Debian's ``chromium``) for page tests, driven by Playwright.

Without Chromium or Playwright a browser test is skipped, except under ``CI=true``, where
it fails: CI installs both. Screenshots go to the test's folder, or to
``TESSERA_SCREENSHOTS/<name>`` when that is set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _missing(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why} (CI installs chromium and playwright)")
    pytest.skip(why)


def playwright_or_skip() -> Any:
    """Playwright's ``sync_playwright``, once Chromium and Playwright are known to be there."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    if not Path(CHROMIUM).is_file():
        _missing("Chromium is not installed (apt-get install chromium)")
    return sync_playwright


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def screenshots(tmp_path: Path, name: str) -> Path:
    base = os.environ.get("TESSERA_SCREENSHOTS")
    folder = Path(base) / name if base else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
