"""MCP resources: what a client can read or attach without calling a tool.

Tessera offers the data model as resources, read as the connected user (the same rule as
the ``schema`` tool, whose answers they are):

- ``tessera://schema`` — the collections (and folders) the user may see, with their notes;
- ``tessera://schema/{collection}`` — one collection's fields, a template whose
  ``collection`` argument ``completion/complete`` fills from those collections.

A client that shows resources to its user (to attach to a conversation) can offer the
model without a tool call. An unknown URI is -32602 with the URI in ``data`` (SEP-2164).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp_types import INTERNAL_ERROR, INVALID_PARAMS

from tessera.errors import ForbiddenError, TesseraError
from tessera.mcp.context import ToolContext
from tessera.mcp.rpc_error import RpcError
from tessera.mcp.tools import schema

#: A resource's contents: ``[{"uri", "mimeType", "text" | "blob"}]``.
Contents = list[dict[str, Any]]
#: How many values ``completion/complete`` returns at most (the spec's cap).
MAX_COMPLETIONS = 100


@dataclass(frozen=True)
class Resource:
    """One resource at a fixed URI."""

    uri: str
    name: str
    title: str
    description: str
    mime_type: str
    read: Callable[[ToolContext], Contents]
    #: Whether the caller may read it at all (a resource they cannot read is not listed).
    visible: Callable[[ToolContext], bool] = lambda ctx: True

    def to_wire(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "mimeType": self.mime_type,
        }


@dataclass(frozen=True)
class Template:
    """Resources whose URIs fill a level-1 URI template (``{name}`` segments)."""

    uri_template: str
    name: str
    title: str
    description: str
    mime_type: str
    read: Callable[[ToolContext, str, dict[str, str]], Contents]
    #: Values for an argument, from what has been typed: ``(ctx, argument, typed)``.
    complete: Callable[[ToolContext, str, str], list[str]] | None = None
    visible: Callable[[ToolContext], bool] = lambda ctx: True
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{(\w+)\}", self.uri_template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
        )
        object.__setattr__(self, "pattern", re.compile(regex))

    def to_wire(self) -> dict[str, Any]:
        return {
            "uriTemplate": self.uri_template,
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "mimeType": self.mime_type,
        }


class Resources:
    """The resources and templates a server offers, and how each request is answered."""

    def __init__(
        self,
        resources: Sequence[Resource],
        templates: Sequence[Template] = (),
        *,
        subscribable: bool = False,
    ) -> None:
        self.resources = {resource.uri: resource for resource in resources}
        self.templates = list(templates)
        self.subscribable = subscribable

    def capability(self, modern: bool) -> dict[str, Any]:
        """Subscriptions are ``resources/subscribe`` up to 2025-11-25; 2026-07-28 moved them
        to ``subscriptions/listen``, which a stateless server without streams lacks."""
        return {"resources": {"subscribe": True} if self.subscribable and not modern else {}}

    def listed(self, ctx: ToolContext) -> list[dict[str, Any]]:
        return [r.to_wire() for r in self.resources.values() if r.visible(ctx)]

    def listed_templates(self, ctx: ToolContext) -> list[dict[str, Any]]:
        return [t.to_wire() for t in self.templates if t.visible(ctx)]

    def read(self, ctx: ToolContext, uri: str) -> Contents:
        """The contents at ``uri``; what the caller may not read is not found, as in the
        items API, and any other refusal keeps its Directus code in ``data``."""
        try:
            if uri in self.resources:
                return self.resources[uri].read(ctx)
            for template in self.templates:
                match = template.pattern.fullmatch(uri)
                if match:
                    return template.read(ctx, uri, match.groupdict())
        except ForbiddenError:
            pass
        except TesseraError as exc:
            raise RpcError(INTERNAL_ERROR, exc.message, {"uri": uri, "code": exc.code}) from None
        raise RpcError(INVALID_PARAMS, "Resource not found", {"uri": uri})

    def check(self, uri: str) -> None:
        """Refuse a subscription to a URI that names no resource."""
        if uri not in self.resources and not any(t.pattern.fullmatch(uri) for t in self.templates):
            raise RpcError(INVALID_PARAMS, "Resource not found", {"uri": uri})

    def complete(self, ctx: ToolContext, uri_template: str, argument: str, typed: str) -> list[str]:
        for template in self.templates:
            if template.uri_template == uri_template:
                if template.complete is None:
                    return []
                try:
                    return template.complete(ctx, argument, typed)[:MAX_COMPLETIONS]
                except ForbiddenError:
                    return []
        raise RpcError(INVALID_PARAMS, "Resource template not found", {"uri": uri_template})


def _json(uri: str, data: Any) -> Contents:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return [{"uri": uri, "mimeType": "application/json", "text": text}]


def _read_schema(ctx: ToolContext) -> Contents:
    return _json("tessera://schema", schema.run(ctx, schema.SchemaArgs()))


def _read_collection(ctx: ToolContext, uri: str, parts: dict[str, str]) -> Contents:
    fields = schema.run(ctx, schema.SchemaArgs(keys=[parts["collection"]]))
    if not fields:
        raise RpcError(INVALID_PARAMS, "Resource not found", {"uri": uri})
    return _json(uri, fields)


def _can_see(kind: str) -> Callable[[ToolContext], bool]:
    """Whether the caller may read the schema through ``kind`` (admins always may)."""

    def visible(ctx: ToolContext) -> bool:
        try:
            ctx.schema_context().overview(kind)
        except ForbiddenError:
            return False
        return True

    return visible


def _complete_collection(ctx: ToolContext, argument: str, typed: str) -> list[str]:
    if argument != "collection":
        return []
    overview = ctx.schema_context().overview("directus_collections")
    names = (name for name, info in overview.collections.items() if not info.is_folder)
    return sorted(name for name in names if name.startswith(typed))


SCHEMA = Resource(
    uri="tessera://schema",
    name="schema",
    title="Data model",
    description="The collections you may see, with their notes (the schema tool without keys).",
    mime_type="application/json",
    read=_read_schema,
    visible=_can_see("directus_collections"),
)
COLLECTION = Template(
    uri_template="tessera://schema/{collection}",
    name="collection-schema",
    title="A collection's fields",
    description="One collection's fields: type, flags, interface, relation, note.",
    mime_type="application/json",
    read=_read_collection,
    complete=_complete_collection,
    visible=_can_see("directus_fields"),
)
RESOURCES = Resources([SCHEMA], [COLLECTION])
