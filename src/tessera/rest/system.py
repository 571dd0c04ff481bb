"""``/users``, ``/roles``, ``/policies``, ``/permissions`` and ``/settings``: Directus's routes
for its access collections, each a thin layer over the items service on the matching
``directus_*`` collection, with the request's caller.

The rules those collections keep (unique emails, the password policy, the last admin …)
live in :mod:`tessera.services.users`, so every door keeps them. Reads take Directus's query
parameters; ``SEARCH`` takes ``{"query"}`` or ``{"keys"}`` in its body. Writes answer with
the written items re-read with the request's query, or ``204`` when the caller may not read
them back; deletes answer ``204``. Batch bodies are checked as Directus's ``validateBatch``
checks them, with its messages.

Where Directus is wrong this does what it means: ``SEARCH`` with ``keys`` reads those keys
(Directus ignores them outside ``/permissions``), and ``PATCH /users/me`` answers ``204``
when the caller may not read the fields asked for (Directus answers 403 after saving).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.errors import ForbiddenError, InvalidPayloadError
from tessera.rest.items import DirectusJSON, items_service
from tessera.rest.query_params import request_query
from tessera.services.items import ItemsService
from tessera.services.users import collection_access, current_user, own_roles, policy_globals

Scope = Literal["read", "update", "delete"]
Endpoint = Callable[[Request], Awaitable[Response]]


async def _body(request: Request) -> Any:
    """The JSON body; an empty one is ``{}``, as Express reads it."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return await request.json()
    except ValueError:
        raise InvalidPayloadError("The body must be JSON") from None


def _batch(body: Any, scope: Scope) -> Any:
    """A list (updates and deletes), or ``{keys | query}`` (and ``data`` for updates),
    refused with the first message Directus's Joi schema gives."""
    if scope != "read" and isinstance(body, list):
        return body
    if not isinstance(body, dict):
        raise InvalidPayloadError('"value" must be of type object')
    allowed = ("keys", "query", "data") if scope == "update" else ("keys", "query")
    for name in allowed:
        if name not in body:
            if name == "data":
                raise InvalidPayloadError('"data" is required')
        elif name == "keys":
            if not isinstance(body[name], list):
                raise InvalidPayloadError('"keys" must be an array')
            for index, key in enumerate(body[name]):
                if isinstance(key, bool) or not isinstance(key, str | int | float):
                    raise InvalidPayloadError(f'"keys[{index}]" must be one of [string, number]')
        elif not isinstance(body[name], dict):
            raise InvalidPayloadError(f'"{name}" must be of type object')
    unknown = [name for name in body if name not in allowed]
    if unknown:
        raise InvalidPayloadError(f'"{unknown[0]}" is not allowed')
    if scope != "read" and ("keys" in body) == ("query" in body):
        if "keys" in body:
            raise InvalidPayloadError(
                '"value" contains a conflict between exclusive peers [query, keys]'
            )
        raise InvalidPayloadError('"value" must contain at least one of [query, keys]')
    return body


def _written(read: Callable[[], Any]) -> Any:
    """The written items as the caller may read them back; None when they may not."""
    try:
        return read()
    except ForbiddenError:
        return None


def _answer(data: Any) -> Response:
    return Response(status_code=204) if data is None else DirectusJSON({"data": data})


