"""Whether OAuth, DCR and CIMD are on: each needs its environment variable and its setting."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.system_tables import directus_settings


@dataclass(frozen=True)
class Switches:
    #: ``mcp_enabled`` and ``mcp_oauth_enabled`` (the routes exist only with MCP_OAUTH_ENABLED).
    enabled: bool = False
    dcr: bool = False
    cimd: bool = False


def read_switches(db: Database, settings: Settings) -> Switches:
    s = directus_settings
    with db.read() as conn:
        row = conn.execute(
            sa.select(
                s.c.mcp_enabled,
                s.c.mcp_oauth_enabled,
                s.c.mcp_oauth_dcr_enabled,
                s.c.mcp_oauth_cimd_enabled,
            ).limit(1)
        ).first()
    if row is None or not settings.mcp_enabled or not settings.mcp_oauth_enabled:
        return Switches()
    enabled = bool(row.mcp_enabled and row.mcp_oauth_enabled)
    return Switches(
        enabled=enabled,
        dcr=enabled and settings.mcp_oauth_dcr_enabled and bool(row.mcp_oauth_dcr_enabled),
        cimd=enabled and settings.mcp_oauth_cimd_enabled and bool(row.mcp_oauth_cimd_enabled),
    )
