"""The MCP tools, one module each; :data:`TOOLS` lists them in Directus's order, with
Tessera's own (``upload-file``) and Directus's newer ``file-content`` beside their nearest
kin."""

from __future__ import annotations

from tessera.mcp.registry import Registry, Tool
from tessera.mcp.tools import (
    assets,
    collections,
    fields,
    file_content,
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
    assets.TOOL,
    file_content.TOOL,
    flows.TOOL,
    trigger_flow.TOOL,
    operations.TOOL,
    schema.TOOL,
    collections.TOOL,
    fields.TOOL,
    relations.TOOL,
]

REGISTRY = Registry(TOOLS)
