"""``/files`` and ``/folders``: Directus's routes for files, over the files service.

``POST /files`` takes ``multipart/form-data``: the form fields sent before a file are that
file's values (``title``, ``folder``, ``storage`` …) and each file is streamed to storage
as it arrives; one file answers its row, several a list. ``PATCH /files/:id`` with a
multipart body replaces the content and keeps the id; with JSON it changes the row.
``POST /files/import`` takes ``{url, data}``. Reads and the batch forms of PATCH and
DELETE are Directus's, through the items service's query language. ``/folders`` is the
plain eight routes of a system collection.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from tessera.errors import InvalidPayloadError
from tessera.rest.caller import caller
from tessera.rest.items import DirectusJSON
from tessera.rest.multipart import MultipartReader
from tessera.rest.query_params import request_query
from tessera.rest.system import _answer, _batch, _body, _route, _written, crud_routes
from tessera.services.files.service import FILES, FilesService
from tessera.services.items import ItemsService

_FIELD_VALUES: dict[str, Any] = {"null": None, "true": True, "false": False}


def files_service(request: Request) -> FilesService:
    state = request.app.state
    return FilesService(
        state.db,
        state.schema,
        state.settings,
        state.storage,
        caller(request),
        cache=state.access_cache,
        events=state.flows.events.emitter(),
    )


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def _uploaded(request: Request, files: FilesService, key: Any = None) -> list[str]:
    """Store every file of the multipart body; their ids in order."""
    reader = MultipartReader(request.stream(), request.headers["content-type"])
    values: dict[str, Any] = {}
    keys: list[str] = []
    while (part := await reader.next_part()) is not None:
        if part.filename is None:
            text = await part.text()
            values[part.name] = _FIELD_VALUES.get(text.strip(), text)
            continue
        if not part.filename:
            raise InvalidPayloadError("File is missing filename")
        keys.append(
            await files.upload(
                part.chunks(),
                values,
                filename=part.filename,
                declared_type=part.content_type,
                key=key,
            )
        )
        values = {}
    if not keys:
        raise InvalidPayloadError("No files were included in the body")
    return keys


async def _read_back(items: ItemsService, keys: list[Any], query: dict[str, Any]) -> Any:
    """The stored files as the caller may read them, in upload order; None when they may
    not read them (the answer is then 204, as in Directus)."""
    if len(keys) == 1:
        return await run_in_threadpool(_written, lambda: items.read_one(FILES, keys[0], query))
    found = await run_in_threadpool(_written, lambda: items.read_many(FILES, keys, query))
    order = {key: index for index, key in enumerate(keys)}
    if found and all("id" in row for row in found):
        found.sort(key=lambda row: order.get(str(row["id"]), len(order)))
    return found


async def create(request: Request) -> Response:
    files, query = files_service(request), request_query(request)
    if _is_multipart(request):
        keys = await _uploaded(request, files)
    else:
        body = await _body(request)
        if not isinstance(body, dict):
            raise InvalidPayloadError("The body must be an object")
        if not body.get("type"):
            raise InvalidPayloadError('"type" is required')
        keys = [await run_in_threadpool(lambda: files.items().create_one(FILES, body))]
    return _answer(await _read_back(files.items(), keys, query))


async def import_file(request: Request) -> Response:
    body, query = await _body(request), request_query(request)
    if not isinstance(body, dict):
        raise InvalidPayloadError('"value" must be of type object')
    unknown = [name for name in body if name not in ("url", "data", "options")]
    if unknown:
        raise InvalidPayloadError(f'"{unknown[0]}" is not allowed')
    if "url" not in body:
        raise InvalidPayloadError('"url" is required')
    if not isinstance(body["url"], str):
        raise InvalidPayloadError('"url" must be a string')
    if "data" in body and not isinstance(body["data"], dict):
        raise InvalidPayloadError('"data" must be of type object')
    files = files_service(request)
    key = await files.import_url(body["url"], body.get("data"))
    return _answer(await _read_back(files.items(), [key], query))


async def update_one(request: Request) -> Response:
    files, query = files_service(request), request_query(request)
    key = request.path_params["key"]
    if _is_multipart(request):
        keys = await _uploaded(request, files, key=key)
    else:
        body = await _body(request)
        if not isinstance(body, dict):
            raise InvalidPayloadError("The body must be an object")
        keys = await files.update_many([key], body)
    return _answer(await _read_back(files.items(), keys[:1], query))


async def update_many(request: Request) -> Response:
    files, query = files_service(request), request_query(request)
    body = _batch(await _body(request), "update")
    if isinstance(body, list):
        keys = await files.update_batch(body)
    elif "keys" in body:
        keys = await files.update_many(body["keys"], body["data"])
    else:
        keys = await files.update_by_query(body["query"], body["data"])
    items = files.items()
    return _answer(await run_in_threadpool(_written, lambda: items.read_many(FILES, keys, query)))


async def delete_many(request: Request) -> Response:
    files = files_service(request)
    body = _batch(await _body(request), "delete")
    if isinstance(body, list):
        await files.delete_many(body)
    elif "keys" in body:
        await files.delete_many(body["keys"])
    else:
        await files.delete_by_query(body["query"])
    return Response(status_code=204)


async def delete_one(request: Request) -> Response:
    await files_service(request).delete_many([request.path_params["key"]])
    return Response(status_code=204)


async def _read_list(request: Request) -> Response:
    page = await run_in_threadpool(
        lambda: files_service(request).items().read_by_query(FILES, request_query(request))
    )
    return DirectusJSON(page.to_api())


async def _search(request: Request) -> Response:
    body, url_query = _batch(await _body(request), "read"), request_query(request)
    items = files_service(request).items()

    def work() -> dict[str, Any]:
        query = {**url_query, **body.get("query", {})}
        if "keys" in body:
            return {"data": items.read_many(FILES, body["keys"], query)}
        return items.read_by_query(FILES, query).to_api()

    return DirectusJSON(await run_in_threadpool(work))


async def _read_one(request: Request) -> Response:
    key, query = request.path_params["key"], request_query(request)
    items = files_service(request).items()
    found = await run_in_threadpool(lambda: items.read_one(FILES, key, query))
    return DirectusJSON({"data": found})


routes: list[BaseRoute] = [
    _route("/files/import", POST=import_file),
    _route(
        "/files",
        GET=_read_list,
        SEARCH=_search,
        POST=create,
        PATCH=update_many,
        DELETE=delete_many,
    ),
    _route("/files/{key}", GET=_read_one, PATCH=update_one, DELETE=delete_one),
    *crud_routes("/folders", "directus_folders"),
]
