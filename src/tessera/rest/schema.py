"""``/collections``, ``/fields`` and ``/relations``: the schema services over HTTP.

Reads show what the caller's read permissions cover (the services narrow the schema);
writes are for admins. As in Directus, these routes check the query string like any other
(a malformed one is INVALID_QUERY) but otherwise ignore it: ``fields``, ``filter``,
``limit`` or ``meta`` do not shape the answer. A write answers ``200`` with what was
written; a delete answers ``204``.

``POST /collections`` takes one collection or a list; ``PATCH /collections`` and
``PATCH /fields/:collection`` take a list of changes. A list is one transaction: every
change in it lands, or none does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.errors import InvalidPayloadError
from tessera.query.parse import parse_query
from tessera.rest.caller import caller
from tessera.rest.items import DirectusJSON, json_body, run_service
from tessera.rest.query_params import request_query
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.items import collection_forbidden
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext

FIELDS, RELATIONS = "directus_fields", "directus_relations"


def _context(request: Request) -> SchemaContext:
    """The schema services' context for this request's caller (call it off the event loop)."""
    state = request.app.state
    return SchemaContext(state.db, state.schema, caller(request))


def _check_query(request: Request) -> None:
    """Directus validates every route's query string, even where it has no use for it."""
    settings = request.app.state.settings
    parse_query(
        request_query(request),
        limit_default=settings.query_limit_default,
        limit_max=settings.query_limit_cap,
    )


def _known(request: Request, context: SchemaContext, kind: str) -> str:
    """The path's collection, if the caller may see it through ``kind``.

    As Directus does before it looks any further, a collection that does not exist is
    FORBIDDEN naming it; so is one the caller may not read, which keeps the two alike.
    """
    collection = request.path_params["collection"]
    if collection not in context.overview(kind).collections:
        raise collection_forbidden(collection)
    return collection


def _list(body: Any, reason: str) -> list[Any]:
    if not isinstance(body, list):
        raise InvalidPayloadError(reason)
    return body


async def _answer(request: Request, work: Callable[[SchemaContext], Any]) -> Response:
    """Run ``work`` off the event loop; its result is the ``data``, None is ``204``."""
    _check_query(request)
    data = await run_service(lambda: work(_context(request)))
    return Response(status_code=204) if data is None else DirectusJSON({"data": data})


# --- /collections -------------------------------------------------------------------------


async def read_collections(request: Request) -> Response:
    return await _answer(request, lambda context: CollectionsService(context).read_all())


async def read_collection(request: Request) -> Response:
    collection = request.path_params["collection"]
    return await _answer(request, lambda context: CollectionsService(context).read_one(collection))


async def create_collections(request: Request) -> Response:
    body = await json_body(request)

    def work(context: SchemaContext) -> Any:
        service = CollectionsService(context)
        if not isinstance(body, list):
            return service.create(body)
        with context.transaction():
            return [service.create(payload) for payload in body]

    return await _answer(request, work)


async def update_collections(request: Request) -> Response:
    """``PATCH /collections``: a list of ``{collection, meta}``."""
    body = _list(await json_body(request), "Input should be an array of collection changes")

    def work(context: SchemaContext) -> Any:
        service = CollectionsService(context)
        with context.transaction():
            updated = []
            for change in body:
                if not isinstance(change, dict) or not isinstance(change.get("collection"), str):
                    raise InvalidPayloadError('Each change must be an object with "collection"')
                updated.append(service.update(change["collection"], change))
            return updated

    return await _answer(request, work)


async def update_collection(request: Request) -> Response:
    collection = request.path_params["collection"]
    body = await json_body(request)
    return await _answer(
        request, lambda context: CollectionsService(context).update(collection, body)
    )


async def delete_collection(request: Request) -> Response:
    collection = request.path_params["collection"]
    return await _answer(request, lambda context: CollectionsService(context).delete(collection))


# --- /fields ------------------------------------------------------------------------------


async def read_all_fields(request: Request) -> Response:
    return await _answer(request, lambda context: FieldsService(context).read_all())


