"""``/mcp-oauth/register`` (RFC 7591), ``/token`` and ``/revoke`` (RFC 7009): JSON answers
in RFC 6749's error shape, CORS open, tokens never cached."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.config import Settings
from tessera.oauth.gate import (
    CORS,
    NO_STORE,
    disabled,
    error_json,
    json_answer,
    limit,
    require_routes,
    resource_of,
    switches,
)
from tessera.services.auth import AuthService
from tessera.services.oauth import clients, tokens
from tessera.services.oauth.errors import OAuthError, invalid_request

FORM = "application/x-www-form-urlencoded"


async def register(request: Request) -> Response:
    settings = require_routes(request)
    try:
        limit(request, "registration")
        on = await run_in_threadpool(switches, request)
        if not on.enabled:
            raise disabled()
        if not on.dcr:
            raise OAuthError("not_found", "Dynamic client registration is not available", 404)
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise OAuthError("invalid_client_metadata", "The body must be JSON") from None
        answer = await run_in_threadpool(_register, request, body, settings)
    except OAuthError as exc:
        return error_json(exc, NO_STORE)
    return json_answer(answer, 201, NO_STORE)


def _register(request: Request, body: Any, settings: Settings) -> dict[str, Any]:
    with request.app.state.db.write() as conn:
        return clients.register(conn, body, settings)


async def token(request: Request) -> Response:
    require_routes(request)
    try:
        limit(request, "general")
        form = await _form(request)
        answer = await run_in_threadpool(_token, request, form)
    except OAuthError as exc:
        return error_json(exc, NO_STORE)
    return json_answer(answer, 200, NO_STORE)


def _token(request: Request, form: dict[str, str]) -> dict[str, Any]:
    state = request.app.state
    if not switches(request).enabled:
        raise disabled()
    grant_type = form.get("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise OAuthError("unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
    basic = tokens.parse_basic(request.headers.get("authorization"))
    with state.db.read() as conn:
        client = clients.authenticate(conn, form, basic)
    if grant_type not in client.grant_types:
        raise OAuthError("unauthorized_client", f"The client may not use {grant_type}")
    keys = _keys(state.auth)
    caller = _caller(request)
    if grant_type == "authorization_code":
        return tokens.exchange_code(state.db, client, form, resource_of(request), keys, caller)
    return tokens.refresh(state.db, client, form, keys, caller)


async def revoke(request: Request) -> Response:
    require_routes(request)
    try:
        limit(request, "general")
        form = await _form(request)
        await run_in_threadpool(_revoke, request, form)
    except OAuthError as exc:
        return error_json(exc)
    return json_answer({})


def _revoke(request: Request, form: dict[str, str]) -> None:
    state = request.app.state
    if not switches(request).enabled:
        raise disabled()
    basic = tokens.parse_basic(request.headers.get("authorization"))
    with state.db.read() as conn:
        client = clients.authenticate(conn, form, basic)
    value = form.get("token")
    if not value:
        raise invalid_request("token is required")
    tokens.revoke(state.db, client, value, _caller(request))


async def preflight(request: Request) -> Response:
    require_routes(request)
    headers = {
        **CORS,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
    }
    return Response(status_code=204, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body; a parameter given twice is refused (RFC 6749 §3.1)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM:
        raise invalid_request(f"The body must be {FORM}")
    form = await request.form()
    values: dict[str, str] = {}
    for name in form:
        given = form.getlist(name)
        if len(given) > 1:
            raise invalid_request(f"Duplicate parameter: {name}")
        if isinstance(given[0], str):
            values[name] = given[0]
    return values


def _keys(auth: AuthService) -> tokens.Keys:
    return tokens.Keys(auth.secret, auth.access_ttl, auth.refresh_ttl)


def _caller(request: Request) -> tokens.Caller:
    ip = request.client.host if request.client else None
    return tokens.Caller(ip=ip, user_agent=request.headers.get("user-agent"))


routes = [
    Route("/mcp-oauth/register", register, methods=["POST"]),
    Route("/mcp-oauth/token", token, methods=["POST"]),
    Route("/mcp-oauth/revoke", revoke, methods=["POST"]),
    Route("/mcp-oauth/register", preflight, methods=["OPTIONS"]),
    Route("/mcp-oauth/token", preflight, methods=["OPTIONS"]),
    Route("/mcp-oauth/revoke", preflight, methods=["OPTIONS"]),
]
