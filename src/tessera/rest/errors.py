"""Every failure as Directus's error envelope: ``{"errors": [{message, extensions: {code}}]}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

from tessera.errors import (
    FailedValidationError,
    RequestsExceededError,
    RouteNotFoundError,
    TesseraError,
)

log = logging.getLogger("tessera.rest")


class MethodNotAllowedError(TesseraError):
    code = "METHOD_NOT_ALLOWED"
    status = 405


def error_response(error: TesseraError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The envelope; a failed validation lists each of its failures as an error of its own.

    A rate limit's answer says when to come back (``Retry-After``), whichever route hit it.
    """
    if isinstance(error, RequestsExceededError):
        headers = {"Retry-After": str(error.retry_after), **(headers or {})}
    if isinstance(error, FailedValidationError):
        entries = error.to_dicts()
    else:
        entries = [error.to_dict()]
    return JSONResponse({"errors": entries}, status_code=error.status, headers=headers)


#: Errors that mean the caller's credentials are no good any more.
_BAD_CREDENTIALS = frozenset({"INVALID_CREDENTIALS", "INVALID_TOKEN", "TOKEN_EXPIRED"})


async def tessera_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TesseraError)
    response = error_response(exc)
    settings = getattr(request.app.state, "settings", None)
    if settings is not None and exc.code in _BAD_CREDENTIALS:
        # A browser holding a session cookie that no longer works drops it, as in Directus.
        name = settings.session_cookie_name
        if name in request.cookies:
            response.delete_cookie(name, path="/", domain=settings.session_cookie_domain)
    return response


async def route_not_found(request: Request, _exc: Exception) -> Response:
    path = request.url.path
    return error_response(RouteNotFoundError(f"Route {path} doesn't exist.", path=path))


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    allowed = sorted((exc.headers or {}).get("Allow", "").split(", "))
    listed = ", ".join(f'"{method}"' for method in allowed)
    error = MethodNotAllowedError(
        f'Invalid method "{request.method}" used. Should be one of {listed}.',
        allowed=allowed,
        current=request.method,
    )
    return error_response(error, headers={"Allow": ", ".join(allowed)})


EXCEPTION_HANDLERS: Mapping[Any, ExceptionHandler] = {
    TesseraError: tessera_error,
    404: route_not_found,
    405: method_not_allowed,
}


class UnexpectedErrors:
    """Answers any other exception with a generic 500 and logs it with its traceback.

    Starlette's own last-resort handler re-raises after answering, which makes the
    server log the traceback a second time; this one keeps it to our log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("Unexpected error answering %s %s", scope["method"], scope["path"])
            if started:
                raise
            error = TesseraError("An unexpected error occurred.")
            await error_response(error)(scope, receive, send)
