"""The cleanup job: expired codes and grants, and clients nobody uses.

Every instance may run it on ``MCP_OAUTH_CLEANUP_SCHEDULE``; each step is a plain delete
of rows past their time, so two instances running it at once do the same work twice and
nothing else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import sqlalchemy as sa
from croniter import croniter  # type: ignore[import-untyped]

from tessera.config import Settings, parse_duration
from tessera.db.engine import Database
from tessera.db.system_tables import (
    directus_oauth_clients,
    directus_oauth_codes,
    directus_oauth_consents,
    directus_oauth_tokens,
    directus_sessions,
)
from tessera.services.oauth.common import now

USED_CODE_KEPT = dt.timedelta(hours=1)
log = logging.getLogger("tessera.oauth")


def cleanup(db: Database, settings: Settings) -> dict[str, int]:
    """Delete what has expired; how many rows of each kind went."""
    codes, grants = directus_oauth_codes, directus_oauth_tokens
    sessions, clients = directus_sessions, directus_oauth_clients
    consents = directus_oauth_consents
    moment = now()
    done: dict[str, int] = {}
    with db.write() as conn:
        done["codes"] = conn.execute(
            sa.delete(codes).where(
                sa.or_(
                    sa.and_(codes.c.used_at.is_(None), codes.c.expires_at < moment),
                    codes.c.used_at < moment - USED_CODE_KEPT,
                )
            )
        ).rowcount
        expired = sa.select(grants.c.session).where(grants.c.expires_at < moment)
        conn.execute(sa.delete(sessions).where(sessions.c.token.in_(expired)))
        orphaned = ~sa.exists().where(sessions.c.token == grants.c.session)
        done["grants"] = conn.execute(
            sa.delete(grants).where(sa.or_(grants.c.expires_at < moment, orphaned))
        ).rowcount
        conn.execute(
            sa.delete(sessions).where(
                sessions.c.oauth_client.is_not(None), sessions.c.expires < moment
            )
        )
        no_grant = ~sa.exists().where(grants.c.client == clients.c.client_id)
        no_session = ~sa.exists().where(sessions.c.oauth_client == clients.c.client_id)
        no_consent = ~sa.exists().where(consents.c.client == clients.c.client_id)
        unused = moment - parse_duration(settings.mcp_oauth_client_unused_ttl)
        gone = conn.execute(
            sa.delete(clients).where(
                clients.c.date_created < unused, no_grant, no_session, no_consent
            )
        ).rowcount
        idle = parse_duration(settings.mcp_oauth_client_idle_ttl)
        if idle > dt.timedelta(0):
            gone += conn.execute(
                sa.delete(clients).where(
                    clients.c.date_created < moment - idle, no_grant, no_session
                )
            ).rowcount
        done["clients"] = gone
    return done


async def run_on_schedule(db: Database, settings: Settings) -> None:
    """Run :func:`cleanup` at each time of ``MCP_OAUTH_CLEANUP_SCHEDULE`` until cancelled."""
    schedule = croniter(settings.mcp_oauth_cleanup_schedule, now())
    while True:
        due = schedule.get_next(dt.datetime)
        await asyncio.sleep(max(0.0, (due - now()).total_seconds()))
        try:
            await asyncio.to_thread(cleanup, db, settings)
        except Exception:
            log.exception("The MCP OAuth cleanup failed; it runs again at its next time")
