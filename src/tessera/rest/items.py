"""``/items/:collection``: Directus's item routes, each a thin layer over the items service.

System collections have their own routes; ``/items/directus_*`` is FORBIDDEN, as in
Directus. Query parameters use Directus's syntax (see :mod:`tessera.rest.query_params`);
``SEARCH`` takes the query, or ``keys``, in its body.

Writes answer with the written items, re-read with the request's query (``fields`` …);
when the caller may not read them back the answer is ``204`` with no body, as in Directus.
``PATCH /items/:collection`` takes a list of items with their keys, ``{keys, data}``,
``{query, data}``, or — on a singleton — the item itself; ``DELETE`` takes a list of
keys, ``{keys}`` or ``{query}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tessera.db.engine import dumps_json
from tessera.errors import ForbiddenError, InvalidPayloadError, RouteNotFoundError
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
        state.db,
        state.schema,
        state.settings,
        caller(request),
        cache=state.access_cache,
        events=state.flows.events.emitter(),
    )


def _collection(request: Request) -> str:
    collection = request.path_params["collection"]
    if collection.startswith("directus_"):
        raise ForbiddenError()
    return collection


async def run_service(function: Callable[..., T], *args: Any) -> T:
    """Services block on the database; they run off the event loop."""
    return await run_in_threadpool(function, *args)


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise InvalidPayloadError("The body must be JSON") from None


def _written(items: ItemsService, collection: str, keys: list[Any], query: Any, one: bool) -> Any:
    """The written items as the caller may read them back; None when they may not."""
    try:
        if one:
            return items.read_one(collection, keys[0], query)
        return items.read_many(collection, keys, query)
    except ForbiddenError:
        return None


def _answer(data: Any) -> Response:
    return Response(status_code=204) if data is None else DirectusJSON({"data": data})


def _selection(given: dict[str, Any]) -> tuple[list[Any] | None, dict[str, Any]]:
    """The items a PATCH or DELETE body names: its ``keys``, else its ``query``."""
    if "keys" in given:
        if not isinstance(given["keys"], list):
            raise InvalidPayloadError('"keys" must be an array')
        return given["keys"], {}
    if "query" in given:
        return None, _object(given["query"], '"query" must be an object')
    raise InvalidPayloadError('"keys" or "query" is required')


def _object(body: Any, message: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidPayloadError(message)
    return body


async def read_items(request: Request) -> Response:
    collection = _collection(request)
    query = request_query(request)

    def work() -> dict[str, Any]:
        items = items_service(request)
        if items.is_singleton(collection):
            return {"data": items.read_singleton(collection, query)}
        return items.read_by_query(collection, query).to_api()

    return DirectusJSON(await run_service(work))


async def search_items(request: Request) -> Response:
    """``SEARCH``: the query in the body (``{"query": {...}}``), or ``{"keys": [...]}``."""
    collection = _collection(request)
    body = await json_body(request)
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

    return DirectusJSON(await run_service(work))


async def read_item(request: Request) -> Response:
    collection = _collection(request)
    key = request.path_params["key"]
    query = request_query(request)

    def work() -> dict[str, Any]:
        return {"data": items_service(request).read_one(collection, key, query)}

    return DirectusJSON(await run_service(work))


async def create_items(request: Request) -> Response:
    collection = _collection(request)
    body = await json_body(request)
    query = request_query(request)

    def work() -> Any:
        items = items_service(request)
        if items.is_singleton(collection):
            path = request.url.path
            raise RouteNotFoundError(f"Route {path} doesn't exist.", path=path)
        if isinstance(body, list):
            keys = items.create_many(collection, body)
            return _written(items, collection, keys, query, one=False)
        created = _object(body, "The body must be an object or an array of objects")
        return _written(items, collection, [items.create_one(collection, created)], query, True)

    return _answer(await run_service(work))


async def update_items(request: Request) -> Response:
    collection = _collection(request)
    body = await json_body(request)
    query = request_query(request)

    def work() -> Any:
        items = items_service(request)
        if items.is_singleton(collection):
            data = _object(body, "The body must be an object")
            key = items.upsert_singleton(collection, data)
            return _written(items, collection, [key], query, one=True)
        if isinstance(body, list):
            keys = items.update_batch(collection, body)
            return _written(items, collection, keys, query, one=False)
        given = _object(body, "The body must be an array of items, or an object")
        if "data" not in given:
            raise InvalidPayloadError('"data" is required')
        data = _object(given["data"], '"data" must be an object')
        chosen, selected = _selection(given)
        if chosen is not None:
            keys = items.update_many(collection, chosen, data)
        else:
            keys = items.update_by_query(collection, selected, data)
        return _written(items, collection, keys, query, one=False)

    return _answer(await run_service(work))


async def update_item(request: Request) -> Response:
    collection = _collection(request)
    body = await json_body(request)
    query = request_query(request)
    key = request.path_params["key"]

    def work() -> Any:
        items = items_service(request)
        data = _object(body, "The body must be an object")
        written = items.update_one(collection, key, data)
        return _written(items, collection, [written], query, one=True)

    return _answer(await run_service(work))


async def delete_items(request: Request) -> Response:
    collection = _collection(request)
    body = await json_body(request)

    def work() -> None:
        items = items_service(request)
        if isinstance(body, list):
            items.delete_many(collection, body)
            return
        given = _object(body, "The body must be an array of keys, or an object")
        unknown = sorted(set(given) - {"keys", "query"})
        if unknown:
            raise InvalidPayloadError(f'"{unknown[0]}" is not allowed')
        chosen, selected = _selection(given)
        if chosen is not None:
            items.delete_many(collection, chosen)
        else:
            items.delete_by_query(collection, selected)

    await run_service(work)
    return Response(status_code=204)


async def delete_item(request: Request) -> Response:
    collection = _collection(request)
    key = request.path_params["key"]
    await run_service(lambda: items_service(request).delete_one(collection, key))
    return Response(status_code=204)


routes = [
    Route("/items/{collection}", read_items, methods=["GET"]),
    Route("/items/{collection}", search_items, methods=["SEARCH"]),
    Route("/items/{collection}", create_items, methods=["POST"]),
    Route("/items/{collection}", update_items, methods=["PATCH"]),
    Route("/items/{collection}", delete_items, methods=["DELETE"]),
    Route("/items/{collection}/{key}", read_item, methods=["GET"]),
    Route("/items/{collection}/{key}", update_item, methods=["PATCH"]),
    Route("/items/{collection}/{key}", delete_item, methods=["DELETE"]),
]
