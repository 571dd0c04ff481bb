"""A request's line back to the client: notifications, questions, and what the client said.

A tool or prompt sees the client through :class:`Exchange`, the same way at every
protocol revision, and the revision decides how each call travels:

- **Notifications** (``notifications/progress``, ``notifications/message``) go out on the
  request's own SSE response stream. Without a stream (the client accepts only JSON, or
  the tool does not stream) they are dropped, as the spec allows.
- **Questions** (``sampling/createMessage``, ``elicitation/create``, ``roots/list``): on
  2025-11-25 and earlier each is a server-to-client request on that stream, whose answer
  the client POSTs back; on 2026-07-28 the request ends with an ``input_required``
  result naming all of them, and the client retries it with ``inputResponses`` and the
  ``requestState`` the server signed (:mod:`tessera.mcp.request_state`).
- **Capabilities**: on 2026-07-28 the client declares its capabilities in every request's
  ``_meta``; a question it cannot answer is refused up front with -32021. Earlier
  revisions declare them once at ``initialize``, which a stateless server does not keep,
  so there the question is simply asked.

Log level: 2026-07-28 sends log messages only when the request's ``_meta`` names a level,
and only at that level or above. Earlier revisions set it with ``logging/setLevel``,
which a stateless server cannot remember between requests: messages at ``info`` and
above are sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcp_types import (
    CLIENT_CAPABILITIES_META_KEY,
    INVALID_REQUEST,
    LOG_LEVEL_META_KEY,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
)

from tessera.mcp.rpc_error import RpcError

#: RFC 5424 severities, as MCP's ``LoggingLevel`` orders them.
LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
#: The threshold when the client could not say (2025-11-25 and earlier, statelessly).
DEFAULT_LOG_LEVEL = "info"
#: Which client capability each question needs.
CAPABILITY_OF = {
    "sampling/createMessage": "sampling",
    "elicitation/create": "elicitation",
    "roots/list": "roots",
}

#: Sends one JSON-RPC message on the response stream.
Emit = Callable[[dict[str, Any]], None]
#: Asks the client one question on the response stream and waits for its answer.
Ask = Callable[[str, Mapping[str, Any]], dict[str, Any]]


class ExchangeError(RpcError):
    """A question that cannot be put to this client, or that it answered with an error."""


class MissingCapability(ExchangeError):
    """The 2026-07-28 client did not declare a capability the request needs (-32021)."""

    def __init__(self, capability: str) -> None:
        super().__init__(
            MISSING_REQUIRED_CLIENT_CAPABILITY,
            f"The client did not declare the {capability} capability this request needs",
            {"requiredCapabilities": {capability: {}}},
        )


@dataclass
class InputRequired(Exception):
    """Ends a 2026-07-28 request with an ``input_required`` result: these questions, keyed,
    and the state to resume from (signed by the transport, handed back on the retry)."""

    requests: dict[str, dict[str, Any]]
    state: dict[str, Any] | None = None


@dataclass
class Exchange:
    """What one request may say to, ask of, and has heard from its client."""

    modern: bool = False
    #: The client's declared capabilities (2026-07-28), or None when not known.
    capabilities: Mapping[str, Any] | None = None
    log_level: str | None = DEFAULT_LOG_LEVEL
    progress_token: str | int | None = None
    #: 2026-07-28 retries: the answers to the questions of the last ``input_required``.
    responses: Mapping[str, Any] = field(default_factory=dict)
    #: 2026-07-28 retries: the verified state of the last ``input_required``, if any.
    state: Mapping[str, Any] | None = None
    emit: Emit | None = None
    ask_client: Ask | None = None

    @classmethod
    def for_request(cls, params: Mapping[str, Any] | None, *, modern: bool) -> Exchange:
        """The exchange of a request whose ``params`` (and their ``_meta``) are given."""
        meta = (params or {}).get("_meta") or {}
        exchange = cls(modern=modern, progress_token=meta.get("progressToken"))
        if modern:
            exchange.capabilities = meta.get(CLIENT_CAPABILITIES_META_KEY) or {}
            exchange.log_level = meta.get(LOG_LEVEL_META_KEY)
        return exchange

    @property
    def streaming(self) -> bool:
        return self.emit is not None

    def can(self, capability: str) -> bool:
        """Whether the client declared ``capability`` (True when it could not say)."""
        return self.capabilities is None or capability in self.capabilities

    def require(self, capability: str) -> None:
        """Refuse the request (-32021) when the client declared it cannot do ``capability``."""
        if not self.can(capability):
            raise MissingCapability(capability)

    def progress(self, progress: float, total: float | None = None, message: str = "") -> None:
        """``notifications/progress`` for the request's ``progressToken`` (none: nothing)."""
        if self.progress_token is None or self.emit is None:
            return
        params: dict[str, Any] = {"progressToken": self.progress_token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message:
            params["message"] = message
        self.emit({"jsonrpc": "2.0", "method": "notifications/progress", "params": params})

    def log(self, level: str, data: Any, logger: str = "tessera") -> None:
        """``notifications/message`` when ``level`` is at or above the client's threshold."""
        if self.emit is None or self.log_level not in LOG_LEVELS:
            return
        if LOG_LEVELS.index(level) < LOG_LEVELS.index(self.log_level):
            return
        params = {"level": level, "logger": logger, "data": data}
        self.emit({"jsonrpc": "2.0", "method": "notifications/message", "params": params})

    def ask(
        self, questions: Mapping[str, tuple[str, Mapping[str, Any]]], state: Any = None
    ) -> dict[str, Any]:
        """The client's answers to ``questions`` (key → ``(method, params)``), by key.

        On 2026-07-28 the answers come from the retry's ``inputResponses``; when any is
        missing this raises :class:`InputRequired` with all of them and ``state``. On
        earlier revisions each is asked on the response stream, in order.
        """
        for method, _ in questions.values():
            self.require(CAPABILITY_OF[method])
        if self.modern:
            if all(key in self.responses for key in questions):
                return {key: self.responses[key] for key in questions}
            asked = {key: {"method": m, "params": dict(p)} for key, (m, p) in questions.items()}
            raise InputRequired(asked, state)
        if self.ask_client is None:
            raise ExchangeError(
                INVALID_REQUEST,
                "This request cannot ask the client anything: it must accept "
                "text/event-stream responses",
            )
        return {key: self.ask_client(method, params) for key, (method, params) in questions.items()}
