"""``/auth/*``: sign in, refresh, sign out (``mode`` json or cookie)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tessera.errors import InvalidPayloadError
from tessera.rest.caller import client_of
from tessera.services.auth import Tokens

REFRESH_COOKIE = "directus_refresh_token"
MODES = ("json", "cookie")


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidPayloadError("The body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidPayloadError("The body must be a JSON object")
    mode = body.get("mode", "json")
    if mode not in MODES:
        raise InvalidPayloadError(f'"mode" must be one of {", ".join(MODES)}')
    return body


def _answer(request: Request, tokens: Tokens, mode: str) -> JSONResponse:
    data = tokens.to_api()
    if mode == "json":
        return JSONResponse({"data": data})
    del data["refresh_token"]
    response = JSONResponse({"data": data})
    ttl = request.app.state.auth.refresh_ttl
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
        path="/",
    )
    return response


async def login(request: Request) -> Response:
    body = await _body(request)
    auth = request.app.state.auth
    tokens = await _in_thread(
        auth.login, body.get("email"), body.get("password"), client_of(request)
    )
    return _answer(request, tokens, body.get("mode", "json"))


async def refresh(request: Request) -> Response:
    body = await _body(request)
    token = body.get("refresh_token") or request.cookies.get(REFRESH_COOKIE)
    tokens = await _in_thread(request.app.state.auth.refresh, token, client_of(request))
    return _answer(request, tokens, body.get("mode", "json"))


async def logout(request: Request) -> Response:
    body = await _body(request)
    token = body.get("refresh_token") or request.cookies.get(REFRESH_COOKIE)
    await _in_thread(request.app.state.auth.logout, token)
    response = Response(status_code=204)
    response.delete_cookie(REFRESH_COOKIE, path="/")
    return response


async def _in_thread(function: Any, *args: Any) -> Any:
    """Database work and password hashing block; they run off the event loop."""
    return await run_in_threadpool(function, *args)


routes = [
    Route("/auth/login", login, methods=["POST"]),
    Route("/auth/refresh", refresh, methods=["POST"]),
    Route("/auth/logout", logout, methods=["POST"]),
]
