"""bench/mcp_load.py's request and answer reading still match the server: in-process, no wrk.

The benchmark's database set-up, timed request (body and headers) and answer parser run
against the app in-process; nothing is timed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from asgi_client import serving
from tessera.app import create_app
from tessera.config import load_settings

BENCH = Path(__file__).resolve().parents[2] / "bench" / "mcp_load.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_mcp_load", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench()


@pytest.mark.anyio
async def test_the_timed_request_reads_ten_articles_as_the_admin(bench, tmp_path):
    bench.prepare_database(tmp_path, 30).dispose()
    env = bench.server_env(tmp_path, None)
    settings = load_settings(env_file=None, **{k.lower(): v for k, v in env.items()})
    app = create_app(settings)
    async with serving(app) as client:
        answer = await client.post(
            "http://127.0.0.1/mcp",
            content=bench.tools_call_body(),
            headers=bench.request_headers(bench.TOKEN),
        )
    rows = bench.read_answer(answer.status_code, answer.headers["content-type"], answer.content)
    assert len(rows) == 10
    assert set(rows[0]) == {"id", "status", "title", "body", "rating", "published_on"}
    # The Lua script's own error check must not fire on a good answer.
    assert b'"isError":true' not in answer.content
    assert b'"error":' not in answer.content


def test_the_lua_script_sends_the_same_headers(bench):
    for name in bench.request_headers("t"):
        assert f'wrk.headers["{name}"]' in bench.LUA


def test_an_event_stream_answer_is_read_too(bench):
    text = json.dumps({"raw": [{"id": 1}, {"id": 2}]})
    message = {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": text}]}}
    body = f"event: message\ndata: {json.dumps(message)}\n\n".encode()
    assert bench.read_answer(200, "text/event-stream", body) == [{"id": 1}, {"id": 2}]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, b"{}"),
        (200, b"not json"),
        (200, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"Bad"}}'),
        (200, b'{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[]}}'),
        (200, b'{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{}"}]}}'),
    ],
)
def test_anything_but_rows_is_a_bad_answer(bench, status, body):
    with pytest.raises(bench.BadAnswer):
        bench.read_answer(status, "application/json", body)
