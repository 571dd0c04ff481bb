"""The tool registry: what a tool declares, which tools a caller sees, and how a call runs.

A call runs as Directus runs it (``DirectusMCP`` and its ``ToolRegistry``): the tool must
be visible to the caller (admin-only tools and a disabled ``system-prompt`` are not);
JSON-string arguments are parsed; the per-action model validates them; ``action:
"delete"`` is refused unless the project allows deletes; then the handler calls the
services with the caller's accountability. Every failure is a tool result with
``isError`` and ``[{"error", "code"}]``, never a JSON-RPC error, so the model can read it
and correct itself. A successful result carries the data twice, as Directus's text
(``{"raw": …, "url": …}``) and as ``structuredContent`` matching the tool's
``outputSchema``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from pydantic import TypeAdapter

from tessera.errors import FailedValidationError, ForbiddenError, InvalidPayloadError, TesseraError
from tessera.mcp.arguments import coerce_json_strings, validate
from tessera.mcp.context import ToolContext
from tessera.mcp.exchange import ExchangeError, InputRequired
from tessera.mcp.narrowing import listed

log = logging.getLogger("tessera.mcp")

#: Actions after which Directus links to the one item in its admin app.
URL_ACTIONS = frozenset({"create", "update", "read", "import"})

Handler = Callable[[ToolContext, Any], Any]
#: The admin app path of a tool's one resulting item (or None): ``(ctx, args, item)``.
UrlPath = Callable[[ToolContext, Any, Any], Sequence[object] | None]


@dataclass(frozen=True)
class Tool:
    """One MCP tool: its contract with the client, and the handler behind it.

    ``handler`` receives the validated arguments and returns the data (JSON-able; dates,
    decimals and uuids are written as the REST API writes them). ``raw_schema`` is the
    JSON schema of that data, wrapped into the ``outputSchema``.
    """

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    arguments: TypeAdapter[Any]
    handler: Handler
    #: None: the tool answers MCP content blocks (:class:`Content`), not data.
    raw_schema: dict[str, Any] | None
    read_only: bool = False
    destructive: bool = True
    idempotent: bool = False
    #: Whether it may reach beyond Tessera's data (a flow may call other services).
    open_world: bool = False
    admin_only: bool = False
    url_path: UrlPath | None = None
    #: The actions the caller's permissions grant (all of them when None); see narrowing.
    granted: Callable[[ToolContext], Collection[str]] | None = None
    #: Whether the tool has anything for this caller at all (None: always listed).
    available: Callable[[ToolContext], bool] | None = None
    #: Whether a call may talk to the client while it runs (progress, logs, questions),
    #: so that a client accepting SSE gets its answer as a stream.
    streams: bool = False
    output_schema: dict[str, Any] | None = field(init=False)

    def __post_init__(self) -> None:
        if self.raw_schema is None:
            object.__setattr__(self, "output_schema", None)
            return
        output = {
            "type": "object",
            "properties": {
                "raw": self.raw_schema,
                "url": {"type": "string"},
                "truncated": {"type": "boolean"},
                "next": {"type": "object"},
            },
            "required": ["raw"],
        }
        object.__setattr__(self, "output_schema", output)

    def writes(self, action: object) -> bool:
        """Whether a call with ``action`` may change something (refused to ``mcp:read``)."""
        if self.read_only:
            return False
        has_actions = "action" in self.input_schema.get("properties", {})
        return not (has_actions and action == "read")

    def to_wire(self) -> dict[str, Any]:
        """The tool as ``tools/list`` lists it."""
        annotations: dict[str, Any] = {"title": self.title, "readOnlyHint": self.read_only}
        if not self.read_only:
            annotations["destructiveHint"] = self.destructive
            annotations["idempotentHint"] = self.idempotent
        annotations["openWorldHint"] = self.open_world
        wire: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": self.input_schema,
        }
        if self.output_schema is not None:
            wire["outputSchema"] = self.output_schema
        return {**wire, "annotations": annotations}


@dataclass(frozen=True)
class Page:
    """A read that stopped at its limit with more to come, and how to ask for the rest.

    A tool returns it instead of a plain list; the result then carries
    ``"truncated": true`` and ``"next"`` (the query values that read the next page)
    beside the items, so an assistant knows the list is not all there is.
    """

    items: list[Any]
    next: dict[str, Any]


@dataclass(frozen=True)
class Content:
    """A result that is MCP content itself (an image, a sound), sent as it is: no JSON
    text, no ``structuredContent``; its tool declares no output schema."""

    blocks: list[dict[str, Any]]


class Registry:
    """Tools by name, in the order ``tools/list`` gives them."""

    def __init__(self, tools: Sequence[Tool]) -> None:
        self.tools: dict[str, Tool] = {tool.name: tool for tool in tools}

    def visible(self, ctx: ToolContext) -> list[Tool]:
        return [tool for tool in self.tools.values() if _is_visible(tool, ctx)]

    def list_tools(self, ctx: ToolContext) -> list[dict[str, Any]]:
        return [wire for tool in self.visible(ctx) if (wire := listed(tool, ctx)) is not None]

    def streams(self, name: str) -> bool:
        tool = self.tools.get(name)
        return tool is not None and tool.streams

    def call(
        self, ctx: ToolContext, name: str, arguments: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Run one tool call to its ``CallToolResult``; failures become error results."""
        try:
            data, url = self.run(ctx, name, arguments)
            return {"content": data.blocks} if isinstance(data, Content) else success(data, url)
        except (InputRequired, ExchangeError):
            raise
        except TesseraError as exc:
            return failure(exc)
        except Exception:
            log.exception("MCP tool %s failed", name)
            return error_result([("An unexpected error occurred.", "INTERNAL_SERVER_ERROR")])

    def run(
        self, ctx: ToolContext, name: str, arguments: Mapping[str, Any] | None
    ) -> tuple[Any, str | None]:
        """One call's data and admin URL; raises what refuses it (registry mode shapes both)."""
        tool = self.tools.get(name)
        if tool is None or not _is_visible(tool, ctx, hide_admin=False):
            raise UnknownToolError(f'"{name}" doesn\'t exist in the toolset')
        if tool.admin_only and not ctx.is_admin:
            raise ForbiddenError("You must be an admin to access this tool")
        args = validate(tool.arguments, coerce_json_strings(arguments or {}))
        action = getattr(args, "action", None)
        if ctx.read_only and tool.writes(action):
            raise ForbiddenError("This grant is read-only (scope mcp:read)")
        if action == "delete" and not ctx.mcp.allow_deletes:
            raise InvalidPayloadError("Delete actions are disabled")
        data = tool.handler(ctx, args)
        return data, _url(tool, ctx, args, action, data)


