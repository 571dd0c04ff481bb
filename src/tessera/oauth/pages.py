"""The pages a person sees: sign-in, consent, and connected apps.

Sign-in makes the same session as ``POST /auth/login`` with ``mode: "session"`` (the
session cookie), so someone already signed in goes straight to consent. The consent form
carries the checked request as a short-lived signed JWT bound to the user and to this
session (Directus's ``signed_params``), plus the CSRF token; nothing of the request is
taken from the form but the decision itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tessera.admin import session
from tessera.admin.render import csrf_ok, page
from tessera.admin.session import form_of, see_other, signed_in
from tessera.config import Settings, parse_duration
from tessera.db.system_tables import directus_users
from tessera.errors import TesseraError
from tessera.oauth.gate import issuer_of, limit, require_routes, resource_of, switches
from tessera.rest.caller import client_of
from tessera.services.auth import AuthService
from tessera.services.oauth import apps, authorize, cimd
from tessera.services.oauth.clients import find
from tessera.services.oauth.common import SCOPE_READ
from tessera.services.oauth.errors import OAuthError
from tessera.services.oauth.redirects import LOOPBACK_HOSTS, matches

LOGIN = "/mcp-oauth/login"
APPS = "/mcp-oauth/apps"
CONSENT_TTL = dt.timedelta(minutes=5)
CONSENT_TYPE = "tessera-mcp-consent+jwt"
CONSENT_AUDIENCE = "mcp-oauth-authorize-decision"
FORM_EXPIRED = "The form expired or did not come from this site. Start again from the application."


async def authorize_page(request: Request) -> Response:
    require_routes(request)
    try:
        limit(request, "general")
    except OAuthError as exc:
        return _error_page(request, "Too many requests", exc.description, 429, exc.headers)
    return await run_in_threadpool(_authorize, request)


def _authorize(request: Request) -> Response:
    on = switches(request)
    if not on.enabled:
        return _error_page(request, "Not available", "MCP OAuth is disabled.", 403)
    who = signed_in(request)
    if who is None:
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        return see_other(f"{LOGIN}?{urlencode({'redirect': target})}", 302)
    user, session_hash = who
    state = request.app.state
    params = {name: request.query_params.getlist(name) for name in request.query_params}
    try:
        authorize.prepare_client(
            state.db, params, state.settings, cimd_enabled=on.cimd, fetch=_fetcher(request)
        )
        with state.db.write() as conn:
            asked = authorize.check_request(
                conn, params, state.settings, resource_of(request), cimd_enabled=on.cimd
            )
            scope = authorize.remembered(conn, user, asked)
            code = None
            if scope is not None:
                ttl = _code_ttl(state.settings)
                code = authorize.approve(conn, asked, user, scope, ttl)
            name = _user_name(conn, user)
    except authorize.Redirected as exc:
        return _back(request, exc.redirect_uri, exc.state, error=exc.error, desc=exc.description)
    except OAuthError as exc:
        return _error_page(request, "This link cannot be used", exc.description, 400)
    if code is not None:
        return _back(request, asked.redirect_uri, asked.state, code=code)
    signed = _sign(
        state.auth,
        {
            "sub": user,
            "session_hash": session_hash,
            "client_id": asked.client.client_id,
            "redirect_uri": asked.redirect_uri,
            "code_challenge": asked.code_challenge,
            "scope": asked.scope,
            "resource": asked.resource,
            "state": asked.state,
        },
    )
    parts = urlsplit(asked.redirect_uri)
    return page(
        request,
        "consent.html",
        form_action=_form_action(state.settings),
        client_name=asked.client.client_name,
        client_domain=(
            urlsplit(asked.client.client_id).hostname
            if asked.client.registration_type == "cimd"
            else None
        ),
        redirect_host=parts.netloc or f"{parts.scheme}:",
        loopback=(parts.hostname or "") in LOOPBACK_HOSTS,
        user_name=name,
        read_only_only=asked.scope == SCOPE_READ,
        signed_params=signed,
    )


async def decision(request: Request) -> Response:
    require_routes(request)
    form = await form_of(request)
    return await run_in_threadpool(_decide, request, form)


def _decide(request: Request, form: dict[str, str]) -> Response:
    state = request.app.state
    if not switches(request).enabled:
        return _error_page(request, "Not available", "MCP OAuth is disabled.", 403)
    if not csrf_ok(request, form):
        return _refused(request, FORM_EXPIRED, 403)
    who = signed_in(request)
    if who is None:
        return _refused(request, "Sign in first (cookie authentication required).", 403)
    user, session_hash = who
    try:
        claims = jwt.decode(
            form.get("signed_params", ""),
            _consent_key(state.auth),
            algorithms=["HS256"],
            audience=CONSENT_AUDIENCE,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.PyJWTError:
        return _refused(request, FORM_EXPIRED, 400)
    if (
        claims.get("typ") != CONSENT_TYPE
        or claims.get("sub") != user
        or not hmac.compare_digest(str(claims.get("session_hash")), session_hash)
    ):
        return _refused(request, "This approval belongs to another sign-in.", 403)
    redirect_uri, asked_state = claims["redirect_uri"], claims.get("state")
    with state.db.write() as conn:
        client = find(conn, claims["client_id"])
        if client is None or not matches(redirect_uri, client.redirect_uris):
            return _refused(request, "The application is no longer registered.", 400)
        if form.get("approved") != "true":
            denied = "The user denied access"
            return _back(request, redirect_uri, asked_state, error="access_denied", desc=denied)
        scope = SCOPE_READ if form.get("read_only") == "true" else claims["scope"]
        asked = authorize.AuthorizationRequest(
            client,
            redirect_uri,
            claims["code_challenge"],
            claims["scope"],
            claims["resource"],
            asked_state,
        )
        code = authorize.approve(conn, asked, user, scope, _code_ttl(state.settings))
    return _back(request, redirect_uri, asked_state, code=code)


async def login_page(request: Request) -> Response:
    require_routes(request)
    return await session.login_form(request, LOGIN, _local)


async def login(request: Request) -> Response:
    require_routes(request)
    return await session.login(request, LOGIN, _local)


async def apps_page(request: Request) -> Response:
    require_routes(request)
    return await run_in_threadpool(_apps, request, None)


def _apps(request: Request, notice: str | None) -> Response:
    who = signed_in(request)
    if who is None:
        return see_other(f"{LOGIN}?{urlencode({'redirect': APPS})}", 302)
    with request.app.state.db.read() as conn:
        listed = apps.connected_apps(conn, who[0])
    return page(request, "apps.html", apps=listed, notice=notice)


async def revoke_app(request: Request) -> Response:
    require_routes(request)
    form = await form_of(request)
    return await run_in_threadpool(_revoke_app, request, form)


def _revoke_app(request: Request, form: dict[str, str]) -> Response:
    if not csrf_ok(request, form):
        return _refused(request, FORM_EXPIRED, 403)
    state = request.app.state
    token = request.cookies.get(state.settings.session_cookie_name)
    try:
        caller = state.auth.authenticate(token, client_of(request)) if token else None
    except TesseraError:
        caller = None
    if caller is None or caller.user is None:
        return see_other(f"{LOGIN}?{urlencode({'redirect': APPS})}")
    with state.db.write() as conn:
        apps.disconnect(conn, caller.user, form.get("client_id", ""), caller)
    return see_other(APPS)


def _back(
    request: Request,
    redirect_uri: str,
    state: str | None,
    *,
    code: str | None = None,
    error: str | None = None,
    desc: str | None = None,
) -> Response:
    """302 to the client with the code (or error), its ``state`` and our ``iss`` (RFC 9207)."""
    params: dict[str, str] = {}
    if code is not None:
        params["code"] = code
    if error is not None:
        params["error"] = error
        params["error_description"] = desc or error
    if state is not None:
        params["state"] = state
    params["iss"] = issuer_of(request)
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    response = RedirectResponse(redirect_uri + joiner + urlencode(params), status_code=302)
    response.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    return response


def _error_page(
    request: Request, title: str, message: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    response = page(request, "error.html", status, title=title, message=message)
    response.headers.update(headers or {})
    return response


def _refused(request: Request, message: str, status: int) -> Response:
    return _error_page(request, "Request refused", message, status)


def _local(target: str | None) -> str:
    """Only our own OAuth pages are places to go after sign-in (no open redirect)."""
    if target and target.startswith("/mcp-oauth/") and not target.startswith("//"):
        return target
    return APPS


def _sign(auth: AuthService, claims: dict[str, Any]) -> str:
    moment = dt.datetime.now(dt.UTC)
    payload = {
        **claims,
        "typ": CONSENT_TYPE,
        "aud": CONSENT_AUDIENCE,
        "iat": moment,
        "exp": moment + CONSENT_TTL,
    }
    return jwt.encode(payload, _consent_key(auth), algorithm="HS256")


def _consent_key(auth: AuthService) -> bytes:
    """A key of its own for consent forms, derived from SECRET."""
    return hmac.new(auth.secret.encode(), b"tessera-mcp-consent-v1", hashlib.sha256).digest()


def _code_ttl(settings: Settings) -> dt.timedelta:
    return parse_duration(settings.mcp_oauth_auth_code_ttl)


def _form_action(settings: Settings) -> str:
    """The consent form's CSP ``form-action``: the approval's redirect must be allowed too."""
    schemes = sorted({entry.split("://")[0] + ":" for entry in settings.mcp_oauth_custom_redirects})
    return " ".join(["'self'", "https:", "http://localhost:*", "http://127.0.0.1:*", *schemes])


def _fetcher(request: Request) -> cimd.Fetcher:
    state = request.app.state
    fetcher = getattr(state, "cimd_fetch", None)
    if fetcher is None:
        fetcher = state.cimd_fetch = cimd.guarded_fetcher(state.settings)
    return fetcher


def _user_name(conn: Any, user: str) -> str:
    u = directus_users
    row = conn.execute(
        sa.select(u.c.first_name, u.c.last_name, u.c.email).where(u.c.id == user)
    ).first()
    if row is None:
        return "you"
    name = " ".join(part for part in (row.first_name, row.last_name) if part)
    return name or row.email or "you"


routes = [
    Route("/mcp-oauth/authorize", authorize_page, methods=["GET"]),
    Route("/mcp-oauth/authorize/decision", decision, methods=["POST"]),
    Route(LOGIN, login_page, methods=["GET"]),
    Route(LOGIN, login, methods=["POST"]),
    Route(APPS, apps_page, methods=["GET"]),
    Route("/mcp-oauth/apps/revoke", revoke_app, methods=["POST"]),
]
