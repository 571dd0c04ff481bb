"""Activity rows of OAuth: grants issued (``login``), refreshed (``update``), revoked
(``logout``), and each MCP call made with an OAuth token (``run`` on the client)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.db.engine import Database
from tessera.db.system_tables import directus_activity

GRANTS = "directus_oauth_tokens"
CLIENTS = "directus_oauth_clients"


def log(
    conn: Connection,
    action: str,
    collection: str,
    item: str,
    *,
    user: str | None,
    ip: str | None = None,
    user_agent: str | None = None,
    origin: str | None = None,
) -> None:
    conn.execute(
        sa.insert(directus_activity).values(
            action=action,
            user=user,
            ip=ip,
            user_agent=user_agent,
            origin=origin,
            collection=collection,
            item=item,
        )
    )


def log_call(db: Database, accountability: Accountability) -> None:
    """One MCP tool call made with an OAuth token, on its client (how "last used" is known)."""
    with db.write() as conn:
        log(
            conn,
            "run",
            CLIENTS,
            str(accountability.oauth_client),
            user=accountability.user,
            ip=accountability.ip,
            user_agent=accountability.user_agent,
            origin="mcp",
        )
