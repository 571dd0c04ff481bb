"""MCP prompts: ``prompts/list`` and ``prompts/get`` from the project's prompts collection.

As in Directus (``api/src/mcp/server.ts``), the collection is the one named in the
``mcp_prompts_collection`` setting and is read through the items service as the connected
user, so a prompt is offered only to those allowed to read it. An item's ``name``,
``description``, ``system_prompt`` and ``messages`` (a list of ``{"role", "text"}``)
become a prompt; ``{{ variable }}`` placeholders in them become its arguments, all
optional, and a value not given renders as nothing.

Where Directus goes wrong, Tessera does not: an argument appears once even when its
placeholder does several times; a placeholder is filled by the argument of its exact name
(Directus reads ``{{a.b}}`` as a path, so the ``a.b`` it advertises can never fill it); a
message whose role MCP does not have is skipped instead of making the answer invalid; a
read the user may not make is a JSON-RPC error for ``prompts/list`` too, not an error
object in place of the list; and the ``prompts`` capability is only advertised when a
collection is set.

With ``MCP_PROMPTS_AS_TOOLS`` on, each prompt is also a read-only tool named
``prompt-<name>`` whose arguments are the prompt's, for clients that have tools but no
prompts (the tool returns the rendered messages); in registry mode they are found with
``search`` and run with ``execute``, like every other tool.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from pydantic import TypeAdapter

from tessera.errors import TesseraError
from tessera.mcp.arguments import object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Registry, Tool
from tessera.mcp.rpc_error import RpcError

#: The JSON-RPC code Directus answers when no prompts collection is set.
NO_COLLECTION = 1001
#: MCP prompt messages have only these roles (the system prompt is sent as ``assistant``).
ROLES = frozenset({"user", "assistant"})
#: What a prompt's tool is called: this, then the prompt's name.
TOOL_PREFIX = "prompt-"

#: What a prompt is made of: the fields Directus reads.
_FIELDS = ("name", "description", "system_prompt", "messages")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
#: The names an MCP tool may have (2025-11-25 spec: 1 to 128 of these characters).
_TOOL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")

_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "role": {"type": "string", "enum": sorted(ROLES)},
        "content": {
            "type": "object",
            "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
            "required": ["type", "text"],
        },
    },
    "required": ["role", "content"],
}
_RENDERED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "messages": {"type": "array", "items": _MESSAGE_SCHEMA},
    },
    "required": ["messages"],
}


@dataclass(frozen=True)
class FixedPrompt:
    """A prompt defined in code beside the collection's (the conformance fixture's)."""

    name: str
    description: str
    arguments: list[dict[str, Any]]
    render: Callable[[ToolContext, Mapping[str, Any]], dict[str, Any]]

    def to_wire(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "arguments": self.arguments}


def list_prompts(ctx: ToolContext, fixed: Sequence[FixedPrompt] = ()) -> list[dict[str, Any]]:
    """Every prompt the caller may read, with the arguments its placeholders ask for."""
    listed = [prompt.to_wire() for prompt in fixed]
    if fixed and not ctx.mcp.prompts_collection:
        return listed
    for item in _read(ctx, {"fields": list(_FIELDS)}):
        prompt: dict[str, Any] = {"name": item["name"]}
        if item.get("description") is not None:
            prompt["description"] = item["description"]
        prompt["arguments"] = [
            {"name": name, "description": f"Value for {name}", "required": False}
            for name in variables(item)
        ]
        listed.append(prompt)
    return listed


def get_prompt(
    ctx: ToolContext,
    name: str,
    arguments: Mapping[str, Any] | None = None,
    fixed: Sequence[FixedPrompt] = (),
) -> dict[str, Any]:
    """The prompt ``name`` rendered with ``arguments``; ``-32602`` when there is none."""
    for prompt in fixed:
        if prompt.name == name:
            return prompt.render(ctx, arguments or {})
    if fixed and not ctx.mcp.prompts_collection:
        raise RpcError(INVALID_PARAMS, f'Invalid prompt "{name}"')
    query = {
        "fields": ["description", "system_prompt", "messages"],
        "filter": {"name": {"_eq": name}},
        "limit": 1,
    }
    found = _read(ctx, query)
    if not found:
        raise RpcError(INVALID_PARAMS, f'Invalid prompt "{name}"')
    return render(found[0], arguments or {})


def variables(item: Mapping[str, Any]) -> list[str]:
    """The placeholders' names, system prompt first, then the messages', each once."""
    seen: dict[str, None] = {}
    for text in _texts(item):
        for match in _PLACEHOLDER.finditer(text):
            if match.group(1):
                seen.setdefault(match.group(1))
    return list(seen)


def render(item: Mapping[str, Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A ``GetPromptResult``: the system prompt as the first (assistant) message, then the
    messages that have a role MCP knows and some text."""
    messages = []
    system_prompt = item.get("system_prompt")
    if isinstance(system_prompt, str) and system_prompt:
        messages.append(_message("assistant", fill(system_prompt, arguments)))
    for message in _messages(item):
        role, text = message.get("role"), message.get("text")
        if role in ROLES and isinstance(text, str) and text:
            messages.append(_message(role, fill(text, arguments)))
    result: dict[str, Any] = {"messages": messages}
    if item.get("description") is not None:
        result["description"] = item["description"]
    return result


