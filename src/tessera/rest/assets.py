"""``GET /assets/:id[/:filename]`` (and ``HEAD``): a file's bytes, or a transformed image.

Headers are Directus's: ``Content-Disposition`` inline (``attachment`` with ``?download``)
naming the file's ``filename_download`` unless the path gives a name, ``Cache-Control`` from
``ASSETS_CACHE_TTL`` (``public`` for an anonymous caller, else ``private``), ``ETag`` and
``Last-Modified`` from the file's ``modified_on``, ``Accept-Ranges``, and a
``Content-Security-Policy`` that lets nothing in an asset run. Ranges apply to originals only
(any transformation parameter serves the whole answer), as in Directus.

Where Directus is wrong, this is not: ``If-None-Match`` and ``If-Modified-Since`` are
answered 304 whether or not ``ASSETS_CACHE_REVALIDATE`` is on, a one-byte range is
satisfiable, a ``HEAD`` answers what the ``GET`` would (206 for a range), a 416 says the
size in ``Content-Range``, and a variant's ``ETag`` differs from its original's.
"""

from __future__ import annotations

import email.utils
import math
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tessera.config import parse_duration
from tessera.rest.caller import caller
from tessera.rest.errors import error_response
from tessera.services.assets import (
    Asset,
    AssetsService,
    RangeNotSatisfiableError,
    byte_range,
)


async def assets_service(request: Request) -> AssetsService:
    """The assets service for this request's caller (resolved off the event loop)."""
    state = request.app.state
    accountability = await run_in_threadpool(caller, request)
    return AssetsService(
        state.db, state.schema, state.settings, state.storage, accountability, state.access_cache
    )


async def read_asset(request: Request) -> Response:
    service = await assets_service(request)
    query = dict(request.query_params)
    asset = await service.get(request.path_params["pk"], query, request.headers.get("accept"))
    headers = _headers(request, asset, service)
    if _not_modified(request, headers):
        kept = ("etag", "last-modified", "cache-control", "vary")
        return Response(status_code=304, headers={k: v for k, v in headers.items() if k in kept})
    name = request.path_params.get("filename") or asset.file.get("filename_download")
    kind = "attachment" if "download" in query else "inline"
    headers["content-disposition"] = content_disposition(kind, name or str(asset.file["id"]))
    status, offset, length = 200, 0, None
    if not asset.transform_params:
        try:
            found = byte_range(request.headers.get("range"), asset.size)
        except RangeNotSatisfiableError as exc:
            return error_response(exc, {"content-range": f"bytes */{exc.size}"})
        if found is not None:
            status, offset, length = 206, found[0], found[1] - found[0] + 1
            headers["content-range"] = f"bytes {found[0]}-{found[1]}/{asset.size}"
    headers["content-length"] = str(asset.size if length is None else length)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    return StreamingResponse(asset.read(offset, length), status_code=status, headers=headers)


def _headers(request: Request, asset: Asset, service: AssetsService) -> dict[str, str]:
    settings = service.settings
    headers = {"accept-ranges": "bytes", "content-security-policy": "default-src 'none'"}
    if asset.content_type:
        headers["content-type"] = asset.content_type
    if settings.assets_cache_revalidate:
        headers["cache-control"] = "max-age=0, must-revalidate"
    else:
        ttl = math.floor(parse_duration(settings.assets_cache_ttl).total_seconds() + 0.5)
        anonymous = service.accountability is None or not service.accountability.role
        headers["cache-control"] = f"{'public' if anonymous else 'private'}, max-age={ttl}"
    headers["vary"] = "Origin, Cache-Control" + (", Accept" if asset.by_accept else "")
    modified = asset.modified
    if modified is not None:
        seconds = math.floor(modified.timestamp())
        headers["last-modified"] = email.utils.formatdate(seconds, usegmt=True)
        tag = f"{seconds}-{asset.variant[:12]}" if asset.variant else str(seconds)
        headers["etag"] = f'"{tag}"'
    return headers


def _not_modified(request: Request, headers: dict[str, str]) -> bool:
    """Whether the client's copy is current (``If-None-Match`` wins over the date)."""
    etag = headers.get("etag")
    given = request.headers.get("if-none-match")
    if given is not None:
        tags = [tag.strip().removeprefix("W/") for tag in given.split(",")]
        return etag is not None and ("*" in tags or etag in tags)
    since = request.headers.get("if-modified-since")
    modified = headers.get("last-modified")
    if since and modified:
        try:
            client = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return email.utils.parsedate_to_datetime(modified) <= client
    return False


def content_disposition(kind: str, filename: str) -> str:
    """``inline; filename="…"``, with ``filename*`` (RFC 5987) for a name beyond Latin-1."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in filename)
    quoted = fallback.replace("\\", "\\\\").replace('"', '\\"')
    value = f'{kind}; filename="{quoted}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


routes = [
    Route("/assets/{pk}", read_asset, methods=["GET", "HEAD"]),
    Route("/assets/{pk}/{filename}", read_asset, methods=["GET", "HEAD"]),
]
