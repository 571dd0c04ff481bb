"""``request``: an HTTP request to ``url``, through the guard every outbound request passes.

As Directus's: ``method`` (GET by default), ``headers`` as a list of ``{header, value}``,
and ``body`` — an object is sent as JSON, a string as it is, and either gets
``Content-Type: application/json`` unless a header sets one (a string only when it is
JSON). The value is ``{status, statusText, headers, data}``, ``data`` parsed when it is
JSON; an answer that is not 2xx takes the reject path with that same shape as the value.

The address is checked as for file imports (:mod:`tessera.services.outbound`): by default
no loopback, private or metadata address, with ``IMPORT_IP_DENY_LIST``; redirects are
followed and checked hop by hop, and ``IMPORT_TIMEOUT`` bounds the whole request. A
refused address, a failed connection or a timeout rejects with ``{name: "Error", message}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tessera.errors import InvalidPayloadError
from tessera.services.flows.errors import OperationError, RejectedWith
from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    as_object,
    as_text,
    check_required,
    is_template,
)
from tessera.services.outbound import Outbound, OutboundRefused


def run(options: dict[str, Any], context: Context) -> dict[str, Any]:
    url = as_text(options.get("url"))
    if not url:
        raise InvalidPayloadError('"url" is required')
    method = (as_text(options.get("method")) or "GET").upper()
    headers = _headers(options.get("headers"))
    body = options.get("body")
    content: bytes | None = None
    if isinstance(body, str) and body != "":
        content = body.encode()
    elif body is not None and not isinstance(body, str):
        content = json.dumps(body, separators=(",", ":")).encode()
    wants_json = isinstance(body, Mapping | list) or (isinstance(body, str) and _is_json(body))
    if wants_json and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    outbound = Outbound.from_settings(context.runner.settings)

    async def send() -> dict[str, Any]:
        async with (
            asyncio.timeout(outbound.timeout),
            outbound.request(method, url, headers, content) as response,
        ):
            raw = await response.aread()
            return {
                "status": response.status_code,
                "statusText": response.reason_phrase,
                "headers": dict(response.headers),
                "data": _data(raw, response.encoding or "utf-8"),
            }

    try:
        answer = _blocking(send)
    except OutboundRefused as error:
        raise OperationError("Error", str(error)) from None
    except httpx.HTTPError as error:
        raise OperationError("Error", str(error) or type(error).__name__) from None
    except TimeoutError:
        raise OperationError("Error", f"timeout of {outbound.timeout:g}s exceeded") from None
    if not 200 <= answer["status"] < 300:
        raise RejectedWith(answer, f"Request failed with status code {answer['status']}")
    return answer


def check(options: Mapping[str, Any]) -> None:
    check_required(options, "url")
    method = options.get("method")
    named = method in (None, "") or is_template(method)
    if not named and (not isinstance(method, str) or not method.isalpha()):
        raise InvalidPayloadError(f'"options.method" has to be an HTTP method, not {method!r}')
    headers = options.get("headers")
    if headers is not None and not is_template(headers):
        _headers(headers)


def _headers(value: Any) -> dict[str, str]:
    """The ``[{header, value}]`` list as a mapping."""
    value = as_object(value, "headers") if value not in (None, "") else []
    if not isinstance(value, list) or not all(
        isinstance(entry, Mapping) and isinstance(entry.get("header"), str) for entry in value
    ):
        raise InvalidPayloadError('"headers" has to be a list of {"header", "value"}')
    return {entry["header"]: as_text(entry.get("value")) for entry in value}


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _data(raw: bytes, encoding: str) -> Any:
    """The body as axios leaves it: parsed when it is JSON, else text."""
    text = raw.decode(encoding, errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _blocking(work: Callable[[], Coroutine[Any, Any, dict[str, Any]]]) -> dict[str, Any]:
    """Run the request to the end from synchronous code, on a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()


KIND = OperationKind("request", run, check)
