"""Talking to the client while a call runs: progress and log notifications on the SSE
response stream, questions (sampling, elicitation) asked over it on 2025-11-25 and through
``input_required`` results on 2026-07-28, and the signed ``requestState``.

Tessera's own tools never stream, so these run against the conformance fixture profile
(``MCP_TEST_FIXTURES``) — the same transport and exchange code. A question on the legacy
wire needs a real socket (the client answers while the response is still streaming), so
the app is served by uvicorn on loopback, and the SDK's own client talks to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import httpx2
import pytest
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CreateMessageResult, ElicitResult, TextContent

from asgi_client import serving
from live_app import serving_live
from mcp import Client, MCPError
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.mcp.exchange import ExchangeError
from tessera.mcp.streaming import PendingQuestions

pytestmark = pytest.mark.anyio
ADMIN = "mcp-admin-token"
READER = "mcp-reader-token"


@pytest.fixture
def fixture_settings(mcp_settings: Settings) -> Settings:
    return mcp_settings.model_copy(update={"mcp_test_fixtures": True})


@pytest.fixture
def live_url(mcp_db: Database, fixture_settings: Settings) -> Iterator[str]:
    """The fixture profile served by uvicorn on a free loopback port; its /mcp URL."""
    with serving_live(lambda _base: create_app(fixture_settings, mcp_db)) as base:
        yield f"{base}/mcp"


@contextlib.asynccontextmanager
async def client(
    url: str, mode: str, token: str = ADMIN, **callbacks: Any
) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, **callbacks) as c,
    ):
        yield c


def text(result: Any) -> str:
    return "".join(part.text for part in result.content if isinstance(part, TextContent))


async def test_progress_arrives_while_the_tool_runs(live_url, mode):
    seen: list[tuple[float, float | None]] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        seen.append((value, total))

    async with client(live_url, mode) as c:
        result = await c.call_tool("test_tool_with_progress", {}, progress_callback=progress)
    assert not result.is_error
    assert seen == [(0, 100), (50, 100), (100, 100)]


async def test_logs_arrive_as_the_revision_asks(live_url, mode):
    received: list[Any] = []

    async def log(params: Any) -> None:
        received.append((params.level, params.data))

    async with client(live_url, mode, logging_callback=log) as c:
        await c.call_tool("test_tool_with_logging", {})
    # 2026-07-28 sends logs only to a request that names a level in its _meta.
    expected = [
        ("info", "Tool execution started"),
        ("info", "Tool processing data"),
        ("info", "Tool execution completed"),
    ]
    assert received == (expected if mode == "legacy" else [])
    if mode != "legacy":
        received.clear()
        async with client(live_url, mode, logging_callback=log, log_level="warning") as c:
            await c.call_tool("test_tool_with_logging", {})
        assert received == []  # below the threshold
        async with client(live_url, mode, logging_callback=log, log_level="debug") as c:
            await c.call_tool("test_tool_with_logging", {})
        assert received == expected


async def test_a_tool_asks_the_clients_model(live_url, mode):
    asked: list[str] = []

    async def sample(context: Any, params: Any) -> CreateMessageResult:
        asked.append(params.messages[0].content.text)
        return CreateMessageResult(
            role="assistant",
            content=TextContent(type="text", text="Paris"),
            model="test-model",
            stop_reason="endTurn",
        )

    async with client(live_url, mode, sampling_callback=sample) as c:
        legacy = await c.call_tool("test_sampling", {"prompt": "Capital of France?"})
        if mode != "legacy":
            modern = await c.call_tool("test_input_required_result_sampling", {})
            assert text(modern) == "Sampling result: Paris"
    assert text(legacy) == "LLM response: Paris"
    assert asked[0] == "Capital of France?"


async def test_a_tool_asks_the_user(live_url, mode):
    async def elicit(context: Any, params: Any) -> ElicitResult:
        assert params.requested_schema["required"] == ["response"]
        return ElicitResult(action="accept", content={"response": "yes"})

    async with client(live_url, mode, elicitation_callback=elicit) as c:
        result = await c.call_tool("test_elicitation", {"message": "Go on?"})
    assert text(result) == 'User response: {"action":"accept","content":{"response":"yes"}}'


async def test_several_rounds_of_questions_with_state(live_url):
    answers = iter([{"name": "Ada"}, {"color": "green"}])

    async def elicit(context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content=next(answers))

    async with client(live_url, "2026-07-28", elicitation_callback=elicit) as c:
        result = await c.call_tool("test_input_required_result_multi_round", {})
    assert text(result) == "Multi-round complete for Ada who likes green"


async def test_a_question_the_client_cannot_answer_is_refused_up_front(live_url):
    async with client(live_url, "2026-07-28") as c:  # no sampling callback: no capability
        with pytest.raises(MCPError) as raised:
            await c.call_tool("test_missing_capability", {})
    assert raised.value.error.code == -32021
    assert raised.value.error.data == {"requiredCapabilities": {"sampling": {}}}


# --- the wire, without the SDK's help -----------------------------------------------------


def modern_call(name: str, **params: Any) -> tuple[dict[str, Any], dict[str, str]]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": {}, "_meta": meta, **params},
    }
    sent = {
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": name,
        "Accept": "application/json, text/event-stream",
    }
    return body, sent


async def test_request_state_is_signed_and_bound_to_the_caller(live_url):
    name = "test_input_required_result_tampered_state"
    answer = {"confirm": {"action": "accept", "content": {"ok": True}}}
    async with httpx.AsyncClient() as http:

        async def call(token: str, **params: Any) -> dict[str, Any]:
            body, sent = modern_call(name, **params)
            sent["Authorization"] = f"Bearer {token}"
            return (await http.post(live_url, json=body, headers=sent)).json()

        first = (await call(ADMIN))["result"]
        state = first["requestState"]
        assert first["resultType"] == "input_required"
        assert list(first["inputRequests"]) == ["confirm"]
        done = await call(ADMIN, inputResponses=answer, requestState=state)
        tampered = await call(ADMIN, inputResponses=answer, requestState=state + "x")
        replayed = await call(READER, inputResponses=answer, requestState=state)
    assert done["result"]["content"][0]["text"] == "integrity-ok: state verified"
    assert tampered["error"]["code"] == -32602
    assert tampered["error"]["message"] == "requestState integrity check failed"
    assert replayed["error"]["code"] == -32602
    assert replayed["error"]["message"] == "requestState belongs to another request"


async def test_missing_answers_are_asked_again(live_url):
    wrong = {"wrong_key": {"action": "accept", "content": {}}}
    body, sent = modern_call("test_input_required_result_elicitation", inputResponses=wrong)
    sent["Authorization"] = f"Bearer {ADMIN}"
    async with httpx.AsyncClient() as http:
        answer = (await http.post(live_url, json=body, headers=sent)).json()
    assert answer["result"]["resultType"] == "input_required"
    assert list(answer["result"]["inputRequests"]) == ["user_name"]


@pytest.mark.parametrize(
    ("accept", "streamed"),
    [("application/json", False), ("application/json, text/event-stream", True)],
)
async def test_a_streaming_tool_answers_as_the_client_accepts(live_url, accept, streamed):
    body = {
        "jsonrpc": "2.0",
        "id": 8,
        "method": "tools/call",
        "params": {"name": "test_tool_with_progress", "_meta": {"progressToken": "p"}},
    }
    sent = {"Authorization": f"Bearer {ADMIN}", "Accept": accept}
    async with httpx.AsyncClient() as http:
        answer = await http.post(live_url, json=body, headers=sent)
    if not streamed:  # the progress is dropped, the answer is the same
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["result"]["content"][0]["text"] == "p"
        return
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [
        line.removeprefix("data: ") for line in answer.text.splitlines() if line[:5] == "data:"
    ]
    assert len(events) == 4  # three notifications, then the response
    assert '"method":"notifications/progress"' in events[0]
    assert events[-1].startswith('{"jsonrpc":"2.0","id":8,"result"')


async def test_tessera_tools_keep_the_json_path(http):
    body = {
        "jsonrpc": "2.0",
        "id": 9,
        "method": "tools/call",
        "params": {"name": "items", "arguments": {"action": "read", "collection": "authors"}},
    }
    sent = {"Authorization": f"Bearer {ADMIN}", "Accept": "application/json, text/event-stream"}
    answer = await http.post("/mcp", json=body, headers=sent)
    assert answer.headers["content-type"] == "application/json"


async def test_without_the_flag_there_are_no_fixtures(connect):
    async with connect() as c:
        tools = {tool.name for tool in (await c.list_tools()).tools}
        resources = {str(r.uri) for r in (await c.list_resources()).resources}
    assert not any(name.startswith("test_") for name in tools)
    assert resources == {"tessera://schema"}


# --- questions in one process --------------------------------------------------------------


def test_an_answer_from_another_caller_is_not_taken() -> None:
    pending = PendingQuestions()
    question_id, future = pending.open("user-a")
    answer = {"jsonrpc": "2.0", "id": question_id, "result": {}}
    assert not pending.answer("user-b", answer)
    assert not future.done()
    assert pending.answer("user-a", answer)
    assert future.result(0) == answer


def test_an_unanswered_question_times_out() -> None:
    pending = PendingQuestions()
    sent: list[dict[str, Any]] = []
    ask = pending.asker("user-a", sent.append, timeout=0.01)
    with pytest.raises(ExchangeError) as raised:
        ask("elicitation/create", {"message": "?"})
    assert raised.value.code == -32001
    assert sent[0]["method"] == "elicitation/create"
    assert not pending.answer("user-a", {"id": sent[0]["id"], "result": {}})  # closed


def test_a_refusal_from_the_client_is_an_error() -> None:
    pending = PendingQuestions()

    def emit(message: dict[str, Any]) -> None:
        refusal = {"code": -1, "message": "User rejected sampling request"}
        threading.Timer(0, pending.answer, ("u", {"id": message["id"], "error": refusal})).start()

    with pytest.raises(ExchangeError) as raised:
        pending.asker("u", emit, timeout=5)("sampling/createMessage", {})
    assert raised.value.message == "sampling/createMessage: User rejected sampling request"


async def test_mcp_work_takes_turns_as_mcp_worker_threads_says(mcp_db, fixture_settings):
    """Three calls of a tool that sleeps 0.1 s, answered as JSON (so not streamed): with one
    worker they run one after the other, so together they take at least 0.3 s."""
    settings = fixture_settings.model_copy(update={"mcp_worker_threads": 1})
    app = create_app(settings, mcp_db)
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "test_tool_with_logging", "arguments": {}},
    }
    sent = {"Authorization": f"Bearer {ADMIN}", "Accept": "application/json"}
    async with serving(app) as http:
        started = time.monotonic()
        answers = await asyncio.gather(
            *(http.post("http://127.0.0.1:8055/mcp", json=body, headers=sent) for _ in range(3))
        )
        took = time.monotonic() - started
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert app.state.mcp_workers.total_tokens == 1
    assert took >= 0.3


async def test_mcp_worker_threads_default_to_one_on_sqlite_and_two_on_postgresql(
    mcp_db, fixture_settings
):
    app = create_app(fixture_settings, mcp_db)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    sent = {"Authorization": f"Bearer {ADMIN}", "Accept": "application/json"}
    async with serving(app) as http:
        listed = await http.post("http://127.0.0.1:8055/mcp", json=body, headers=sent)
    assert listed.status_code == 200
    assert app.state.mcp_workers.total_tokens == (1 if mcp_db.is_sqlite else 2)
