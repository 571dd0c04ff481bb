"""``/mcp`` under load over HTTP: Tessera against the reference Directus, in one run.

    .venv/bin/python bench/mcp_load.py                  # Tessera alone
    .venv/bin/python bench/mcp_load.py --compare http://127.0.0.1:8055/mcp \\
        --compare-token ref-admin-static-token-0001     # and Directus, side by side
    .venv/bin/python bench/mcp_load.py --seconds 3 --rounds 1 --concurrency 8   # a quick look

It prepares a fresh SQLite database in a temporary directory (``--database-url
postgresql://…`` drops, creates and at the end drops that database instead) through
Tessera's own services: the system tables, an ``articles`` collection shaped like the
reference's (``status``, ``title``, ``body``, ``rating``, ``published_on``) with
``--rows`` rows, ``mcp_enabled`` on, and a static admin token. It then starts Tessera in
its own process the way ``tessera serve`` serves it (uvicorn, one worker, the app from
``tessera.app:app_from_env``), with ``--loop uvloop --http httptools`` when both are
importable (``--server-loop asyncio`` forces ``asyncio``/``h11``), and with the access log
off.

The load generator is ``wrk`` (Debian: ``apt-get install -y wrk``), one thread,
keep-alive, ``--concurrency`` connections, for ``--seconds`` per level, with a Lua script
(written to the temporary directory) that POSTs the JSON-RPC request
``tools/call items {"action": "read", "collection": "articles", "query": {"limit": 10}}``
with ``Authorization: Bearer …``, ``Content-Type: application/json``, ``Accept:
application/json, text/event-stream`` and ``MCP-Protocol-Version: 2025-11-25``, and counts
as errors every non-2xx answer, socket error and timeout, and every body holding
``"isError":true`` or ``"error":``. wrk is C with a tiny Lua hook: the figures show its
CPU (a Python client such as httpx saturates its own core first, at a fraction of what
wrk drives; see shared/reference/mcp-performance.md).

Before anything is timed, each server is probed once with that request, outside wrk:
Tessera answers stateless ``tools/call`` without ``initialize``; if a server answers the
probe with an error, ``initialize`` is sent, its ``Mcp-Session-Id`` (if any) added to the
timed requests and ``notifications/initialized`` sent, then the probe must succeed. (The
reference Directus 12.4 needs none of it.) Each server is then warmed up for 2 s at
concurrency 8. Levels interleave the servers, round after round; the table gives the
median req/s, p50 and p99 (wrk's histogram) over ``--rounds``, the errors summed, the
server's CPU per request, and its RSS (VmRSS of the process and its children, after the
level; for ``--compare`` the process listening on that port, found through /proc, when it
is this user's). The ratios the MCP issue sets are printed last: throughput at
concurrency 8 at least 3x the reference's, p50 at concurrency 1 at most 0.4x its p50,
0 errors, RSS under 200 MB. Nothing is asserted.

Latest figures (2026-11-26; 2 cores, AMD EPYC, Python 3.11.7, SQLite 3.40.1, uvloop +
httptools; a quiet machine, load average 1.0-1.3; ``MCP_WORKER_THREADS`` unset, so 1 on
SQLite; Tessera answers 10 rows, Directus its 5; wrk used at most 4 % of a core):

====  ==============================  ==============================
c     Tessera req/s, p50/p99 ms, RSS  Directus req/s, p50/p99 ms, RSS
====  ==============================  ==============================
1     942, 0.99 / 1.95, 122 MB        247, 3.48 / 11.6, 642 MB
8     838, 9.15 / 13.8, 122 MB        249, 30.7 / 60.6, 642 MB
32    806, 37.0 / 50.7, 122 MB        262, 116 / 176, 642 MB
====  ==============================  ==============================

c=8 throughput 3.4x Directus's, c=1 p50 0.28x, 0 errors, RSS 122 MB: every target met.
With 2 worker threads the same machine gave 2.8x at c=8 (see README "Benchmarks"); on
PostgreSQL (``--database-url``, 2 workers) 474 req/s at c=8, 1.9x.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tessera.config import load_settings
from tessera.db import Database
from tessera.db.migrations import migrate
from tessera.db.system_tables import directus_settings
from tessera.schema.overview import SchemaCache
from tessera.services.bootstrap import bootstrap
from tessera.services.collections import CollectionsService
from tessera.services.items import ItemsService
from tessera.services.schema_change import SchemaContext

TOKEN = "bench-admin-static-token"
SECRET = "bench-secret-" + "x" * 32
PROTOCOL_VERSION = "2025-11-25"
ARGUMENTS = {"action": "read", "collection": "articles", "query": {"limit": 10}}
FIELDS = [
    {"field": "status", "type": "string"},
    {"field": "title", "type": "string"},
    {"field": "body", "type": "text"},
    {"field": "rating", "type": "integer"},
    {"field": "published_on", "type": "date"},
]
WARMUP_SECONDS = 2

LUA = r"""
local token = os.getenv("TOKEN")
local body_file = os.getenv("BODY_FILE")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  count, bad, toolerr = 0, 0, 0
  local f = assert(io.open(body_file, "rb")); wrk.body = f:read("*a"); f:close()
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  wrk.headers["MCP-Protocol-Version"] = os.getenv("MCP_PV")
  for h in string.gmatch(os.getenv("EXTRA_HDRS") or "", "[^|]+") do
    local k, v = string.match(h, "^%s*([^:]+):%s*(.-)%s*$")
    if k then wrk.headers[k] = v end
  end
  req = wrk.format()
