"""``/auth/*``: sign in, refresh, sign out, in Directus's three modes.

``json`` answers both tokens in the body. ``cookie`` keeps the refresh token in an
HttpOnly cookie and answers the access token. ``session`` puts a session JWT in an
HttpOnly cookie, which then authenticates the browser's requests by itself
(:func:`tessera.rest.caller.request_token`), and answers only ``expires``.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tessera.config import Settings
from tessera.errors import InvalidPayloadError
from tessera.rest.caller import client_of
from tessera.services.auth import AuthService, Tokens

MODES = ("cookie", "json", "session")


async def _body(request: Request) -> dict[str, Any]:
    """The JSON body (an empty one is ``{}``, as Express reads it), with a known ``mode``."""
    raw = await request.body()
    try:
        body = await request.json() if raw.strip() else {}
    except ValueError:
        raise InvalidPayloadError("The body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidPayloadError("The body must be a JSON object")
    if body.get("mode", "json") not in MODES:
        raise InvalidPayloadError(f'"mode" must be one of [{", ".join(MODES)}]')
    return body


def _current_mode(body: dict[str, Any]) -> str:
    """Directus's mode for refresh and logout: as given, else json with a token, else cookie."""
    return body.get("mode") or ("json" if body.get("refresh_token") else "cookie")


def _current_token(request: Request, body: dict[str, Any], mode: str) -> str | None:
    """The session to refresh or end, from where ``mode`` keeps it."""
    settings: Settings = request.app.state.settings
    if mode == "json":
        return body.get("refresh_token")
    if mode == "cookie":
        return request.cookies.get(settings.refresh_token_cookie_name)
    auth: AuthService = request.app.state.auth
    return auth.session_key(request.cookies.get(settings.session_cookie_name))


def _cookies(request: Request) -> dict[str, dict[str, Any]]:
    """Each cookie's name and attributes; Secure when set so or when the request is https."""
    settings: Settings = request.app.state.settings
    https = request.url.scheme == "https"
    return {
        "cookie": {
            "key": settings.refresh_token_cookie_name,
            "domain": settings.refresh_token_cookie_domain,
            "secure": settings.refresh_token_cookie_secure or https,
            "samesite": settings.refresh_token_cookie_same_site,
            "httponly": True,
            "path": "/",
        },
        "session": {
            "key": settings.session_cookie_name,
            "domain": settings.session_cookie_domain,
            "secure": settings.session_cookie_secure or https,
            "samesite": settings.session_cookie_same_site,
            "httponly": True,
            "path": "/",
        },
    }


def _answer(request: Request, tokens: Tokens, mode: str) -> JSONResponse:
    auth: AuthService = request.app.state.auth
    data: dict[str, Any] = {"expires": tokens.expires}
    if mode == "json":
        data |= {"refresh_token": tokens.refresh_token, "access_token": tokens.access_token}
    if mode == "cookie":
        data["access_token"] = tokens.access_token
    response = JSONResponse({"data": data})
    if mode == "cookie":
        lifetime = auth.refresh_ttl
        value = tokens.refresh_token
    elif mode == "session":
        lifetime = auth.session_ttl
        value = tokens.access_token
    else:
        return response
    response.set_cookie(
        **_cookies(request)[mode], value=value, max_age=int(lifetime.total_seconds())
    )
    return response


async def login(request: Request) -> Response:
    body = await _body(request)
    mode = body.get("mode", "json")
    auth: AuthService = request.app.state.auth
    tokens = await run_in_threadpool(
        auth.login,
        body.get("email", ""),
        body.get("password", ""),
        client_of(request),
        session=mode == "session",
    )
    return _answer(request, tokens, mode)


async def refresh(request: Request) -> Response:
    body = await _body(request)
    mode = _current_mode(body)
    auth: AuthService = request.app.state.auth
    token = _current_token(request, body, mode)
    tokens = await run_in_threadpool(
        auth.refresh, token, client_of(request), session=mode == "session"
    )
    return _answer(request, tokens, mode)


async def logout(request: Request) -> Response:
    """End the session; the cookies the request came with are cleared."""
    body = await _body(request)
    auth: AuthService = request.app.state.auth
    await run_in_threadpool(auth.logout, _current_token(request, body, _current_mode(body)))
    response = Response(status_code=204)
    for cookie in _cookies(request).values():
        if cookie["key"] in request.cookies:
            response.delete_cookie(**cookie)
    return response


routes = [
    Route("/auth/login", login, methods=["POST"]),
    Route("/auth/refresh", refresh, methods=["POST"]),
    Route("/auth/logout", logout, methods=["POST"]),
]
