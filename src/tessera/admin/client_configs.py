"""Ready-to-paste configurations for the MCP clients people use, for one URL and token."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

#: Shown where the token goes when the page does not know it.
TOKEN_PLACEHOLDER = "<token>"


@dataclass(frozen=True)
class ClientConfig:
    id: str
    client: str
    #: Where it goes: a terminal, or which file.
    where: str
    text: str


def client_configs(url: str, token: str = TOKEN_PLACEHOLDER) -> list[ClientConfig]:
    """Claude Code's command, and Claude Desktop's, Cursor's and VS Code's JSON."""
    header = f"Authorization: Bearer {token}"
    headers = {"Authorization": f"Bearer {token}"}
    command = (
        f"claude mcp add --transport http tessera {shlex.quote(url)} --header {shlex.quote(header)}"
    )
    desktop = {
        "mcpServers": {
            "tessera": {"command": "npx", "args": ["-y", "mcp-remote", url, "--header", header]}
        }
    }
    cursor = {"mcpServers": {"tessera": {"url": url, "headers": headers}}}
    vscode = {"servers": {"tessera": {"type": "http", "url": url, "headers": headers}}}
    return [
        ClientConfig("claude-code", "Claude Code", "Run in a terminal", command),
        ClientConfig(
            "claude-desktop",
            "Claude Desktop",
            "claude_desktop_config.json (needs Node 18 or newer for mcp-remote)",
            json.dumps(desktop, indent=2),
        ),
        ClientConfig("cursor", "Cursor", "~/.cursor/mcp.json", json.dumps(cursor, indent=2)),
        ClientConfig("vscode", "VS Code", ".vscode/mcp.json", json.dumps(vscode, indent=2)),
    ]
