"""``tools/list`` narrowed to the caller: no action offered that would only be refused.

A tool's ``action`` enum keeps the actions the caller's permissions grant somewhere
(:attr:`~tessera.mcp.registry.Tool.granted`) and, unless the project allows deletes,
loses ``delete``; an OAuth grant of ``mcp:read`` keeps only read-only tools and the
``read`` action; a tool left with no action is not listed, nor one that says it has
nothing for this caller (:attr:`~tessera.mcp.registry.Tool.available`). This only shapes the list:
a call of a dropped action is still refused by the services, as before.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from tessera.access.permissions import ACTIONS

if TYPE_CHECKING:
    from tessera.mcp.context import ToolContext
    from tessera.mcp.registry import Tool


def listed(tool: Tool, ctx: ToolContext) -> dict[str, Any] | None:
    """The tool as this caller's ``tools/list`` gives it, or None when it offers nothing."""
    if tool.available is not None and not tool.available(ctx):
        return None
    wire = tool.to_wire()
    action = wire["inputSchema"].get("properties", {}).get("action")
    if action is None:
        return None if ctx.read_only and tool.writes(None) else wire
    granted = tool.granted(ctx) if tool.granted is not None else None
    offered = [
        name
        for name in action["enum"]
        if (granted is None or name in granted)
        and (name != "delete" or ctx.mcp.allow_deletes)
        and not (ctx.read_only and tool.writes(name))
    ]
    if not offered:
        return None
    if offered != action["enum"]:
        wire["inputSchema"] = copy.deepcopy(wire["inputSchema"])
        wire["inputSchema"]["properties"]["action"]["enum"] = offered
    return wire


def item_actions(ctx: ToolContext) -> frozenset[str]:
    """The actions some existing non-system collection grants the caller.

    Read from the access cache, so a list costs one counter lookup once warm. Only user
    collections count: the ``items`` tool refuses ``directus_*`` ones.
    """
    if ctx.is_admin:
        return frozenset(ACTIONS)
    with ctx.db.read() as conn:
        permissions = ctx.access_cache.permissions(conn, ctx.accountability)
    existing = ctx.schema.get().collections
    return frozenset(
        action
        for action in ACTIONS
        if any(
            name in existing and not name.startswith("directus_")
            for name in permissions.collections(action)
        )
    )


def collection_actions(ctx: ToolContext, collection: str) -> frozenset[str]:
    """The actions the caller's permissions allow on one (system) collection; all for admins."""
    if ctx.is_admin:
        return frozenset(ACTIONS)
    with ctx.db.read() as conn:
        permissions = ctx.access_cache.permissions(conn, ctx.accountability)
    return frozenset(action for action in ACTIONS if collection in permissions.collections(action))