def _route(path: str, **handlers: Endpoint) -> Route:
    """One route for every method of ``path``, so that a wrong method is told all of them."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, dispatch, methods=list(handlers))


def crud_routes(path: str, collection: str, *, unlimited: bool = False) -> list[BaseRoute]:
    """Directus's eight routes for ``collection`` under ``path`` (``unlimited``: list reads
    ignore the limit, as ``/permissions`` does)."""

    def read_query(request: Request) -> dict[str, Any]:
        query = request_query(request)
        return {**query, "limit": -1} if unlimited else query

    async def run(request: Request, work: Callable[[ItemsService], Any]) -> Any:
        return await run_in_threadpool(lambda: work(items_service(request)))

    async def read_list(request: Request) -> Response:
        query = read_query(request)
        page = await run(request, lambda items: items.read_by_query(collection, query))
        return DirectusJSON(page.to_api())

    async def search(request: Request) -> Response:
        body = _batch(await _body(request), "read")
        url_query = read_query(request)

        def work(items: ItemsService) -> dict[str, Any]:
            query = {**url_query, **body.get("query", {})}
            if "keys" in body:
                return {"data": items.read_many(collection, body["keys"], query)}
            return items.read_by_query(collection, query).to_api()

        return DirectusJSON(await run(request, work))

    async def read_one(request: Request) -> Response:
        key, query = request.path_params["key"], request_query(request)
        found = await run(request, lambda items: items.read_one(collection, key, query))
        return DirectusJSON({"data": found})

    async def create(request: Request) -> Response:
        body, query = await _body(request), request_query(request)

        def work(items: ItemsService) -> Any:
            if isinstance(body, list):
                keys = items.create_many(collection, body)
                return _written(lambda: items.read_many(collection, keys, query))
            if not isinstance(body, dict):
                raise InvalidPayloadError("The body must be an object or an array of objects")
            key = items.create_one(collection, body)
            return _written(lambda: items.read_one(collection, key, query))

        return _answer(await run(request, work))

    async def update_many(request: Request) -> Response:
        body, query = _batch(await _body(request), "update"), request_query(request)

        def work(items: ItemsService) -> Any:
            if isinstance(body, list):
                keys = items.update_batch(collection, body)
            elif "keys" in body:
                keys = items.update_many(collection, body["keys"], body["data"])
            else:
                keys = items.update_by_query(collection, body["query"], body["data"])
            return _written(lambda: items.read_many(collection, keys, query))

        return _answer(await run(request, work))

    async def update_one(request: Request) -> Response:
        body, query = await _body(request), request_query(request)
        key = request.path_params["key"]

        def work(items: ItemsService) -> Any:
            if not isinstance(body, dict):
                raise InvalidPayloadError("The body must be an object")
            written = items.update_one(collection, key, body)
            return _written(lambda: items.read_one(collection, written, query))

        return _answer(await run(request, work))

    async def delete_many(request: Request) -> Response:
        body = _batch(await _body(request), "delete")

        def work(items: ItemsService) -> None:
            if isinstance(body, list):
                items.delete_many(collection, body)
            elif "keys" in body:
                items.delete_many(collection, body["keys"])
            else:
                items.delete_by_query(collection, body["query"])

        await run(request, work)
        return Response(status_code=204)

    async def delete_one(request: Request) -> Response:
        key = request.path_params["key"]
        await run(request, lambda items: items.delete_one(collection, key))
        return Response(status_code=204)

    return [
        _route(
            path,
            GET=read_list,
            SEARCH=search,
            POST=create,
            PATCH=update_many,
            DELETE=delete_many,
        ),
        _route(path + "/{key}", GET=read_one, PATCH=update_one, DELETE=delete_one),
    ]


async def read_me(request: Request) -> Response:
    """The caller's user; only ``{id}`` when they may not read it (INVALID_CREDENTIALS for
    the public)."""
    query = request_query(request)

    def work() -> Any:
        items = items_service(request)
        me = current_user(items.accountability)
        try:
            return items.read_one("directus_users", me, query)
        except ForbiddenError:
            return {"id": me}

    return DirectusJSON({"data": await run_in_threadpool(work)})


async def update_me(request: Request) -> Response:
    """Update the caller's user, within what their permissions let them change."""
    body, query = await _body(request), request_query(request)

    def work() -> Any:
        items = items_service(request)
        me = current_user(items.accountability)
        if not isinstance(body, dict):
            raise InvalidPayloadError("The body must be an object")
        items.update_one("directus_users", me, body)
        return _written(lambda: items.read_one("directus_users", me, query))

    return _answer(await run_in_threadpool(work))


async def my_roles(request: Request) -> Response:
    """The caller's role and its ancestors; only their ids when the caller may not read them."""
    query = {**request_query(request), "limit": -1}

    def work() -> Any:
        items = items_service(request)
        roles = own_roles(items.accountability)
        try:
            return items.read_many("directus_roles", roles, query)
        except ForbiddenError:
            return [{"id": role} for role in roles]

    return DirectusJSON({"data": await run_in_threadpool(work)})


async def my_policy_globals(request: Request) -> Response:
    def work() -> Any:
        try:
            return policy_globals(items_service(request))
        except ForbiddenError:
            return {"app_access": False}

    return DirectusJSON({"data": await run_in_threadpool(work)})


async def my_permissions(request: Request) -> Response:
    data = await run_in_threadpool(lambda: collection_access(items_service(request)))
    return DirectusJSON({"data": data})


async def read_settings(request: Request) -> Response:
    query = request_query(request)
    data = await run_in_threadpool(
        lambda: items_service(request).read_singleton("directus_settings", query)
    )
    return DirectusJSON({"data": data})


async def update_settings(request: Request) -> Response:
    body, query = await _body(request), request_query(request)

    def work() -> Any:
        if not isinstance(body, dict):
            raise InvalidPayloadError("The body must be an object")
        items = items_service(request)
        items.upsert_singleton("directus_settings", body)
        return _written(lambda: items.read_singleton("directus_settings", query))

    return _answer(await run_in_threadpool(work))


#: The ``/me`` routes come first: ``/users/{key}`` would take ``me`` as a key.
routes: list[BaseRoute] = [
    _route("/users/me", GET=read_me, PATCH=update_me),
    _route("/roles/me", GET=my_roles),
    _route("/policies/me/globals", GET=my_policy_globals),
    _route("/permissions/me", GET=my_permissions),
    _route("/settings", GET=read_settings, PATCH=update_settings),
    *crud_routes("/users", "directus_users"),
    *crud_routes("/roles", "directus_roles"),
    *crud_routes("/policies", "directus_policies"),
    *crud_routes("/permissions", "directus_permissions", unlimited=True),
]
