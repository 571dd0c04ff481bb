"""JSON-RPC methods: which ones this server answers, at which protocol revision, and how.

Both eras share one dispatcher. The SDK's per-revision surfaces
(:mod:`mcp_types.methods`) decide whether a method exists at the request's revision and
whether its params are well formed, and shape every result for that revision (a
2025-03-26 client is not sent fields it does not know). A 2026-07-28 result also carries
``resultType``, the cache hints the revision requires, and ``serverInfo`` in ``_meta``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    SERVER_INFO_META_KEY,
)
from mcp_types import methods as surfaces
from mcp_types.version import (
    HANDSHAKE_PROTOCOL_VERSIONS,
    LATEST_HANDSHAKE_VERSION,
    MODERN_PROTOCOL_VERSIONS,
)
from pydantic import ValidationError

from tessera import __version__
from tessera.mcp import prompts, request_state
from tessera.mcp.context import ToolContext
from tessera.mcp.exchange import InputRequired
from tessera.mcp.registry import Toolset
from tessera.mcp.resources import RESOURCES, Resources
from tessera.mcp.rpc_error import RpcError

SERVER_INFO = {"name": "tessera", "title": "Tessera", "version": __version__}
#: Capabilities every server has; resources and prompts depend on the surface and settings.
CAPABILITIES: dict[str, Any] = {"tools": {}, "logging": {}, "completions": {}}
#: Methods whose request may end ``input_required`` and be retried with answers (2026-07-28).
RESUMABLE = frozenset({"tools/call", "prompts/get", "resources/read"})


@dataclass(frozen=True)
class Surface:
    """What one server offers: tools, resources, and prompts beyond the prompts collection."""

    tools: Toolset
    resources: Resources = RESOURCES
    prompts: Sequence[prompts.FixedPrompt] = ()

    def capabilities(self, ctx: ToolContext) -> dict[str, Any]:
        offered = {**CAPABILITIES, **self.resources.capability(ctx.exchange.modern)}
        if self.prompts or ctx.mcp.prompts_collection:
            offered["prompts"] = {}
        return offered


def dispatch(
    surface: Surface,
    ctx: ToolContext,
    method: str,
    params: Mapping[str, Any] | None,
    version: str,
) -> dict[str, Any]:
    """The result of one request at protocol ``version``, shaped for that revision."""
    try:
        surfaces.validate_client_request(method, version, params)
    except KeyError:
        raise RpcError(METHOD_NOT_FOUND, "Method not found", method) from None
    except ValidationError as exc:
        raise RpcError(INVALID_PARAMS, "Invalid params", _first_problem(exc)) from None
    given = params or {}
    try:
        if method in RESUMABLE and ctx.exchange.modern:
            _resume(ctx, method, given)
        result = _result(surface, ctx, method, given)
    except InputRequired as needed:
        result = {"resultType": "input_required", "inputRequests": needed.requests}
        if needed.state is not None:
            binding = _binding(ctx, method, given)
            result["requestState"] = request_state.sign(_secret(ctx), binding, needed.state)
    return shape(method, version, result)


def _result(
    surface: Surface, ctx: ToolContext, method: str, given: Mapping[str, Any]
) -> dict[str, Any]:
    if method == "tools/call":
        return surface.tools.call(ctx, given["name"], given.get("arguments"))
    if method == "tools/list":
        return {"tools": surface.tools.list_tools(ctx), **_uncached()}
    if method == "initialize":
        requested = given.get("protocolVersion")
        negotiated = (
            requested if requested in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
        )
        return {
            "protocolVersion": negotiated,
            "capabilities": surface.capabilities(ctx),
            "serverInfo": SERVER_INFO,
        }
    if method == "server/discover":
        return {
            "supportedVersions": list(MODERN_PROTOCOL_VERSIONS),
            "capabilities": surface.capabilities(ctx),
            **_uncached(),
        }
    if method == "prompts/list":
        return {"prompts": prompts.list_prompts(ctx, surface.prompts), **_uncached()}
    if method == "prompts/get":
        return prompts.get_prompt(ctx, given["name"], given.get("arguments"), surface.prompts)
    if method == "resources/list":
        return {"resources": surface.resources.listed(ctx), **_uncached()}
    if method == "resources/templates/list":
        return {"resourceTemplates": surface.resources.listed_templates(ctx), **_uncached()}
    if method == "resources/read":
        return {"contents": surface.resources.read(ctx, given["uri"]), **_uncached()}
    if method in ("resources/subscribe", "resources/unsubscribe"):
        if not surface.resources.subscribable:
            raise RpcError(METHOD_NOT_FOUND, "Method not found", method)
        surface.resources.check(given["uri"])
        return {}
    if method == "completion/complete":
        return {"completion": _complete(surface, ctx, given)}
    if method in ("ping", "logging/setLevel"):
        # A stateless server cannot keep a level between requests: see exchange.py.
        return {}
    raise RpcError(METHOD_NOT_FOUND, "Method not found", method)


def _complete(surface: Surface, ctx: ToolContext, given: Mapping[str, Any]) -> dict[str, Any]:
    """Values for a resource template's argument; a prompt's arguments are free text."""
    ref, argument = given["ref"], given["argument"]
    values: list[str] = []
    if ref.get("type") == "ref/resource":
        values = surface.resources.complete(ctx, ref["uri"], argument["name"], argument["value"])
    return {"values": values, "total": len(values), "hasMore": False}


def _resume(ctx: ToolContext, method: str, given: Mapping[str, Any]) -> None:
    """A 2026-07-28 retry: the answers it carries, and its state once the signature holds."""
    ctx.exchange.responses = given.get("inputResponses") or {}
    state = given.get("requestState")
    if state is not None:
        binding = _binding(ctx, method, given)
        ctx.exchange.state = request_state.verify(_secret(ctx), binding, state)


def _binding(ctx: ToolContext, method: str, given: Mapping[str, Any]) -> str:
    """What a ``requestState`` is bound to: this caller, this method, this tool or prompt."""
    target = given.get("name") or given.get("uri") or ""
    return f"{ctx.accountability.user or ''}|{method}|{target}"


def _secret(ctx: ToolContext) -> str:
    return ctx.settings.secret or ""


def shape(method: str, version: str, result: dict[str, Any]) -> dict[str, Any]:
    """``result`` as revision ``version`` defines it, with the modern envelope's fields."""
    modern = version in MODERN_PROTOCOL_VERSIONS
    if modern:
        result = {"resultType": "complete", **result}
    try:
        shaped = surfaces.serialize_server_result(method, version, result)
    except ValidationError as exc:
        raise RpcError(INTERNAL_ERROR, "The server built an invalid result") from exc
    if modern:
        shaped["_meta"] = {**shaped.get("_meta", {}), SERVER_INFO_META_KEY: SERVER_INFO}
    return shaped


def _uncached() -> dict[str, Any]:
    """The cache hints 2026-07-28 requires on lists: what a user sees depends on who they
    are and on settings an admin can change at any time, so nothing is cached."""
    return {"ttlMs": 0, "cacheScope": "private"}


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(step) for step in error["loc"])
    return f"{error['msg']} at {where}" if where else str(error["msg"])
