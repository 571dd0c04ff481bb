"""``/flows``, ``/operations`` and ``/flows/trigger/:id``.

``/flows`` and ``/operations`` are Directus's eight routes over the items service (see
:func:`tessera.rest.system.crud_routes`); saving checks each flow as
:mod:`tessera.services.flows.rules` says. ``GET``/``POST /flows/trigger/:id`` starts a
webhook or manual flow and answers with what the flow returns, raw (not in ``{data}``),
or ``204`` when it returns nothing or runs in the background.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.errors import InvalidPayloadError, RouteNotFoundError
from tessera.rest.caller import caller
from tessera.rest.items import DirectusJSON
from tessera.rest.system import crud_routes
from tessera.services.flows.service import FlowsService, TriggerRequest


async def trigger(request: Request) -> Response:
    flow_id = request.path_params["key"]
    try:
        uuid.UUID(flow_id)
    except ValueError:
        path = request.url.path
        raise RouteNotFoundError(f"Route {path} doesn't exist.", path=path) from None
    started = TriggerRequest(
        path=f"/trigger/{flow_id}",
        method=request.method,
        query=_query(request),
        body=await _body(request),
        headers=dict(request.headers),
    )
    flows: FlowsService = request.app.state.flows

    def work() -> Any:
        return flows.trigger(flow_id, started, caller(request))

    answer = await run_in_threadpool(work)
    return Response(status_code=204) if answer is None else DirectusJSON(answer)


def _query(request: Request) -> dict[str, Any]:
    """The query string; a name given more than once holds the list of its values."""
    found: dict[str, Any] = {}
    for name in request.query_params:
        values = request.query_params.getlist(name)
        found[name] = values[0] if len(values) == 1 else values
    return found


async def _body(request: Request) -> Any:
    """A JSON body as sent; anything else (or nothing) is ``{}``, as Express leaves it."""
    if request.method == "GET" or "json" not in request.headers.get("content-type", ""):
        return {}
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return await request.json()
    except ValueError:
        raise InvalidPayloadError("The body must be JSON") from None


routes: list[BaseRoute] = [
    Route("/flows/trigger/{key}", trigger, methods=["GET", "POST"]),
    *crud_routes("/flows", "directus_flows"),
    *crud_routes("/operations", "directus_operations"),
]
