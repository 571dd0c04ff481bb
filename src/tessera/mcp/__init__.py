"""The MCP door: ``/mcp`` (:mod:`.transport`), JSON-RPC (:mod:`.protocol`) and the tools.

Like the REST routes, it is a thin layer: every tool calls the services with the
connected user's accountability, so a rule lives in one place for every door.
"""
