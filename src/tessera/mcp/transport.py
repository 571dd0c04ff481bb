"""``/mcp``: the Streamable HTTP transport, stateless; JSON answers, SSE where a call talks back.

Why our own layer and not the SDK's ASGI app
--------------------------------------------
The official SDK (``mcp`` 2.3) can be mounted as it is: ``StreamableHTTPSessionManager(
stateless=True, json_response=True)`` over a low-level ``Server``. For a 2025-11-25
request it builds a transport, two task groups, memory streams and a dispatcher per POST;
measured in-process (``bench/mcp_transport.py``: the same gate, tool registry and SQLite
database behind both, ``tools/call items read limit 10`` as an admin, 3 interleaved
rounds of 1,500 calls on a shared 2-core VM; CPU is the process's, every thread, per call):

==========================  ==========================  ==========================
µs per call                 2025-11-25 wire             2026-07-28 wire
                            CPU / wall p50 / p99        CPU / wall p50 / p99
==========================  ==========================  ==========================
SDK session manager         2,422 / 2,361 / 6,610       2,478 / 2,395 / 6,292
this module                 1,645 / 1,595 / 5,945       1,717 / 1,612 / 3,408
==========================  ==========================  ==========================

A second run on a busier machine gave the same order (CPU 2,620 and 3,121 µs against
1,616 and 2,168). About 1.5 ms of each call was then Tessera's own work (authentication
~0.6 ms, the items read ~0.45 ms, the settings and schema-version reads), so the SDK's
transport cost about 0.8 ms per call more than this one: half as much again as all the
rest. Hence our own layer. Since then a request's reads share one transaction
(:meth:`~tessera.db.engine.Database.shared_reads`), the statements every request runs
are built once and plain reads keep their SELECT (:mod:`tessera.query.root_statements`):
about 1 ms of CPU per call over HTTP on SQLite, everything included, so the SDK's
transport would now nearly double it.

This module keeps the SDK where it carries knowledge — the pydantic surfaces of every
revision (:mod:`mcp_types.methods`: which methods exist at which revision, params
validation, result shaping) and the 2026-07-28 request ladder
(:func:`mcp.shared.inbound.classify_inbound_request`: ``_meta`` envelope,
``MCP-Protocol-Version``/``Mcp-Method``/``Mcp-Name`` header checks, unsupported versions)
— and owns the HTTP exchange: one thread hop per request for authentication, settings
and the tool, no per-request tasks or streams. Only a call to a tool that talks to the
client while it runs (:mod:`.exchange`), from a client that accepts SSE, is answered as a
stream (:mod:`.streaming`). It also answers where the SDK and Directus answer wrongly or
not at all: a batch or a malformed body is a JSON-RPC error with a 400, never a 500; every
notification (and a client's response, handed to the question it answers) is 202; GET and
DELETE are 405 with ``Allow: POST`` (no standalone server-to-client stream, no sessions).

Order of checks, as in Directus: ``MCP_ENABLED`` (404), then ``Host``/``Origin`` against
DNS rebinding (421/403: PUBLIC_URL's host and loopback addresses are allowed), the
``mcp_enabled`` setting (403 "MCP must be enabled"), credentials (401 with the
``WWW-Authenticate`` challenge naming the protected-resource metadata), then the request.
An OAuth access token (:mod:`tessera.oauth`) counts only from the ``Authorization`` header
and for this resource (``PUBLIC_URL/mcp``); a grant of ``mcp:read`` calling a tool that
writes is 403 with an ``insufficient_scope`` challenge before anything runs, and each tool
call made with an OAuth token is an activity row on its client.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from mcp.shared.inbound import (
    ERROR_CODE_HTTP_STATUS,
    MCP_PROTOCOL_VERSION_HEADER,
    InboundLadderRejection,
    classify_inbound_request,
    find_duplicated_routing_header,
    unsupported_protocol_version_rejection,
)
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    HEADER_MISMATCH,
    INVALID_REQUEST,
    PARSE_ERROR,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.config import Settings
from tessera.errors import ForbiddenError, RouteNotFoundError, TesseraError
from tessera.mcp import conformance, streaming
from tessera.mcp.context import ToolContext, read_mcp_settings
from tessera.mcp.exchange import Ask, Emit, Exchange
from tessera.mcp.prompts import WithPromptTools
from tessera.mcp.protocol import RpcError, Surface, dispatch
from tessera.mcp.registry_mode import RegistryMode
from tessera.mcp.tools import REGISTRY
from tessera.rest.caller import client_of, request_token
from tessera.rest.errors import error_response
from tessera.services.oauth import audit as oauth_audit

#: The SDK's limit: a body above it is refused before it is parsed.
MAX_BODY_BYTES = 4 * 1024 * 1024
SCOPE = "mcp:access"
METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"
_LOOPBACK_NAMES = frozenset({"localhost"})
#: ``?tool_mode=registry``: the root tools ``search``, ``execute`` and ``schema``.
REGISTRY_MODE = RegistryMode(REGISTRY)
#: What the server offers, by whether registry mode is asked for.
SURFACES = {False: Surface(WithPromptTools(REGISTRY)), True: Surface(REGISTRY_MODE)}
#: The same with the conformance suite's fixtures added (``MCP_TEST_FIXTURES``, tests only).
FIXTURE_SURFACES = {mode: conformance.surface(inner) for mode, inner in SURFACES.items()}


async def endpoint(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.mcp_enabled:
        path = request.url.path
        raise RouteNotFoundError(f"Route {path} doesn't exist.", path=path)
    refused = _rebinding_refusal(request, settings)
    if refused is not None:
        return refused
    body = b""
    if request.method == "POST":
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _rpc_error(None, INVALID_REQUEST, "The request body is too large", 413)
    answer = await anyio.to_thread.run_sync(_serve, request, body, limiter=_workers(request))
    if isinstance(answer, Deferred):
        return streaming.stream(answer.run, _pending(request), answer.owner)
    return answer


def _workers(request: Request) -> anyio.CapacityLimiter:
    """How many /mcp requests do their work at once (``MCP_WORKER_THREADS``).

    The work is Python holding the GIL most of the time: more threads than that only make
    them take turns at a higher cost (measured with bench/mcp_load.py at concurrency 8 on
    SQLite: 40 threads 299 req/s at 3.9 ms of CPU per call, 2 threads 416 at 2.6, 1 thread
    546 at 1.85). With today's cheaper calls it depends on the cores the threads get. On
    a quiet 2-core machine, where the event loop and the workers run on different cores and
    hand the GIL across them, 1 thread does best at c=8 (841-885 req/s at 1.13-1.20 ms of
    CPU per call, against 717-742 at 1.47-1.52 for 2 threads); with the server pinned to
    one core (``taskset -c 1``) 2 threads gave 1,049-1,082 at 0.92-0.95; on the same
    machine loaded by other work 2 threads did better than 1 (928-1,010 against 745-881).
    A second thread also keeps one slow call (a download, a flow, a lock wait) from holding
    up every other. On PostgreSQL, whose driver waits on the network without the GIL, 1
    thread gave 272-315 req/s, 2 gave 431-484, 4 gave 459-505 and 8 gave 422-463 (loaded
    machine; the database's own processes share the same two cores). Hence the default when
    the setting is unset: 1 on SQLite, where the work is all Python and a second thread
    mostly costs GIL hand-offs, and 2 on PostgreSQL.
    Streamed calls, which may wait for a client's answer, are not counted.
    """
    state = request.app.state
    limiter = getattr(state, "mcp_workers", None)
    if limiter is None:
        threads = state.settings.mcp_worker_threads or (1 if state.db.is_sqlite else 2)
        limiter = state.mcp_workers = anyio.CapacityLimiter(threads)
    return limiter


@dataclass(frozen=True)
class Deferred:
    """A request to answer as an SSE stream: :func:`streaming.stream` runs it."""

    run: streaming.Run
    owner: str | None


def _serve(request: Request, body: bytes) -> Response | Deferred:
    """Everything that touches the database, in one trip off the event loop, its reads in
    one transaction (:meth:`~tessera.db.engine.Database.shared_reads`)."""
    with request.app.state.db.shared_reads():
        return _serve_shared(request, body)


def _serve_shared(request: Request, body: bytes) -> Response | Deferred:
    state = request.app.state
    mcp = read_mcp_settings(state.db)
    if not mcp.enabled:
        return error_response(ForbiddenError("MCP must be enabled"))
    token = request_token(request)
    try:
        who = state.auth.authenticate(
            token,
            client_of(request),
            resource=_public_base(request) + "/mcp",
            in_header=_from_header(request, token),
        )
    except TesseraError as exc:
        headers = _challenge(request, "invalid_token") if exc.status == 401 else None
        return error_response(exc, headers=headers)
    if who.user is None and who.role is None and not who.admin:
        return Response(status_code=401, headers=_challenge(request))
    if request.method != "POST":
        return Response(status_code=405, headers={"Allow": "POST"})
    if not _accepts_json(request.headers.get("accept")):
        return _rpc_error(None, INVALID_REQUEST, "The client must accept application/json", 406)
    content_type = request.headers.get("content-type", "application/json")
    if content_type.split(";")[0].strip().lower() != "application/json":
        return _rpc_error(None, INVALID_REQUEST, "The body must be application/json", 415)
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return _rpc_error(None, PARSE_ERROR, "Parse error: the body is not JSON", 400)
    if isinstance(message, list):
        return _rpc_error(None, INVALID_REQUEST, "Batches are not supported", 400)
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return _rpc_error(None, INVALID_REQUEST, "The body must be one JSON-RPC 2.0 message", 400)
    ctx = ToolContext.for_caller(state, who, mcp)
    # As in Directus, any other ``tool_mode`` is the default one.
    registry_mode = request.query_params.get("tool_mode") == "registry"
    surface = _surface(state.settings, registry_mode)
    if ctx.read_only and message.get("method") == "tools/call" and _writes(surface, message):
        return _insufficient_scope(request, message.get("id"))
    sse = _accepts_sse(request.headers.get("accept"))
    version = request.headers.get(MCP_PROTOCOL_VERSION_HEADER)
    if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
        return _modern(request, ctx, surface, message, sse)
    if "id" in message and "method" not in message:
        # A client's answer to a question one of this caller's calls is waiting on.
        _pending(request).answer(ctx.accountability.user, message)
    return _legacy(ctx, surface, message, version or DEFAULT_NEGOTIATED_VERSION, sse)


def _surface(settings: Settings, registry_mode: bool) -> Surface:
    if settings.mcp_test_fixtures:
        return FIXTURE_SURFACES[registry_mode]
    return SURFACES[registry_mode]


def _pending(request: Request) -> streaming.PendingQuestions:
    """The app's questions awaiting answers (one set per app, made on first use)."""
    state = request.app.state
    pending = getattr(state, "mcp_pending_questions", None)
    if pending is None:
        pending = state.mcp_pending_questions = streaming.PendingQuestions()
    return pending


def _legacy(
    ctx: ToolContext, surface: Surface, message: dict[str, Any], version: str, sse: bool
) -> Response | Deferred:
    """2025-11-25 and earlier: a request, or a notification or response (202)."""
    if "id" not in message or "method" not in message:
        if "method" in message or "result" in message or "error" in message:
            return Response(status_code=202)
        return _rpc_error(None, INVALID_REQUEST, "The body must be one JSON-RPC 2.0 message", 400)
    return _answer(ctx, surface, message, version, modern=False, sse=sse)


def _modern(
    request: Request, ctx: ToolContext, surface: Surface, message: dict[str, Any], sse: bool
) -> Response | Deferred:
    """2026-07-28: the envelope and routing headers are checked before anything runs."""
    if "id" not in message:
        if not isinstance(message.get("method"), str):
            return _rpc_error(None, INVALID_REQUEST, "A notification needs a method", 400)
        requested = request.headers.get(MCP_PROTOCOL_VERSION_HEADER, "")
        unsupported = unsupported_protocol_version_rejection(requested)
        return Response(status_code=202) if unsupported is None else _rejection(None, unsupported)
    request_id = message["id"]
    if not isinstance(message.get("method"), str) or not _valid_id(request_id):
        return _rpc_error(None, INVALID_REQUEST, "The body must be one JSON-RPC 2.0 request", 400)
    duplicated = find_duplicated_routing_header(request.headers.items())
    if duplicated is not None:
        rejection = InboundLadderRejection(HEADER_MISMATCH, f"{duplicated} appears more than once")
        return _rejection(request_id, rejection)
    verdict = classify_inbound_request(message, headers=dict(request.headers))
    if isinstance(verdict, InboundLadderRejection):
        return _rejection(request_id, verdict)
    return _answer(ctx, surface, message, verdict.protocol_version, modern=True, sse=sse)


def _answer(
    ctx: ToolContext,
    surface: Surface,
    message: dict[str, Any],
    version: str,
    *,
    modern: bool,
    sse: bool,
) -> Response | Deferred:
    request_id = message["id"]
    method, params = message["method"], message.get("params")
    if not isinstance(method, str) or not _valid_id(request_id):
        return _rpc_error(None, INVALID_REQUEST, "The body must be one JSON-RPC 2.0 request", 400)
    if params is not None and not isinstance(params, dict):
        return _rpc_error(request_id, INVALID_REQUEST, '"params" must be an object', 400)
    ctx = replace(ctx, exchange=Exchange.for_request(params, modern=modern))
    if sse and method == "tools/call" and surface.tools.streams(str((params or {}).get("name"))):

        def run(emit: Emit, ask: Ask) -> dict[str, Any]:
            ctx.exchange.emit, ctx.exchange.ask_client = emit, ask
            body, _ = _reply(ctx, surface, request_id, method, params, version, modern)
            return body

        return Deferred(run, ctx.accountability.user)
    body, status = _reply(ctx, surface, request_id, method, params, version, modern)
    return _json(body, status)


def _reply(
    ctx: ToolContext,
    surface: Surface,
    request_id: Any,
    method: str,
    params: dict[str, Any] | None,
    version: str,
    modern: bool,
) -> tuple[dict[str, Any], int]:
    """The JSON-RPC response to one request, and its HTTP status."""
    try:
        result = dispatch(surface, ctx, method, params, version)
        if method == "tools/call" and ctx.accountability.oauth_client is not None:
            oauth_audit.log_call(ctx.db, ctx.accountability)
    except RpcError as exc:
        status = ERROR_CODE_HTTP_STATUS.get(exc.code, 200) if modern else 200
        return {"jsonrpc": "2.0", "id": request_id, "error": exc.to_wire()}, status
    return {"jsonrpc": "2.0", "id": request_id, "result": result}, 200


def _from_header(request: Request, token: str | None) -> bool:
    """Whether ``token`` came in the Authorization header (OAuth tokens must)."""
    header = request.headers.get("authorization", "")
    return bool(token) and header.partition(" ")[2].strip() == token


def _writes(surface: Surface, message: dict[str, Any]) -> bool:
    """Whether a ``tools/call`` would change something: a tool that is not read-only, in
    any action but ``read``. Registry mode's ``execute`` is judged by the tool it runs."""
    params = message.get("params")
    if not isinstance(params, dict):
        return False
    name, arguments = params.get("name"), params.get("arguments") or {}
    if surface.tools is REGISTRY_MODE and name == "execute" and isinstance(arguments, dict):
        name, arguments = arguments.get("name"), arguments.get("input") or {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments = {}
    tool = REGISTRY.tools.get(str(name))
    if tool is None or not isinstance(arguments, dict):
        return False
    return tool.writes(arguments.get("action"))


def _insufficient_scope(request: Request, request_id: Any) -> Response:
    """403 with the step-up challenge: this call needs ``mcp:access``, the grant is read-only."""
    response = _rpc_error(
        request_id if _valid_id(request_id) else None,
        INVALID_REQUEST,
        "Insufficient scope: the grant is read-only (mcp:read)",
        403,
    )
    response.headers.update(_challenge(request, "insufficient_scope"))
    return response


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _rejection(request_id: Any, rejection: InboundLadderRejection) -> Response:
    error = RpcError(rejection.code, rejection.message, rejection.data)
    status = ERROR_CODE_HTTP_STATUS.get(rejection.code, 400)
    return _json({"jsonrpc": "2.0", "id": request_id, "error": error.to_wire()}, status)


def _rpc_error(request_id: Any, code: int, message: str, status: int) -> Response:
    error = {"code": code, "message": message}
    return _json({"jsonrpc": "2.0", "id": request_id, "error": error}, status)


def _json(content: dict[str, Any], status: int) -> Response:
    body = json.dumps(content, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json")


def _accepts_sse(accept: str | None) -> bool:
    return bool(accept) and "text/event-stream" in accept.lower()  # type: ignore[union-attr]


def _accepts_json(accept: str | None) -> bool:
    """No ``Accept`` is fine; otherwise it must allow JSON (SSE alone is not served)."""
    if not accept:
        return True
    kinds = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return bool(kinds & {"application/json", "application/*", "*/*"})


def _challenge(request: Request, error: str | None = None) -> dict[str, str]:
    """RFC 9728's pointer to the protected-resource metadata, as Directus sends it."""
    base = _public_base(request)
    value = f'Bearer resource_metadata="{base}{METADATA_PATH}", scope="{SCOPE}"'
    if error is not None:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value, "Access-Control-Expose-Headers": "WWW-Authenticate"}


def _public_base(request: Request) -> str:
    """PUBLIC_URL without its trailing slash, or this request's own origin when it is relative."""
    public = request.app.state.settings.public_url
    if public.startswith(("http://", "https://")):
        return str(public).rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def _rebinding_refusal(request: Request, settings: Settings) -> Response | None:
    """421 for a ``Host``, 403 for an ``Origin``, that is neither PUBLIC_URL's nor loopback.

    A page on another site that a DNS trick points at this server sends its own name in
    both; a browser always sends ``Origin`` on a cross-origin POST.
    """
    allowed = _allowed_hosts(settings)
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname
    if not _host_allowed(host, allowed):
        return _rpc_error(None, INVALID_REQUEST, "Invalid Host header", 421)
    origin = request.headers.get("origin")
    if origin is not None and not _host_allowed(urlsplit(origin).hostname, allowed):
        return _rpc_error(None, INVALID_REQUEST, "Invalid Origin header", 403)
    return None


def _allowed_hosts(settings: Settings) -> frozenset[str]:
    public = urlsplit(settings.public_url).hostname
    return _LOOPBACK_NAMES | ({public.lower()} if public else set())


def _host_allowed(host: str | None, allowed: frozenset[str]) -> bool:
    if not host:
        return False
    if host.lower() in allowed:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


routes = [Route("/mcp", endpoint, methods=["GET", "POST", "DELETE"])]
