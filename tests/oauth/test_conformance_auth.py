"""The official MCP conformance suite's authorization-server scenarios against a real
``tessera serve`` with OAuth on: the metadata document, then the authorization code grant
(PKCE S256, ``state``, ``iss``, ``Cache-Control: no-store``, the token response's shape).

The suite prints an authorize URL and waits for its own callback on loopback; a scripted
browser (httpx with cookies, no JavaScript) signs in and approves, and the redirect goes to
the suite's callback. Without Node 22 the test is skipped, except under ``CI=true``.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from html import unescape
from pathlib import Path

import httpx
import pytest

from live_tessera import free_port, serve
from node_packages import require

pytestmark = pytest.mark.sqlite_only  # the server has its own SQLite file; once per CI run

SUITE_VERSION = "0.2.0-alpha.12"
PASSWORD = "live-password"
_URL = re.compile(r"(https?://\S+/mcp-oauth/authorize\?\S+)")


def approve(url: str) -> None:
    """Sign in and approve as a person would; the last redirect lands on the suite's callback."""
    with httpx.Client(timeout=30) as browser:
        response = browser.get(url)
        for _ in range(8):
            if response.status_code in (302, 303):
                target = response.url.join(response.headers["location"])
                if target.port != response.url.port:  # the suite's callback
                    deliver(browser, target)
                    return
                response = browser.get(target)
                continue
            html = response.text
            found = re.findall(r'name="(\w+)" value="([^"]*)"', html)
            fields = {name: unescape(value) for name, value in found}
            if 'action="/mcp-oauth/login"' in html:
                form = {**fields, "email": "admin@example.com", "password": PASSWORD}
                response = browser.post(str(response.url.join("/mcp-oauth/login")), data=form)
            elif 'action="/mcp-oauth/authorize/decision"' in html:
                form = {"csrf": fields["csrf"], "signed_params": fields["signed_params"]}
                target = str(response.url.join("/mcp-oauth/authorize/decision"))
                response = browser.post(target, data={**form, "approved": "true"})
            else:
                shown = html.split('<main id="main">')[-1][:300]
                raise AssertionError(f"unexpected page {response.status_code}: {shown}")


def deliver(browser: httpx.Client, callback: httpx.URL) -> None:
    """The redirect to the suite's callback server, which may not be listening yet."""
    for _ in range(50):
        try:
            browser.get(callback)
            return
        except httpx.ConnectError:
            time.sleep(0.2)


def test_authorization_server_scenarios(tmp_path: Path):
    node, package = require("@modelcontextprotocol/conformance", SUITE_VERSION)
    setup = [
        ["settings", "set", name, "true"]
        for name in ("mcp_enabled", "mcp_oauth_enabled", "mcp_oauth_dcr_enabled")
    ]
    env = {"MCP_OAUTH_ENABLED": "true", "MCP_OAUTH_DCR_ENABLED": "true"}
    with serve(tmp_path, setup, env) as base:
        port = free_port()
        client = httpx.post(
            f"{base}/mcp-oauth/register",
            json={
                "client_name": "MCP conformance suite",
                "redirect_uris": [f"http://127.0.0.1:{port}/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
            },
        ).json()
        out = tmp_path / "results"
        command = [
            str(node),
            str(package / "dist" / "index.js"),
            "authorization",
            "--url",
            base,
            "--client-id",
            client["client_id"],
            "--resource",
            f"{base}/mcp",
            "-p",
            str(port),
            "-o",
            str(out),
        ]
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
        )
        # The suite waits minutes for a callback that never comes; a failure here must not.
        watchdog = threading.Timer(120, proc.kill)
        watchdog.start()
        printed: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            printed.append(line)
            found = _URL.search(line)
            if found:
                threading.Thread(target=approve, args=(found.group(1),), daemon=True).start()
        proc.wait()
        watchdog.cancel()
    checks = [check for path in out.glob("*/checks.json") for check in json.loads(path.read_text())]
    failed = [check for check in checks if check["status"] == "FAILURE"]
    scenarios = {path.parent.name.split("-20")[0] for path in out.glob("*/checks.json")}
    report = "".join(printed)
    assert not failed, report
    assert len(scenarios) == 2, report
    assert proc.returncode == 0, report
