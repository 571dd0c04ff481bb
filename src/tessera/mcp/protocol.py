"""JSON-RPC methods: which ones this server answers, at which protocol revision, and how.

Both eras share one dispatcher. The SDK's per-revision surfaces
(:mod:`mcp_types.methods`) decide whether a method exists at the request's revision and
whether its params are well formed, and shape every result for that revision (a
2025-03-26 client is not sent fields it does not know). A 2026-07-28 result also carries
``resultType``, the cache hints the revision requires, and ``serverInfo`` in ``_meta``.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from tessera.mcp import prompts
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Toolset

SERVER_INFO = {"name": "tessera", "title": "Tessera", "version": __version__}
CAPABILITIES: dict[str, Any] = {"tools": {}}


@dataclass
class RpcError(Exception):
    """A JSON-RPC error answer (not a tool failure: those are results)."""

    code: int
    message: str
    data: Any = None

    def to_wire(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def dispatch(
    registry: Toolset,
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
    result: dict[str, Any]
    if method == "initialize":
        requested = given.get("protocolVersion")
        negotiated = (
            requested if requested in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
        )
        result = {
            "protocolVersion": negotiated,
            "capabilities": {**CAPABILITIES, **prompts.capability(ctx)},
            "serverInfo": SERVER_INFO,
        }
    elif method == "server/discover":
        result = {
            "supportedVersions": list(MODERN_PROTOCOL_VERSIONS),
            "capabilities": {**CAPABILITIES, **prompts.capability(ctx)},
            **_uncached(),
        }
    elif method == "tools/list":
        result = {"tools": registry.list_tools(ctx) + prompts.list_tools(ctx), **_uncached()}
    elif method == "tools/call" and prompts.is_tool(ctx, given["name"]):
        result = prompts.call_tool(ctx, given["name"], given.get("arguments"))
    elif method == "tools/call":
        result = registry.call(ctx, given["name"], given.get("arguments"))
    elif method in ("prompts/list", "prompts/get"):
        result = _prompts(ctx, method, given)
    elif method == "ping":
        result = {}
    else:
        raise RpcError(METHOD_NOT_FOUND, "Method not found", method)
    return shape(method, version, result)


def _prompts(ctx: ToolContext, method: str, given: Mapping[str, Any]) -> dict[str, Any]:
    try:
        if method == "prompts/list":
            return {"prompts": prompts.list_prompts(ctx), **_uncached()}
        return prompts.get_prompt(ctx, given["name"], given.get("arguments"))
    except prompts.PromptError as exc:
        raise RpcError(exc.code, exc.message, exc.data) from None


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