end
function request() return req end
function response(status, headers, body)
  count = count + 1
  if status < 200 or status > 299 then bad = bad + 1
  elseif string.find(body, '"isError":true', 1, true) or string.find(body, '"error":', 1, true) then
    toolerr = toolerr + 1
  end
end
function done(summary, latency, requests)
  local c, b, t = 0, 0, 0
  for _, th in ipairs(threads) do
    c = c + th:get("count"); b = b + th:get("bad"); t = t + th:get("toolerr")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"answers":%d,"duration_us":%d,"non2xx":%d,"tool_errors":%d,' ..
    '"sock_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, c, summary.duration, b, t, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


# -- the request, and reading its answer (also used by tests/bench/) -------------------------


def tools_call_body(request_id: int | str = 1) -> bytes:
    """The timed JSON-RPC request: ``tools/call items read limit 10`` on ``articles``."""
    params = {"name": "items", "arguments": ARGUMENTS}
    message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}
    return json.dumps(message, separators=(",", ":")).encode()


def request_headers(token: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The timed request's headers (the Lua script sends the same)."""
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": PROTOCOL_VERSION,
        **(extra or {}),
    }


class BadAnswer(Exception):
    """The server's answer to the timed request is not a successful tool result."""


def read_answer(status: int, content_type: str, body: bytes) -> list[dict[str, Any]]:
    """The rows of a ``tools/call items read`` answer; :class:`BadAnswer` when it is not one.

    Accepts a JSON body or a one-event SSE stream (``data: {…}``), and the text content's
    ``{"raw": [...]}`` (Directus's shape, and ours) or ``{"data": [...]}``.
    """
    if status != 200:
        raise BadAnswer(f"HTTP {status}: {body[:300]!r}")
    text = body.decode("utf-8", "replace")
    if content_type.split(";")[0].strip() == "text/event-stream":
        datas = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        if not datas:
            raise BadAnswer(f"an event stream without data: {text[:300]!r}")
        text = datas[-1]
    try:
        message = json.loads(text)
    except ValueError:
        raise BadAnswer(f"not JSON: {text[:300]!r}") from None
    if "error" in message:
        raise BadAnswer(f"JSON-RPC error: {message['error']}")
    result = message.get("result") or {}
    if result.get("isError"):
        raise BadAnswer(f"tool error: {result.get('content')}")
    content = result.get("content") or []
    if not content or content[0].get("type") != "text":
        raise BadAnswer(f"no text content: {result!r:.300}")
    payload = json.loads(content[0]["text"])
    rows = payload.get("raw", payload.get("data")) if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise BadAnswer(f"no rows in {content[0]['text'][:300]!r}")
    return rows


# -- the database and the server ---------------------------------------------------------------