async def read_fields(request: Request) -> Response:
    return await _answer(
        request, lambda context: FieldsService(context).read_all(_known(request, context, FIELDS))
    )


async def read_field(request: Request) -> Response:
    field = request.path_params["field"]
    return await _answer(
        request,
        lambda context: FieldsService(context).read_one(_known(request, context, FIELDS), field),
    )


async def create_field(request: Request) -> Response:
    body = await json_body(request)
    return await _answer(
        request,
        lambda context: FieldsService(context).create(_known(request, context, FIELDS), body),
    )


async def update_fields(request: Request) -> Response:
    """``PATCH /fields/:collection``: a list of fields, each naming itself in ``field``."""
    body = _list(await json_body(request), "Submitted body has to be an array")

    def work(context: SchemaContext) -> Any:
        collection = _known(request, context, FIELDS)
        service = FieldsService(context)
        with context.transaction():
            updated = []
            for change in body:
                if not isinstance(change, dict) or not isinstance(change.get("field"), str):
                    raise InvalidPayloadError('Each field must be an object with "field"')
                updated.append(service.update(collection, change["field"], change))
            return updated

    return await _answer(request, work)


async def update_field(request: Request) -> Response:
    field = request.path_params["field"]
    body = await json_body(request)
    return await _answer(
        request,
        lambda context: FieldsService(context).update(
            _known(request, context, FIELDS), field, body
        ),
    )


async def delete_field(request: Request) -> Response:
    field = request.path_params["field"]
    return await _answer(
        request,
        lambda context: FieldsService(context).delete(_known(request, context, FIELDS), field),
    )


# --- /relations ---------------------------------------------------------------------------


async def read_all_relations(request: Request) -> Response:
    return await _answer(request, lambda context: RelationsService(context).read_all())


async def read_relations(request: Request) -> Response:
    return await _answer(
        request,
        lambda context: RelationsService(context).read_all(_known(request, context, RELATIONS)),
    )


async def read_relation(request: Request) -> Response:
    field = request.path_params["field"]
    return await _answer(
        request,
        lambda context: RelationsService(context).read_one(
            _known(request, context, RELATIONS), field
        ),
    )


async def create_relation(request: Request) -> Response:
    body = await json_body(request)
    return await _answer(request, lambda context: RelationsService(context).create(body))


async def update_relation(request: Request) -> Response:
    field = request.path_params["field"]
    body = await json_body(request)
    return await _answer(
        request,
        lambda context: RelationsService(context).update(
            _known(request, context, RELATIONS), field, body
        ),
    )


async def delete_relation(request: Request) -> Response:
    field = request.path_params["field"]
    return await _answer(
        request,
        lambda context: RelationsService(context).delete(
            _known(request, context, RELATIONS), field
        ),
    )


routes = [
    Route("/collections", read_collections, methods=["GET"]),
    Route("/collections", create_collections, methods=["POST"]),
    Route("/collections", update_collections, methods=["PATCH"]),
    Route("/collections/{collection}", read_collection, methods=["GET"]),
    Route("/collections/{collection}", update_collection, methods=["PATCH"]),
    Route("/collections/{collection}", delete_collection, methods=["DELETE"]),
    Route("/fields", read_all_fields, methods=["GET"]),
    Route("/fields/{collection}", read_fields, methods=["GET"]),
    Route("/fields/{collection}", create_field, methods=["POST"]),
    Route("/fields/{collection}", update_fields, methods=["PATCH"]),
    Route("/fields/{collection}/{field}", read_field, methods=["GET"]),
    Route("/fields/{collection}/{field}", update_field, methods=["PATCH"]),
    Route("/fields/{collection}/{field}", delete_field, methods=["DELETE"]),
    Route("/relations", read_all_relations, methods=["GET"]),
    Route("/relations", create_relation, methods=["POST"]),
    Route("/relations/{collection}", read_relations, methods=["GET"]),
    Route("/relations/{collection}/{field}", read_relation, methods=["GET"]),
    Route("/relations/{collection}/{field}", update_relation, methods=["PATCH"]),
    Route("/relations/{collection}/{field}", delete_relation, methods=["DELETE"]),
]
