"""The ASGI application: every route group from ``rest/``, Directus's error envelope."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from tessera.admin.routes import routes as admin_routes
from tessera.config import Settings, ensure_secret, load_settings
from tessera.db.engine import Database
from tessera.logs import configure_logging
from tessera.mcp import transport as mcp_transport
from tessera.oauth import routes as oauth_routes
from tessera.rest import activity, assets, auth, files, flows, items, schema, server
from tessera.rest.errors import EXCEPTION_HANDLERS, UnexpectedErrors
from tessera.rest.system import routes as system_routes
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.auth import AuthService
from tessera.services.flows.runner import FlowRunner
from tessera.services.flows.service import FlowsService
from tessera.services.oauth.cleanup import run_on_schedule as oauth_cleanup
from tessera.storage import StorageLocations, storage_locations

log = logging.getLogger("tessera.flows")

#: Each REST module's routes; a new area is one more entry.
ROUTE_GROUPS: list[Sequence[BaseRoute]] = [
    server.routes,
    auth.routes,
    oauth_routes,
    items.routes,
    schema.routes,
    activity.routes,
    assets.routes,
    files.routes,
    flows.routes,
    mcp_transport.routes,
    admin_routes,
    system_routes,
]


def create_app(
    settings: Settings, db: Database | None = None, storage: StorageLocations | None = None
) -> Starlette:
    """The application serving ``db`` and storing files in ``storage``.

    By default, the database ``settings`` names and the locations of ``STORAGE_LOCATIONS``;
    a bad storage option stops here, before the server listens. The drivers' connections
    are released at shutdown.
    """
    database = db or Database(settings.database_url)
    locations = storage if storage is not None else storage_locations(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        flows: FlowsService = app.state.flows
        ticker = asyncio.create_task(flows.ticker.run())
        cleaner = None
        if settings.mcp_enabled and settings.mcp_oauth_enabled:
            cleaner = asyncio.create_task(oauth_cleanup(database, settings))
        await _announce(flows, "server.start")
        yield
        await _announce(flows, "server.stop")
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        if cleaner is not None:
            cleaner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await cleaner
        app.state.flows.background.shutdown()
        await locations.close()
        database.dispose()

    app = Starlette(
        routes=[route for group in ROUTE_GROUPS for route in group],
        middleware=[Middleware(UnexpectedErrors)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.storage = locations
    app.state.schema = SchemaCache(database, settings.excluded_tables)
    app.state.access_cache = AccessCache()
    app.state.flows = FlowsService(
        FlowRunner(database, app.state.schema, settings, cache=app.state.access_cache)
    )
    app.state.auth = AuthService(database, settings, events=app.state.flows.events)
    return app


async def _announce(flows: FlowsService, event: str) -> None:
    """Start the ``server.start`` or ``server.stop`` action flows (``$trigger`` is
    ``{event}``); shutting down waits for them with the other background runs. A database
    that cannot say which flows listen is logged, and neither start nor stop is held up."""
    try:
        await asyncio.to_thread(flows.events.action_event, event, {}, None)
    except Exception:
        log.exception('The "%s" flows could not be started', event)


def app_from_env() -> Starlette:
    """For ``uvicorn --factory``: settings from the environment; the database must be set up."""
    settings = load_settings()
    configure_logging(settings)
    ensure_secret(settings)
    return create_app(settings)
