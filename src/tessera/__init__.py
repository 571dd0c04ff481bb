"""Tessera: a headless data platform for SQL databases, with an MCP server built in."""

__version__ = "0.1.0"
