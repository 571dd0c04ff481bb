"""``tessera serve`` as a user starts it: a fresh SQLite project on a free loopback port.

For the tests that drive Tessera with outside programs (the MCP conformance suite, the MCP
Inspector): the project is set up with the real CLI (``tessera init``, ``settings set``),
the server runs as its own process, and the tests talk to it over a socket.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ADMIN_TOKEN = "live-admin-token"
TESSERA = [sys.executable, "-m", "tessera"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(home: Path, setup: list[list[str]], env: dict[str, str] | None = None) -> Iterator[str]:
    """Set up a project in ``home`` with each of ``setup``'s CLI commands (after ``init``),
    start ``tessera serve``, and yield its base URL; the admin's token is ADMIN_TOKEN."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DB_", "MCP_"))},
        "DB_CLIENT": "sqlite3",
        "DB_FILENAME": str(home / "tessera.db"),
        "SECRET": "live-secret-live-secret-live-secret",
        "ADMIN_EMAIL": "admin@example.com",
        "ADMIN_PASSWORD": "live-password",
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "PUBLIC_URL": base,
        "LOG_LEVEL": "warn",
        **(env or {}),
    }
    for args in (["init"], *setup):
        subprocess.run(
            [*TESSERA, *args], env=environment, cwd=home, check=True, capture_output=True
        )
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*TESSERA, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
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
                    pytest.fail(f"tessera serve did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
