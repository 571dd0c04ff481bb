"""What the MCP transport costs per call: Tessera's own ``/mcp`` layer against the SDK's.

    .venv/bin/python bench/mcp_transport.py                 # 3 rounds of 2,000 calls each
    .venv/bin/python bench/mcp_transport.py --calls 500 --rounds 1

Both variants serve the same app state, the same tool registry and the same SQLite
database (``posts``: ten rows of five plain fields, shaped like the reference Directus's
``articles``), and both authenticate the caller and read the MCP settings before the tool
runs:

- ``tessera``: :mod:`tessera.mcp.transport` (one thread hop per request).
- ``sdk``: the official SDK's ``StreamableHTTPSessionManager(stateless=True,
  json_response=True)`` over a low-level ``Server`` whose ``tools/call`` runs the same
  registry; authentication and settings happen in an ASGI wrapper in front of it.

Each call is ``tools/call items read`` with ``limit 10`` as the admin, on the 2025-11-25
wire (``initialize`` era) and on the 2026-07-28 wire (``_meta`` envelope, ``Mcp-Method``
and ``Mcp-Name`` headers). The ASGI app is called in-process, with no HTTP server, so the
figures are the server's own work per call: the process's CPU time per call (every
thread; the steadiest figure on a shared machine), and the median and 99th percentile of
the wall-clock time, in microseconds. Rounds interleave the variants; ``gc.freeze()`` runs
after start-up, as ``tessera serve`` would. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import mcp_types as types
import sqlalchemy as sa
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tessera.app import create_app
from tessera.config import load_settings
from tessera.db import Database
from tessera.db.migrations import migrate
from tessera.db.system_tables import directus_settings
from tessera.mcp.context import ToolContext, read_mcp_settings
from tessera.mcp.tools import REGISTRY
from tessera.rest.caller import client_of, request_token
from tessera.schema.overview import SchemaCache
from tessera.services.bootstrap import bootstrap
from tessera.services.collections import CollectionsService
from tessera.services.items import ItemsService
from tessera.services.schema_change import SchemaContext

ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
TOKEN = "bench-admin-token"
ARGUMENTS = {"action": "read", "collection": "posts", "query": {"limit": 10}}
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def build_state(folder: Path) -> Any:
    settings = load_settings(
        env_file=None,
        secret="bench-secret-" + "x" * 32,
        db_filename=str(folder / "bench.db"),
        admin_token=TOKEN,
        public_url="http://127.0.0.1:8055",
    )
    db = Database(settings.database_url)
    migrate(db)
    bootstrap(db, settings)
    fields = [
        {"field": "status", "type": "string"},
        {"field": "title", "type": "string"},
        {"field": "body", "type": "text"},
        {"field": "rating", "type": "integer"},
        {"field": "published_on", "type": "date"},
    ]
    schema = SchemaCache(db)
    CollectionsService(SchemaContext(db, schema)).create(
        {"collection": "posts", "schema": {}, "fields": fields}
    )
    rows = [
        {
            "status": "published",
            "title": f"Post number {n}",
            "body": "Some words about this post, long enough to look like an excerpt. " * 2,
            "rating": n % 5 + 1,
            "published_on": f"2026-01-{n + 1:02d}",
        }
        for n in range(10)
    ]
    ItemsService(db, schema, settings).create_many("posts", rows)
    with db.write() as conn:
        conn.execute(sa.update(directus_settings).values(mcp_enabled=True))
    return create_app(settings, db)


def sdk_app(host: Any) -> tuple[ASGI, StreamableHTTPSessionManager]:
    """The SDK's stateless JSON transport, with the same gate and registry in front."""
    state = host.state

    def context_of(ctx: Any) -> ToolContext:
        return ctx.request.scope["state"]["tool_context"]

    async def list_tools(ctx: Any, _params: Any) -> types.ListToolsResult:
        tools = REGISTRY.list_tools(context_of(ctx))
        return types.ListToolsResult.model_validate({"tools": tools})

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        result = await run_in_threadpool(
            REGISTRY.call, context_of(ctx), params.name, params.arguments
        )
        return types.CallToolResult.model_validate(result)

    server = Server("tessera", version="bench", on_list_tools=list_tools, on_call_tool=call_tool)
    manager = StreamableHTTPSessionManager(server, stateless=True, json_response=True)

    def gate(request: Request) -> ToolContext | None:
        mcp = read_mcp_settings(state.db)
        who = state.auth.authenticate(request_token(request), client_of(request))
        return ToolContext.for_caller(state, who, mcp) if mcp.enabled else None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["app"] = host
        tool_context = await run_in_threadpool(gate, Request(scope, receive))
        if tool_context is None:
            await Response(status_code=403)(scope, receive, send)
            return
        scope.setdefault("state", {})["tool_context"] = tool_context
        await manager.handle_request(scope, receive, send)

    return app, manager


def request_for(era: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    params: dict[str, Any] = {"name": "items", "arguments": ARGUMENTS}
    headers = [
        (b"host", b"127.0.0.1:8055"),
        (b"authorization", f"Bearer {TOKEN}".encode()),
        (b"content-type", b"application/json"),
        (b"accept", b"application/json, text/event-stream"),
        (b"mcp-protocol-version", era.encode()),
    ]
    if era == "2026-07-28":
        params["_meta"] = MODERN_META
        headers += [(b"mcp-method", b"tools/call"), (b"mcp-name", b"items")]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
    return headers, body.encode()


async def call(app: ASGI, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8055),
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(app: ASGI, era: str, calls: int) -> tuple[list[float], float]:
    headers, body = request_for(era)
    status, answer = await call(app, headers, body)
    if status != 200 or b'"isError":true' in answer:
        raise SystemExit(f"unexpected answer ({status}): {answer[:300]!r}")
    for _ in range(100):
        await call(app, headers, body)
    times = []
    cpu_started = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        await call(app, headers, body)
        times.append(time.perf_counter() - started)
    return times, (time.process_time() - cpu_started) / calls


async def main(calls: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tessera_app = build_state(Path(folder))
        sdk, manager = sdk_app(tessera_app)
        variants: dict[str, ASGI] = {"tessera": tessera_app, "sdk": sdk}
        async with manager.run():
            gc.collect()
            gc.freeze()
            results: dict[tuple[str, str], list[tuple[list[float], float]]] = {}
            for _ in range(rounds):
                for era in ("2025-11-25", "2026-07-28"):
                    for name, app in variants.items():
                        results.setdefault((name, era), []).append(await measure(app, era, calls))
        print(f"{calls} calls x {rounds} rounds, tools/call items read limit 10, in-process")
        print(f"{'variant':10} {'wire':12} {'CPU µs':>8} {'p50 µs':>8} {'p99 µs':>8}")
        for (name, era), runs in sorted(results.items()):
            cpu = statistics.median(spent for _, spent in runs) * 1e6
            p50 = statistics.median(statistics.median(run) for run, _ in runs) * 1e6
            p99 = statistics.median(sorted(run)[int(len(run) * 0.99)] for run, _ in runs) * 1e6
            print(f"{name:10} {era:12} {cpu:8.0f} {p50:8.0f} {p99:8.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.calls, options.rounds))
