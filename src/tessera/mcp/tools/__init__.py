"""The MCP tools, one module each; :data:`TOOLS` lists them in Directus's order."""

from __future__ import annotations

from tessera.mcp.registry import Registry, Tool
from tessera.mcp.tools import (
    collections,
    fields,
    flows,
    folders,
    items,
    operations,
    relations,
    schema,
    system_prompt,
    trigger_flow,
)

TOOLS: list[Tool] = [
    system_prompt.TOOL,
    items.TOOL,
    folders.TOOL,
    flows.TOOL,
    trigger_flow.TOOL,
    operations.TOOL,
    schema.TOOL,
    collections.TOOL,
    fields.TOOL,
    relations.TOOL,
]

REGISTRY = Registry(TOOLS)