def fill(template: str, arguments: Mapping[str, Any]) -> str:
    """``{{ name }}`` replaced by the argument ``name``, as text; nothing when not given."""

    def value(match: re.Match[str]) -> str:
        given = arguments.get(match.group(1))
        return "" if given is None else str(given)

    return _PLACEHOLDER.sub(value, template)


# --- prompts as tools -------------------------------------------------------------------


def with_tools(ctx: ToolContext, registry: Registry, only: str | None = None) -> Registry:
    """``registry`` with the prompts' tools added when ``MCP_PROMPTS_AS_TOOLS`` is on (just
    the tool ``only`` when given, to answer one call without reading every prompt)."""
    if not _as_tools(ctx) or (only is not None and not only.startswith(TOOL_PREFIX)):
        return registry
    query: dict[str, Any] = {"fields": list(_FIELDS)}
    if only is not None:
        query["filter"] = {"name": {"_eq": only[len(TOOL_PREFIX) :]}}
    try:
        items = _read(ctx, query)
    except RpcError:
        return registry
    return Registry([*registry.tools.values(), *_tools(items)])


class WithPromptTools:
    """The default mode's toolset: ``registry``, and each prompt as a tool when asked for."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def list_tools(self, ctx: ToolContext) -> list[dict[str, Any]]:
        return with_tools(ctx, self.registry).list_tools(ctx)

    def streams(self, name: str) -> bool:
        return self.registry.streams(name)

    def call(
        self, ctx: ToolContext, name: str, arguments: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        return with_tools(ctx, self.registry, only=name).call(ctx, name, arguments)


def _as_tools(ctx: ToolContext) -> bool:
    return ctx.settings.mcp_prompts_as_tools and ctx.mcp.prompts_collection is not None


def _tools(items: list[dict[str, Any]]) -> list[Tool]:
    """One tool per prompt item whose name makes a valid tool name."""
    tools = []
    for item in items:
        name = f"{TOOL_PREFIX}{item['name']}"
        if not _TOOL_NAME.fullmatch(name):
            continue
        properties = {
            variable: {"type": "string", "description": f"Value for {variable}"}
            for variable in variables(item)
        }
        tools.append(
            Tool(
                name=name,
                title=item["name"],
                description=item.get("description") or f'The prompt "{item["name"]}".',
                input_schema=object_schema(properties),
                arguments=TypeAdapter(dict[str, str]),
                handler=partial(_rendered, item),
                raw_schema=_RENDERED_SCHEMA,
                read_only=True,
            )
        )
    return tools


def _rendered(item: Mapping[str, Any], _ctx: ToolContext, arguments: dict[str, str]) -> Any:
    return render(item, arguments)


# --- reading ----------------------------------------------------------------------------


def _read(ctx: ToolContext, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Prompt items, read as the caller, in the collection's manual order (its sort field,
    as the Studio's drag and drop sets it); every failure is a JSON-RPC error."""
    collection = ctx.mcp.prompts_collection
    if collection is None:
        raise RpcError(NO_COLLECTION, "A prompts collection must be set in settings")
    info = ctx.schema.get().collections.get(collection)
    sort_field = ((info.meta if info else None) or {}).get("sort_field")
    order = {"sort": [sort_field]} if sort_field else {}
    try:
        return ctx.items().read_by_query(collection, {"limit": -1, **order, **query}).data
    except TesseraError as exc:
        raise RpcError(INTERNAL_ERROR, exc.message, {"code": exc.code}) from None


def _texts(item: Mapping[str, Any]) -> list[str]:
    texts = [item.get("system_prompt")]
    texts += [message.get("text") for message in _messages(item)]
    return [text for text in texts if isinstance(text, str)]


def _message(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": {"type": "text", "text": text}}


def _messages(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The item's messages that are objects (a JSON field may hold anything)."""
    messages = item.get("messages")
    if not isinstance(messages, list):
        return []
    return [message for message in messages if isinstance(message, Mapping)]
