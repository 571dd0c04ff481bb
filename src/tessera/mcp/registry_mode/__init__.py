"""``/mcp?tool_mode=registry``: three root tools in front of the registry, as Directus has.

``tools/list`` gives ``search``, ``execute`` and ``schema`` instead of every tool, so a
client pays for three short definitions up front and looks the others up when it needs
them. ``search`` finds tools by query (ranked by :mod:`.search_index`) or loads the
input and output types of named ones; it only ever sees what this caller's default-mode
``tools/list`` lists. ``execute`` runs one tool with :meth:`Registry.run
<tessera.mcp.registry.Registry.run>` — the same visibility, admin gate, JSON-string
coercion, validation and delete switch as a direct call — and ``schema`` stays a
direct tool.

Results are ``{"data": …, "url": …}`` (text and ``structuredContent``), errors
``[{"error", "code", "recoverable", "next"?}]``: ``next`` names the call that would help
(search for an unknown tool, load a tool's types after an invalid payload).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import Field, TypeAdapter

from tessera.errors import FailedValidationError, InvalidPayloadError, TesseraError
from tessera.mcp import prompts
from tessera.mcp.arguments import STRINGS, Strict, nullable, object_schema, validate
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Content, Registry, UnknownToolError, success
from tessera.mcp.registry_mode.search_index import Document, rank
from tessera.mcp.registry_mode.typescript import type_of

log = logging.getLogger("tessera.mcp")

#: The root tool that is also an ordinary one; it is listed as it is, never searched.
DIRECT = "schema"
#: Codes a model can fix by changing its call.
RECOVERABLE = frozenset({"INVALID_PAYLOAD", "FAILED_VALIDATION", "UNKNOWN_TOOL"})


class SearchArgs(Strict):
    query: str | None = None
    names: list[str] | None = None


class ExecuteArgs(Strict):
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


_STRING = {"type": "string"}
SEARCH = {
    "name": "search",
    "title": "Search tools",
    "description": (
        "Find this server's tools. `query`: words for what you want to do; answers names "
        "and descriptions, best match first. `names`: load those tools' input and output "
        "types before calling them with `execute`. Send exactly one of the two."
    ),
    "inputSchema": object_schema(
        {
            "query": {"description": "What you want to do", **nullable(_STRING)},
            "names": {"description": "Tools to load the types of, all in one call", **STRINGS},
        }
    ),
    "outputSchema": {
        "type": "object",
        "properties": {
            "data": {
                "type": "object",
                "properties": {
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": _STRING,
                                "description": _STRING,
                                "inputType": _STRING,
                                "outputType": _STRING,
                            },
                            "required": ["name", "description"],
                        },
                    },
                    "availableToolNames": STRINGS,
                    "hint": _STRING,
                },
                "required": ["results"],
            }
        },
        "required": ["data"],
    },
    "annotations": {"title": "Search tools", "readOnlyHint": True, "openWorldHint": False},
}
EXECUTE_INPUT = object_schema(
    {
        "name": {"description": "The tool, as `search` names it", **_STRING},
        "input": {
            "description": "Its arguments, as its inputType says",
            "default": {},
            "type": "object",
            "propertyNames": _STRING,
            "additionalProperties": {},
        },
    },
    required=("name", "input"),
)
_SEARCH_ARGS = TypeAdapter(SearchArgs)
_EXECUTE_ARGS = TypeAdapter(ExecuteArgs)


def output_schema(data: Mapping[str, Any]) -> dict[str, Any]:
    """A result schema with registry mode's ``data`` key in place of ``raw``."""
    return {
        "type": "object",
        "properties": {"data": dict(data), "url": _STRING},
        "required": ["data"],
    }


