"""A request answered as an SSE stream: its notifications and questions, then its response.

Only a call that may talk to the client while it runs (a tool declared ``streams``) is
answered this way, and only when the client accepts ``text/event-stream``; every other
request keeps the one-JSON-body path, which costs nothing extra. The request still runs
on a worker thread: what it sends is handed to the event loop, which writes each message
as an SSE event, and the JSON-RPC response is the last event.

A question (2025-11-25 and earlier) goes out as a JSON-RPC request with an id of ours;
the client POSTs its answer to ``/mcp`` as a separate request, which
:meth:`PendingQuestions.answer` hands to the waiting call. The wait lives in this
process: behind a load balancer, the answer must reach the same instance (sticky
routing), which is why Tessera's own tools never ask — only the conformance fixture does.
2026-07-28 asks through ``input_required`` results instead, which need no such state.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from tessera.mcp.exchange import Ask, Emit, ExchangeError

#: How long a question waits for the client's answer (a person may be answering it).
ANSWER_TIMEOUT_SECONDS = 300.0
#: The JSON-RPC code of a question the client left unanswered.
REQUEST_TIMEOUT = -32001

#: Runs the request with its emitter and question-asker; returns the JSON-RPC response.
Run = Callable[[Emit, Ask], dict[str, Any]]


class PendingQuestions:
    """Questions sent to clients and not yet answered, by the id we gave them."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[str | None, Future[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def open(self, owner: str | None) -> tuple[str, Future[dict[str, Any]]]:
        question_id = f"tessera-{uuid.uuid4()}"
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            self._waiting[question_id] = (owner, future)
        return question_id, future

    def close(self, question_id: str) -> None:
        with self._lock:
            self._waiting.pop(question_id, None)

    def answer(self, owner: str | None, message: Mapping[str, Any]) -> bool:
        """Hand a client's JSON-RPC response to the question it answers; False when no
        question of this caller's has its id."""
        question_id = message.get("id")
        with self._lock:
            waiting = self._waiting.get(question_id) if isinstance(question_id, str) else None
        if waiting is None or waiting[0] != owner or waiting[1].done():
            return False
        waiting[1].set_result(dict(message))
        return True

    def asker(self, owner: str | None, emit: Emit, timeout: float) -> Ask:
        """What a call uses to ask the client one question and wait for the answer."""

        def ask(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
            question_id, future = self.open(owner)
            try:
                request = {"jsonrpc": "2.0", "id": question_id, "method": method}
                emit({**request, "params": dict(params)})
                answer = future.result(timeout)
            except FutureTimeout:
                raise ExchangeError(
                    REQUEST_TIMEOUT,
                    f"The client did not answer {method} within {timeout:g} seconds",
                ) from None
            finally:
                self.close(question_id)
            if "error" in answer:
                error = answer["error"] if isinstance(answer["error"], dict) else {}
                message = error.get("message") or "The client refused"
                raise ExchangeError(int(error.get("code", -32603)), f"{method}: {message}")
            result = answer.get("result")
            return result if isinstance(result, dict) else {}

        return ask


def stream(
    run: Run,
    pending: PendingQuestions,
    owner: str | None,
    timeout: float = ANSWER_TIMEOUT_SECONDS,
) -> StreamingResponse:
    """The SSE answer of a request that ``run`` carries out on a worker thread."""

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def emit(message: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, message)

        ask = pending.asker(owner, emit, timeout)
        task = asyncio.ensure_future(run_in_threadpool(run, emit, ask))
        # Scheduled after every emit the thread made, so the sentinel comes last.
        task.add_done_callback(lambda _: queue.put_nowait(None))
        while (message := await queue.get()) is not None:
            yield _event(message)
        yield _event(task.result())

    headers = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _event(message: dict[str, Any]) -> str:
    data = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    return f"event: message\ndata: {data}\n\n"
