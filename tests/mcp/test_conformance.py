"""The official MCP conformance suite against a real ``tessera serve`` on loopback.

``@modelcontextprotocol/conformance`` (pinned: :data:`SUITE_VERSION`) needs Node 22; both
come from the npm registry into ``.ci/node`` through ``bash .ci/node-setup`` (CI runs it).
The server is a test profile: a fresh SQLite database set up by ``tessera init``, the
``mcp_enabled`` setting on, a prompts collection (``tessera prompts init``) holding the
suite's two text prompts as real rows, ``MCP_TEST_FIXTURES`` on for the rest of the
suite's fixtures (:mod:`tessera.mcp.conformance`), and an admin static token, which the
suite (it has no option for headers) sends as ``?access_token=`` in the URL. Each
revision's REQUIRED server scenarios run (``--requirements``); a scenario passes when none
of its checks failed.

:data:`NOT_YET` names required scenarios Tessera cannot pass, each with why; it is empty,
and strict — a scenario in it that passes fails this test — so it can only stay empty.

Without Node 22 the test is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from live_tessera import ADMIN_TOKEN as TOKEN
from live_tessera import serve
from node_packages import require

pytestmark = pytest.mark.sqlite_only  # the server has its own SQLite file; once per CI run

SUITE_VERSION = "0.2.0-alpha.12"

#: Required scenarios Tessera does not pass yet, per revision, with why (none).
NOT_YET: dict[str, dict[str, str]] = {"2025-11-25": {}, "2026-07-28": {}}
#: The suite's prompts by name, as real rows of the prompts collection (``tessera prompts init``).
PROMPTS = [
    {
        "name": "test_simple_prompt",
        "status": "active",
        "description": "A simple prompt without arguments",
        "messages": [{"role": "user", "text": "This is a simple prompt for testing."}],
    },
    {
        "name": "test_prompt_with_arguments",
        "status": "active",
        "description": "A prompt with required arguments",
        "messages": [
            {"role": "user", "text": "Prompt with arguments: arg1='{{arg1}}', arg2='{{arg2}}'"}
        ],
    },
]
_STAMP = re.compile(r"-\d{4}-\d\d-\d\dT[\d-]+Z$")


def _required(suite: Path, revision: str) -> list[str]:
    """The ``server:`` list of the suite's ``requirements/<revision>.yaml``."""
    names: list[str] = []
    section = None
    for line in (suite / "requirements" / f"{revision}.yaml").read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            section = line.rstrip(":")
        elif section == "server" and line.startswith("  - "):
            names.append(line[4:].strip())
    return names


@pytest.fixture(scope="module")
def suite() -> tuple[Path, Path]:
    """Node 22 and the pinned suite's folder, or a skip (a failure under ``CI=true``)."""
    return require("@modelcontextprotocol/conformance", SUITE_VERSION)


@pytest.fixture(scope="module")
def server(suite: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tessera serve`` with the test profile; its /mcp URL with the admin's token."""
    home = tmp_path_factory.mktemp("conformance")
    setup = [["settings", "set", "mcp_enabled", "true"], ["prompts", "init"]]
    with serve(home, setup, {"MCP_TEST_FIXTURES": "true"}) as base:
        for prompt in PROMPTS:
            created = httpx.post(f"{base}/items/ai_prompts?access_token={TOKEN}", json=prompt)
            assert created.status_code == 200, created.text
        yield f"{base}/mcp?access_token={TOKEN}"


@pytest.mark.parametrize("revision", sorted(NOT_YET))
def test_required_scenarios(
    suite: tuple[Path, Path], server: str, revision: str, tmp_path: Path
) -> None:
    node, package = suite
    out = tmp_path / "results"
    command = [str(node), str(package / "dist" / "index.js"), "server", "--url", server]
    command += ["--requirements", revision, "-o", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    summary = run.stdout[run.stdout.find("=== SUMMARY") :]

    failed: dict[str, list[str]] = {}
    ran = set()
    for checks in out.glob("server-*/checks.json"):
        scenario = _STAMP.sub("", checks.parent.name.removeprefix("server-"))
        ran.add(scenario)
        bad = [
            f"{c.get('id')}: {c.get('errorMessage') or c.get('description')}"
            for c in json.loads(checks.read_text())
            if c.get("status") in ("FAILURE", "ERROR")
        ]
        if bad:
            failed[scenario] = bad

    required = _required(package, revision)
    assert set(required) <= ran, f"not run: {sorted(set(required) - ran)}\n{run.stderr}"
    not_yet = NOT_YET[revision]
    unexpected = {s: failed[s] for s in required if s in failed and s not in not_yet}
    assert not unexpected, f"required scenarios failed:\n{json.dumps(unexpected, indent=1)}"
    now_passing = sorted(s for s in not_yet if s not in failed)
    assert not now_passing, f"now passing, take them off NOT_YET: {now_passing}\n{summary}"