def article_rows(count: int) -> list[dict[str, Any]]:
    statuses = ("published", "published", "published", "draft", "archived")
    return [
        {
            "status": statuses[n % len(statuses)],
            "title": f"Article number {n + 1}",
            "body": "A few words about this article, long enough to look like an excerpt.",
            "rating": n % 5 + 1,
            "published_on": None if n % 5 == 3 else f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
        }
        for n in range(count)
    ]


def server_env(folder: Path, database_url: str | None) -> dict[str, str]:
    """The environment Tessera reads its settings from (no ``.env``: it runs in ``folder``)."""
    env = {
        "SECRET": SECRET,
        "ADMIN_TOKEN": TOKEN,
        "PUBLIC_URL": "http://127.0.0.1",
        "LOG_LEVEL": "warn",
        "MCP_ENABLED": "true",
    }
    if database_url:
        env.update(DB_CLIENT="pg", DB_CONNECTION_STRING=database_url)
    else:
        env.update(DB_CLIENT="sqlite3", DB_FILENAME=str(folder / "bench.db"))
    return env


def prepare_database(folder: Path, rows: int, database_url: str | None = None) -> Database:
    """System tables, the admin with its static token, ``articles`` with ``rows`` rows, MCP on."""
    env = server_env(folder, database_url)
    settings = load_settings(env_file=None, **{k.lower(): v for k, v in env.items()})
    db = Database(settings.database_url)
    migrate(db)
    bootstrap(db, settings)
    schema = SchemaCache(db)
    CollectionsService(SchemaContext(db, schema)).create(
        {"collection": "articles", "schema": {}, "fields": FIELDS}
    )
    ItemsService(db, schema, settings).create_many("articles", article_rows(rows))
    with db.write() as conn:
        conn.execute(sa.update(directus_settings).values(mcp_enabled=True))
    return db


@contextlib.contextmanager
def fresh_postgres(url: str) -> Iterator[None]:
    """Drop and create the database ``url`` names; drop it again at the end."""
    target = make_url(url)
    admin = sa.create_engine(
        target.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    name = target.database

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        drop()
        admin.dispose()


def fast_loop_available() -> bool:
    return all(importlib.util.find_spec(name) for name in ("uvloop", "httptools"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def tessera_server(folder: Path, database_url: str | None, loop: str) -> Iterator[tuple[str, int]]:
    """Tessera in its own process; yields its ``/mcp`` URL and pid."""
    port = free_port()
    http = "httptools" if loop == "uvloop" else "h11"
    command = [
        sys.executable, "-m", "uvicorn", "tessera.app:app_from_env", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--loop", loop, "--http", http,
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, **server_env(folder, database_url)}
    server = subprocess.Popen(command, cwd=folder, env=env)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise SystemExit(f"Tessera exited with {server.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server/ping", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("Tessera did not start within 30 s") from None
                time.sleep(0.1)
        yield url, server.pid
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- talking to a server outside the timed loop -------------------------------------------------


def post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def handshake(url: str, token: str) -> tuple[dict[str, str], str]:
    """The extra headers the timed request needs, and what it took to get them.

    Tries the stateless request first; on an error, ``initialize`` (then, with its session,
    ``notifications/initialized``), then tries again.
    """
    status, headers, body = post(url, request_headers(token), tools_call_body())
    try:
        read_answer(status, headers.get("content-type", ""), body)
        return {}, "stateless tools/call, no initialize"
    except BadAnswer as first:
        refusal = first
    initialize = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "tessera-bench", "version": "1"},
        },
    }
    status, headers, body = post(url, request_headers(token), json.dumps(initialize).encode())
    if status != 200:
        raise SystemExit(f"{url}: tools/call failed ({refusal}), and initialize: HTTP {status}")
    session = headers.get("mcp-session-id")
    extra = {"Mcp-Session-Id": session} if session else {}
    note = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode()
    post(url, request_headers(token, extra), note)
    status, headers, body = post(url, request_headers(token, extra), tools_call_body())
    try:
        read_answer(status, headers.get("content-type", ""), body)
    except BadAnswer as exc:
        raise SystemExit(f"{url}: tools/call still fails after initialize: {exc}") from None
    return extra, "initialize first" + (", then its Mcp-Session-Id" if session else "")


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    token: str
    pid: int | None
    extra: dict[str, str] = field(default_factory=dict)
    setup: str = ""
    rows: int = 0


@dataclass
class Level:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    rss_mb: float | None
    server_cpu_ms: float | None
    wrk_cpu: float


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def rss_mb(pid: int) -> float | None:
    total = 0
    for each in process_tree(pid):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{each}/status").read_text()
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total += int(found.group(1)) if found else 0
    return total / 1024 if total else None


def cpu_seconds(pid: int) -> float | None:
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    for each in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total or None


def listening_pid(url: str) -> int | None:
    """The pid of this user's process listening on the URL's port, through /proc."""
    port = urllib.parse.urlsplit(url).port or 80
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{parts[9]}]")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{entry}/fd"):
                if os.readlink(f"/proc/{entry}/fd/{fd}") in inodes:
                    return int(entry)
    return None