class RegistryMode:
    """The root tools over ``registry``; a :class:`~tessera.mcp.registry.Toolset`."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def _inner(self, ctx: ToolContext, only: str | None = None) -> Registry:
        """What ``search`` finds and ``execute`` runs: the registry, and the prompts' tools
        when ``MCP_PROMPTS_AS_TOOLS`` is on (behind search, like every other tool)."""
        return prompts.with_tools(ctx, self.registry, only)

    def list_tools(self, ctx: ToolContext) -> list[dict[str, Any]]:
        inner = self._inner(ctx).list_tools(ctx)
        roots = [SEARCH, _execute_wire(inner)]
        for wire in inner:
            if wire["name"] == DIRECT:
                raw = self.registry.tools[DIRECT].raw_schema
                roots.append({**wire, "outputSchema": output_schema(raw)})
        return roots

    def streams(self, name: str) -> bool:
        return False

    def call(
        self, ctx: ToolContext, name: str, arguments: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """One root tool call; every failure is an error result, as in the default mode."""
        try:
            if name == "search":
                return self._search(ctx, validate(_SEARCH_ARGS, arguments or {}))
            if name == "execute":
                args = validate(_EXECUTE_ARGS, _input_parsed(arguments or {}))
                return self._run(ctx, args.name, args.input, searchable=True)
            if name == DIRECT:
                return self._run(ctx, DIRECT, arguments, searchable=False)
            return _error(
                [_entry(f'"{name}" doesn\'t exist in the root toolset', "UNKNOWN_META_TOOL")]
            )
        except TesseraError as exc:
            return _failure(exc)

    def _run(
        self,
        ctx: ToolContext,
        name: str,
        arguments: Mapping[str, Any] | None,
        *,
        searchable: bool,
    ) -> dict[str, Any]:
        """``name`` run as a direct call would run it, answered in this mode's shapes."""
        try:
            if name in {"search", "execute"}:
                raise UnknownToolError(f'"{name}" doesn\'t exist in the toolset')
            data, url = self._inner(ctx, only=name).run(ctx, name, arguments)
        except UnknownToolError as exc:
            reason = exc.extensions["reason"]
            return _error(
                [_entry(reason, "UNKNOWN_TOOL", {"tool": "search", "input": {"query": name}})]
            )
        except TesseraError as exc:
            return _failure(exc, name if searchable else None)
        except Exception:
            log.exception("MCP tool %s failed", name)
            return _error([_entry("An unexpected error occurred.", "TOOL_EXECUTION_FAILED")])
        if isinstance(data, Content):
            return {"content": data.blocks}
        return success(data, url, key="data")

    def _search(self, ctx: ToolContext, args: SearchArgs) -> dict[str, Any]:
        query = (args.query or "").strip()
        if bool(query) == bool(args.names):
            raise InvalidPayloadError('Validation error: Provide exactly one of "query" or "names"')
        tools = {wire["name"]: wire for wire in self._inner(ctx).list_tools(ctx)}
        tools.pop(DIRECT, None)
        available = sorted(tools)
        found: dict[str, Any]
        if args.names:
            wanted = list(dict.fromkeys(args.names))
            found = {"results": [_details(tools[name]) for name in wanted if name in tools]}
            unknown = [name for name in wanted if name not in tools]
            if unknown:
                found["availableToolNames"] = available
                found["hint"] = f"Unknown tools: {', '.join(unknown)}. {_listing(available)}"
        else:
            ranked = rank([Document.of(wire) for wire in tools.values()], query)
            found = {"results": [_summary(tools[name]) for name in ranked]}
            if not ranked:
                found["availableToolNames"] = available
                found["hint"] = f"No tools matched. {_listing(available)}"
        return success(found, key="data")


def _execute_wire(inner: list[dict[str, Any]]) -> dict[str, Any]:
    """``execute``, its hints summing up what the tools it can run may do."""
    hints = [wire["annotations"] for wire in inner if wire["name"] != DIRECT]
    read_only = all(hint.get("readOnlyHint", False) for hint in hints)
    annotations: dict[str, Any] = {"title": "Execute a tool", "readOnlyHint": read_only}
    if not read_only:
        annotations["destructiveHint"] = any(hint.get("destructiveHint", True) for hint in hints)
        annotations["idempotentHint"] = all(
            hint.get("readOnlyHint", False) or hint.get("idempotentHint", False) for hint in hints
        )
    annotations["openWorldHint"] = any(hint.get("openWorldHint", True) for hint in hints)
    return {
        "name": "execute",
        "title": "Execute a tool",
        "description": (
            "Run one of this server's tools: `name` as `search` gives it, `input` its "
            "arguments. Load the tool's types with search `names` first. Answers the tool's "
            'result as {"data", "url"}; an error says whether and how to retry (`next`).'
        ),
        "inputSchema": EXECUTE_INPUT,
        "outputSchema": output_schema({}),
        "annotations": annotations,
    }


def _input_parsed(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``input`` sent as a JSON string is parsed, as the tools' own arguments are."""
    parsed = dict(arguments)
    if isinstance(parsed.get("input"), str):
        with contextlib.suppress(ValueError):
            parsed["input"] = json.loads(parsed["input"])
    return parsed


def _summary(wire: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": wire["name"], "description": wire["description"]}


def _details(wire: Mapping[str, Any]) -> dict[str, Any]:
    details = {**_summary(wire), "inputType": type_of(wire["inputSchema"])}
    output = wire.get("outputSchema")
    if output is not None:
        raw = output.get("properties", {}).get("raw", {})
        details["outputType"] = type_of(output_schema(raw))
    return details


def _listing(names: list[str]) -> str:
    return f"Available tools: {', '.join(names)}" if names else "No tools are available."


def _entry(message: str, code: str, next_call: dict[str, Any] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"error": message, "code": code, "recoverable": code in RECOVERABLE}
    if next_call is not None:
        entry["next"] = next_call
    return entry


def _failure(exc: TesseraError, tool: str | None = None) -> dict[str, Any]:
    """The error entries of ``exc``; an invalid payload points at the tool's types."""
    if isinstance(exc, FailedValidationError):
        return _error([_entry(entry["message"], exc.code) for entry in exc.to_dicts()])
    next_call = None
    if isinstance(exc, InvalidPayloadError) and tool is not None:
        next_call = {"tool": "search", "input": {"names": [tool]}}
    return _error([_entry(exc.message, exc.code, next_call)])


def _error(entries: list[dict[str, Any]]) -> dict[str, Any]:
    text = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    return {"isError": True, "content": [{"type": "text", "text": text}]}
