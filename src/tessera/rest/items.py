"""``/items/:collection``: Directus's item routes, each a thin layer over the items service.

System collections have their own routes; ``/items/directus_*`` is FORBIDDEN, as in
Directus. Query parameters use Directus's syntax (see :mod:`tessera.rest.query_params`);
``SEARCH`` takes the query, or ``keys``, in its body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tessera.db.engine import dumps_json
from tessera.errors import ForbiddenError, InvalidPayloadError
from tessera.rest.caller import caller
from tessera.rest.query_params import request_query
from tessera.services.items import ItemsService

T = TypeVar("T")


class DirectusJSON(JSONResponse):
    """JSON as the API writes it everywhere: dates, decimals and uuids in Directus's shapes."""

    def render(self, content: Any) -> bytes:
        return dumps_json(content).encode()


def items_service(request: Request) -> ItemsService:
    """The items service for this request's caller."""
    state = request.app.state
    return ItemsService(
        state.db, state.schema, state.settings, caller(request), cache=state.access_cache
    )


def _collection(request: Request) -> str:
    collection = request.path_params["collection"]
    if collection.startswith("directus_"):
        raise ForbiddenError()
    return collection


async def _run(function: Callable[..., T], *args: Any) -> T:
    """Services block on the database; they run off the event loop."""
    return await run_in_threadpool(function, *args)


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise InvalidPayloadError("The body must be JSON") from None


async def read_items(request: Request) -> Response:
    collection = _collection(request)
    query = request_query(request)

    def work() -> dict[str, Any]:
        items = items_service(request)
        if items.is_singleton(collection):
            return {"data": items.read_singleton(collection, query)}
        return items.read_by_query(collection, query).to_api()

    return DirectusJSON(await _run(work))


async def search_items(request: Request) -> Response:
    """``SEARCH``: the query in the body (``{"query": {...}}``), or ``{"keys": [...]}``."""
    collection = _collection(request)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise InvalidPayloadError('The body must be an object with "query" or "keys"')
    url_query = request_query(request)

    def work() -> dict[str, Any]:
        items = items_service(request)
        if "keys" in body:
            keys = body["keys"]
            if not isinstance(keys, list):
                raise InvalidPayloadError('"keys" must be an array')
            return {"data": items.read_many(collection, keys, url_query)}
        query = body.get("query", {})
        if not isinstance(query, dict):
            raise InvalidPayloadError('"query" must be an object')
        return items.read_by_query(collection, {**url_query, **query}).to_api()

    return DirectusJSON(await _run(work))


async def read_item(request: Request) -> Response:
    collection = _collection(request)
    key = request.path_params["key"]
    query = request_query(request)

    def work() -> dict[str, Any]:
        return {"data": items_service(request).read_one(collection, key, query)}

    return DirectusJSON(await _run(work))


routes = [
    Route("/items/{collection}", read_items, methods=["GET"]),
    Route("/items/{collection}", search_items, methods=["SEARCH"]),
    Route("/items/{collection}/{key}", read_item, methods=["GET"]),
]
