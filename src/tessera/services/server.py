"""What the server says about itself: its health and its public project information."""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

from tessera import __version__
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.system_tables import directus_files, directus_settings
from tessera.errors import ServiceUnavailableError

log = logging.getLogger("tessera.health")

#: A database round trip slower than this many milliseconds makes the server "warn".
DB_THRESHOLD_MS = 150

#: The settings anyone may read, in the order Directus lists them.
PUBLIC_PROJECT_FIELDS = (
    "project_name",
    "project_descriptor",
    "project_logo",
    "project_color",
    "default_appearance",
    "default_theme_light",
    "default_theme_dark",
    "theme_light_overrides",
    "theme_dark_overrides",
    "default_language",
    "public_foreground",
    "public_background",
    "public_favicon",
    "public_note",
    "custom_css",
    "public_registration",
    "public_registration_verify_email",
)


def health(db: Database, settings: Settings) -> dict[str, Any]:
    """A health report in Directus's format (draft-inadarei-api-health-check)."""
    name = settings.db_client
    check: dict[str, Any] = {
        "status": "ok",
        "componentType": "datastore",
        "observedUnit": "ms",
        "observedValue": 0,
        "threshold": DB_THRESHOLD_MS,
    }
    started = time.perf_counter()
    try:
        db.scalar("SELECT 1")
    except SQLAlchemyError:
        log.exception("Health check: the database did not answer")
        check["status"] = "error"
        check["output"] = "Can't connect to the database."
    check["observedValue"] = round((time.perf_counter() - started) * 1000, 3)
    if check["status"] == "ok" and check["observedValue"] > DB_THRESHOLD_MS:
        check["status"] = "warn"
    checks: dict[str, list[dict[str, Any]]] = {f"{name}:responseTime": [check]}
    pool = db.engine.pool
    if isinstance(pool, QueuePool):
        checks[f"{name}:connectionsAvailable"] = [
            {"status": "ok", "componentType": "datastore", "observedValue": pool.checkedin()}
        ]
        checks[f"{name}:connectionsUsed"] = [
            {"status": "ok", "componentType": "datastore", "observedValue": pool.checkedout()}
        ]
    return {
        "status": check["status"],
        "releaseId": __version__,
        "serviceId": settings.public_url,
        "checks": checks,
    }


def public_info(db: Database) -> dict[str, Any]:
    """``/server/info`` as Directus answers an unauthenticated caller."""
    s, background = directus_settings, directus_files
    columns = [s.c[name] for name in PUBLIC_PROJECT_FIELDS if name != "public_background"]
    query = (
        sa.select(*columns, background.c.id.label("bg_id"), background.c.type.label("bg_type"))
        .select_from(s.outerjoin(background, background.c.id == s.c.public_background))
        .order_by(s.c.id)
        .limit(1)
    )
    with db.read() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        reason = 'Tessera has not been set up on this database; run "tessera init"'
        raise ServiceUnavailableError(
            f'Service "database" is unavailable. {reason}.', service="database", reason=reason
        )
    project = dict(row)
    bg_id, bg_type = project.pop("bg_id"), project.pop("bg_type")
    project["public_background"] = None if bg_id is None else {"id": bg_id, "type": bg_type}
    return {"project": {name: project[name] for name in PUBLIC_PROJECT_FIELDS}}


def mcp_switched_on(db: Database, settings: Settings) -> bool:
    """Whether ``/mcp`` answers tools: MCP_ENABLED in the environment and ``mcp_enabled``
    in the project settings."""
    if not settings.mcp_enabled:
        return False
    with db.read() as conn:
        on = conn.execute(sa.select(directus_settings.c.mcp_enabled).limit(1)).scalar()
    return bool(on)
