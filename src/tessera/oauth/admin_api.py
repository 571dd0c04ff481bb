"""``/mcp-oauth/clients``: the registered clients, for admins (Directus's routes).

``GET /`` lists them, ``GET /:id`` shows one with its number of grants, ``DELETE /:id``
and ``DELETE /`` (a body of keys, or ``{"keys": [...]}``) remove them with every consent,
code, grant and session they hold. The secret's hash is never shown. Errors are the REST
API's envelope; an OAuth access token is refused here as on every route but /mcp.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.errors import InvalidPayloadError
from tessera.oauth.gate import require_routes
from tessera.rest.caller import caller
from tessera.rest.items import DirectusJSON
from tessera.services.oauth import apps

PATH = "/mcp-oauth/clients"


async def list_clients(request: Request) -> Response:
    require_routes(request)

    def work() -> dict[str, Any]:
        who = caller(request)
        with request.app.state.db.read() as conn:
            return {"data": apps.list_clients(conn, who)}

    return DirectusJSON(await run_in_threadpool(work))


async def read_client(request: Request) -> Response:
    require_routes(request)
    key = request.path_params["key"]

    def work() -> dict[str, Any]:
        who = caller(request)
        with request.app.state.db.read() as conn:
            return {"data": apps.get_client(conn, key, who)}

    return DirectusJSON(await run_in_threadpool(work))


async def delete_client(request: Request) -> Response:
    require_routes(request)
    await run_in_threadpool(_delete, request, [request.path_params["key"]])
    return Response(status_code=204)


async def delete_clients(request: Request) -> Response:
    require_routes(request)
    try:
        body = await request.json()
    except ValueError:
        raise InvalidPayloadError("The body must be JSON") from None
    keys = body.get("keys") if isinstance(body, dict) else body
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise InvalidPayloadError('The body must be an array of keys or {"keys": [...]}')
    await run_in_threadpool(_delete, request, keys)
    return Response(status_code=204)


def _delete(request: Request, keys: list[str]) -> None:
    """All or nothing: one unknown key leaves every client in place."""
    who = caller(request)
    with request.app.state.db.write() as conn:
        for key in keys:
            apps.revoke_client(conn, key, who)


routes = [
    Route(PATH, list_clients, methods=["GET"]),
    Route(PATH, delete_clients, methods=["DELETE"]),
    Route(PATH + "/{key}", read_client, methods=["GET"]),
    Route(PATH + "/{key}", delete_client, methods=["DELETE"]),
]
