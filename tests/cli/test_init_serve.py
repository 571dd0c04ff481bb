"""``tessera init``, ``tessera serve`` and the top-level command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from db_helpers import all_rows, unopenable_url
from tessera import __version__
from tessera.access.passwords import verify_password
from tessera.cli import main
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_users

SETTING_NAMES = [name.upper() for name in Settings.model_fields]


@pytest.fixture
def run(monkeypatch, tmp_path):
    """Run ``tessera`` with only the given settings in the environment, in an empty folder."""
    monkeypatch.chdir(tmp_path)
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)

    def _run(*args: str, **env: str):
        return CliRunner().invoke(main, list(args), env={"SECRET": "test-secret", **env})

    return _run


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"tessera, version {__version__}"


def test_help_lists_commands_with_examples(run):
    result = run("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "init" in result.output
    assert "serve" in result.output


def test_init_sets_up_the_database_then_changes_nothing(run, databases):
    url = databases.empty_url()
    env = databases.settings_env(url)

    first = run("init", **env, ADMIN_EMAIL="boss@example.com")
    assert first.exit_code == 0, first.output
    assert "applied migrations T0001" in first.output
    assert "created the admin user boss@example.com" in first.output
    (password_line,) = [line for line in first.output.splitlines() if "Admin password:" in line]
    password = password_line.split("Admin password:")[1].split()[0]

    db = Database(url)
    try:
        with db.read() as conn:
            (hashed,) = conn.execute(sa.select(directus_users.c.password)).scalars()
        assert verify_password(hashed, password)
        before = all_rows(db)

        second = run("init", **env, ADMIN_EMAIL="boss@example.com")

        assert second.exit_code == 0, second.output
        assert "nothing to do" in second.output
        assert "Admin password" not in second.output
        assert all_rows(db) == before
    finally:
        db.dispose()


def test_init_with_admin_password_prints_no_password(run, databases):
    env = databases.settings_env(databases.empty_url())
    result = run("init", **env, ADMIN_PASSWORD="chosen-by-me")
    assert result.exit_code == 0, result.output
    assert "Admin password" not in result.output
    assert "chosen-by-me" not in result.output


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "eighty"), ("DB_CLIENT", "oracle"), ("QUERY_LIMIT_DEFAULT", "0")],
)
def test_a_bad_setting_exits_2_with_one_line_naming_it(run, name, value):
    result = run("init", **{name: value})

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{name} must be")
    assert result.stdout == ""


def test_a_database_that_cannot_be_opened_exits_1_with_one_line(run, databases, tmp_path):
    bad = unopenable_url(databases.empty_url(), tmp_path)

    result = run("init", **databases.settings_env(bad))

    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Cannot set up the database")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_starts_a_server_that_answers(tmp_path, workers):
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(DB_CLIENT="sqlite3", DB_FILENAME=str(tmp_path / "served.db"))
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "tessera", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as sink:
        server = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        answer = None
        deadline = time.monotonic() + 60
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/server/ping", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    output = log.read_text()
    assert answer is not None, output
    assert answer.status_code == 200
    assert answer.text == "pong"
    assert f"http://127.0.0.1:{port}/server/health" in output
    assert f"Admin     http://127.0.0.1:{port}/admin" in output
    assert (
        "/mcp  (off until enabled: Settings in the admin app, or tessera settings set "
        "mcp_enabled true)" in output
    )
    assert output.count("Admin password:") == 1
