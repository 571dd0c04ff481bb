"""MCP OAuth 2.1: Tessera as the authorization server for its own ``/mcp``.

The rules live here (what a client may register, which redirect is allowed, what an
authorization code or refresh token is worth); ``tessera.oauth`` is the HTTP door and
the pages, the CLI and the admin REST routes call the same functions. Secrets —
client secrets, codes, refresh tokens — are stored only as their SHA-256.
"""
