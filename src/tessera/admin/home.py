"""The home page: what this Tessera serves — its database, the collections the caller may
read, and whether MCP is on and where."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from starlette.requests import Request
from starlette.responses import Response

from tessera.admin.views import Visit, admin_page, readable
from tessera.config import Settings
from tessera.services.server import mcp_switched_on


def mcp_url(request: Request) -> str:
    """Where clients connect: PUBLIC_URL's ``/mcp`` when it is absolute, else this host's."""
    settings: Settings = request.app.state.settings
    public = settings.public_url
    if public.startswith(("http://", "https://")):
        return public.rstrip("/") + "/mcp"
    return f"{request.url.scheme}://{request.url.netloc}/mcp"


def database_of(settings: Settings) -> str:
    """The database, named without its password."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite, {url.database or 'in memory'}"
    where = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}/{url.database or ''}"
    return f"PostgreSQL, {where}"


@admin_page
def home(visit: Visit) -> Response:
    state = visit.state
    overview = state.schema.get()
    user_collections = sorted(
        name
        for name, info in overview.collections.items()
        if not name.startswith("directus_") and name in readable(visit)
    )
    return visit.render(
        "home.html",
        database=database_of(state.settings) if visit.caller.admin else None,
        collections=user_collections,
        mcp_on=mcp_switched_on(state.db, state.settings),
        mcp_env=state.settings.mcp_enabled,
        mcp_url=mcp_url(visit.request),
    )
