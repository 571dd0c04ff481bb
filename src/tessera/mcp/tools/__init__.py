"""The MCP tools, one module each; :data:`TOOLS` lists them in Directus's order, with
Tessera's own (``upload-file``) beside their nearest kin."""

from __future__ import annotations

from tessera.mcp.registry import Registry, Tool
from tessera.mcp.tools import (
    collections,
    fields,
    files,
    flows,
    folders,
    items,
    operations,
    relations,
    schema,
    system_prompt,
    trigger_flow,
    upload_file,
)

TOOLS: list[Tool] = [
    system_prompt.TOOL,
    items.TOOL,
    files.TOOL,
    upload_file.TOOL,
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
