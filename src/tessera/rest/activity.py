"""``/activity`` and ``/revisions``: the audit trail, read-only, through the items service.

Each is a system collection read like any other: the caller's permissions decide what is
seen (admins see everything; a user with app access sees their own activity, as in
Directus, and no revisions unless granted). ``GET /activity`` takes the usual query
parameters; ``SEARCH`` takes the query, or ``keys``, in its body; ``GET /activity/:id``
reads one row, and a row that does not exist or may not be read is FORBIDDEN. There is
no route to write either: other methods are refused.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.errors import InvalidPayloadError
from tessera.rest.items import DirectusJSON, items_service, json_body, run_service
from tessera.rest.query_params import request_query


def read_only_routes(path: str, collection: str) -> list[Route]:
    """``GET`` and ``SEARCH`` on ``path``, and ``GET`` on ``path/:id``, over ``collection``."""

    async def read_list(request: Request) -> Response:
        query = request_query(request)

        def work() -> dict[str, Any]:
            return items_service(request).read_by_query(collection, query).to_api()

        return DirectusJSON(await run_service(work))

    async def search(request: Request) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise InvalidPayloadError('The body must be an object with "query" or "keys"')
        url_query = request_query(request)

        def work() -> dict[str, Any]:
            items = items_service(request)
            if "keys" in body:
                if not isinstance(body["keys"], list):
                    raise InvalidPayloadError('"keys" must be an array')
                return {"data": items.read_many(collection, body["keys"], url_query)}
            query = body.get("query", {})
            if not isinstance(query, dict):
                raise InvalidPayloadError('"query" must be an object')
            return items.read_by_query(collection, {**url_query, **query}).to_api()

        return DirectusJSON(await run_service(work))

    async def read_one(request: Request) -> Response:
        key = request.path_params["key"]
        query = request_query(request)

        def work() -> dict[str, Any]:
            return {"data": items_service(request).read_one(collection, key, query)}

        return DirectusJSON(await run_service(work))

    return [
        Route(path, read_list, methods=["GET"]),
        Route(path, search, methods=["SEARCH"]),
        Route(f"{path}/{{key}}", read_one, methods=["GET"]),
    ]


routes = [
    *read_only_routes("/activity", "directus_activity"),
    *read_only_routes("/revisions", "directus_revisions"),
]