class Toolset(Protocol):
    """What the protocol layer serves tools from: the registry, or registry mode over it."""

    def list_tools(self, ctx: ToolContext) -> list[dict[str, Any]]: ...

    def streams(self, name: str) -> bool: ...

    def call(
        self, ctx: ToolContext, name: str, arguments: Mapping[str, Any] | None
    ) -> dict[str, Any]: ...


class UnknownToolError(InvalidPayloadError):
    """No such tool for this caller (registry mode answers it as ``UNKNOWN_TOOL``)."""


def _is_visible(tool: Tool, ctx: ToolContext, *, hide_admin: bool = True) -> bool:
    if tool.name == "system-prompt" and not ctx.mcp.system_prompt_enabled:
        return False
    return not (hide_admin and tool.admin_only and not ctx.is_admin)


def _url(tool: Tool, ctx: ToolContext, args: Any, action: Any, data: Any) -> str | None:
    if isinstance(data, Page):
        return None
    if tool.url_path is None or action not in URL_ACTIONS or not data:
        return None
    items = data if isinstance(data, list) else [data]
    if len(items) != 1:
        return None
    path = tool.url_path(ctx, args, items[0])
    return None if path is None else ctx.admin_url(*path)


def success(data: Any, url: str | None = None, *, key: str = "raw") -> dict[str, Any]:
    """A result: the payload as compact JSON text, and as ``structuredContent``.

    ``key`` is ``raw`` in the default mode and ``data`` in registry mode, as in Directus.
    A :class:`Page` adds ``truncated`` and ``next`` beside the items.
    """
    payload: dict[str, Any] = {key: data.items if isinstance(data, Page) else data}
    if isinstance(data, Page):
        payload["truncated"] = True
        payload["next"] = data.next
    if url is not None:
        payload["url"] = url
    text = _compact(payload)
    # The structured copy must be plain JSON too (dates and decimals as text), so it is
    # read back from the text rather than converted a second way.
    return {"content": [{"type": "text", "text": text}], "structuredContent": json.loads(text)}


def failure(exc: TesseraError) -> dict[str, Any]:
    if isinstance(exc, FailedValidationError):
        entries = [(entry["message"], exc.code) for entry in exc.to_dicts()]
    else:
        entries = [(exc.message, exc.code)]
    return error_result(entries)


def error_result(entries: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Directus's error result: ``isError`` and a JSON list of ``{"error", "code"}``."""
    listed = [{"error": message, "code": code} for message, code in entries]
    return {"isError": True, "content": [{"type": "text", "text": _compact(listed)}]}


def _compact(value: Any) -> str:
    """JSON as ``JSON.stringify`` writes it, with dates, decimals and uuids as the REST API."""
    return json.dumps(value, default=_plain, separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