def run_wrk(target: Target, folder: Path, concurrency: int, seconds: float) -> Level:
    script, body = folder / "mcp_load.lua", folder / "tools_call.json"
    script.write_text(LUA)
    body.write_bytes(tools_call_body())
    env = {
        **os.environ,
        "TOKEN": target.token,
        "BODY_FILE": str(body),
        "MCP_PV": PROTOCOL_VERSION,
        "EXTRA_HDRS": "|".join(f"{k}: {v}" for k, v in target.extra.items()),
    }
    command = [
        "wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script), target.url,
    ]  # fmt: skip
    cpu_before = cpu_seconds(target.pid) if target.pid else None
    started = time.monotonic()
    wrk = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, _status, usage = os.wait4(wrk.pid, 0)
    wall = time.monotonic() - started
    wrk.returncode = os.waitstatus_to_exitcode(_status)
    out, err = wrk.stdout.read().decode(), wrk.stderr.read().decode()  # type: ignore[union-attr]
    cpu_after = cpu_seconds(target.pid) if target.pid else None
    found = re.search(r"^WRKJSON (.*)$", out, re.MULTILINE)
    if found is None:
        raise SystemExit(f"wrk failed ({wrk.returncode}): {out}{err}")
    figures = json.loads(found.group(1))
    requests = figures["answers"] or 1
    server_cpu = None
    if cpu_before is not None and cpu_after is not None:
        server_cpu = (cpu_after - cpu_before) * 1000 / requests
    return Level(
        requests_per_s=figures["answers"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=sum(figures[k] for k in ("non2xx", "tool_errors", "sock_errors", "timeouts")),
        rss_mb=rss_mb(target.pid) if target.pid else None,
        server_cpu_ms=server_cpu,
        wrk_cpu=(usage.ru_utime + usage.ru_stime) / wall,
    )


def summarise(runs: list[Level]) -> Level:
    rss = [r.rss_mb for r in runs if r.rss_mb is not None]
    cpu = [r.server_cpu_ms for r in runs if r.server_cpu_ms is not None]
    return Level(
        requests_per_s=statistics.median(r.requests_per_s for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
        rss_mb=max(rss) if rss else None,
        server_cpu_ms=statistics.median(cpu) if cpu else None,
        wrk_cpu=max(r.wrk_cpu for r in runs),
    )


def show(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def report(targets: list[Target], results: dict[tuple[str, int], Level], levels: list[int]) -> None:
    columns = "req/s  p50 ms  p99 ms  errors  CPU ms/req  RSS MB"
    print()
    print(f"{'':>4}  " + "  |  ".join(f"{t.name:^{len(columns)}}" for t in targets))
    print(f"{'c':>4}  " + "  |  ".join(columns for _ in targets))
    for c in levels:
        cells = []
        for t in targets:
            r = results[(t.name, c)]
            cells.append(
                f"{r.requests_per_s:5.0f}  {r.p50_ms:6.2f}  {r.p99_ms:6.2f}  {r.errors:6d}  "
                f"{show(r.server_cpu_ms, '10.2f')}  {show(r.rss_mb, '6.0f')}"
            )
        print(f"{c:>4}  " + "  |  ".join(cells))
    busiest = max(r.wrk_cpu for r in results.values())
    print(f"wrk used at most {busiest:.0%} of a core in any level")
    ours = targets[0]
    errors = sum(results[(ours.name, c)].errors for c in levels)
    rss = max((results[(ours.name, c)].rss_mb or 0) for c in levels)
    print()
    print("Targets (issue 5):")
    if len(targets) > 1:
        ref = targets[1]
        if 8 in levels:
            ratio = results[(ours.name, 8)].requests_per_s / results[(ref.name, 8)].requests_per_s
            met = _met(ratio >= 3)
            print(f"  throughput at c=8: {ratio:.1f}x {ref.name}'s (target >= 3x): {met}")
        if 1 in levels:
            ratio = results[(ours.name, 1)].p50_ms / results[(ref.name, 1)].p50_ms
            met = _met(ratio <= 0.4)
            print(f"  p50 at c=1: {ratio:.2f}x {ref.name}'s (target <= 0.4x): {met}")
    print(f"  errors: {errors} (target 0): {_met(errors == 0)}")
    print(f"  server RSS: {rss:.0f} MB at most (target < 200 MB): {_met(rss < 200)}")


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> dict[tuple[str, int], Level]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300, help="articles to create (300)")
    parser.add_argument("--concurrency", default="1,8,32", help="connections per level (1,8,32)")
    parser.add_argument("--seconds", type=int, default=5, help="per level and round (5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are shown (3)")
    parser.add_argument("--database-url", help="PostgreSQL database to drop, create and use")
    parser.add_argument(
        "--server-loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="auto: uvloop + httptools when installed, else asyncio + h11",
    )
    parser.add_argument("--compare", help="a second /mcp URL, e.g. http://127.0.0.1:8055/mcp")
    parser.add_argument("--compare-token", help="the static token for --compare")
    parser.add_argument("--compare-name", default="directus")
    options = parser.parse_args(argv)
    levels = [int(c) for c in options.concurrency.split(",")]
    loop = options.server_loop
    if loop == "auto":
        loop = "uvloop" if fast_loop_available() else "asyncio"
    if options.compare and not options.compare_token:
        parser.error("--compare needs --compare-token")

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mcp_load_")))
        if options.database_url:
            stack.enter_context(fresh_postgres(options.database_url))
        prepare_database(folder, options.rows, options.database_url).dispose()
        url, pid = stack.enter_context(tessera_server(folder, options.database_url, loop))
        backend = "PostgreSQL" if options.database_url else "SQLite"
        http = "httptools" if loop == "uvloop" else "h11"
        targets = [Target(f"tessera ({backend}, {loop}+{http})", url, TOKEN, pid)]
        if options.compare:
            compare_pid = listening_pid(options.compare)
            targets.append(
                Target(options.compare_name, options.compare, options.compare_token, compare_pid)
            )
        for t in targets:
            t.extra, t.setup = handshake(t.url, t.token)
            status, headers, body = post(
                t.url, request_headers(t.token, t.extra), tools_call_body()
            )
            t.rows = len(read_answer(status, headers.get("content-type", ""), body))
            print(f"{t.name}: {t.url} (pid {t.pid or '?'}): {t.setup}; "
                  f"{t.rows} rows, {len(body)} bytes per answer")  # fmt: skip
            run_wrk(t, folder, 8, WARMUP_SECONDS)
        print(
            f"tools/call items read limit 10, wire {PROTOCOL_VERSION}; wrk -t1, "
            f"{options.seconds} s per level, {options.rounds} round(s), levels {levels}"
        )
        runs: dict[tuple[str, int], list[Level]] = {}
        for n in range(options.rounds):
            for c in levels:
                for t in targets:
                    level = run_wrk(t, folder, c, options.seconds)
                    runs.setdefault((t.name, c), []).append(level)
                    print(
                        f"  round {n + 1} c={c:<3} {t.name:<12.12}"
                        f" {level.requests_per_s:7.0f} req/s"
                        f"  p50 {level.p50_ms:6.2f} ms  p99 {level.p99_ms:6.2f} ms"
                        f"  errors {level.errors}",
                        flush=True,
                    )
        results = {key: summarise(value) for key, value in runs.items()}
        report(targets, results, levels)
        return results


if __name__ == "__main__":
    main()
