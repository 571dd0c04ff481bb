"""Who is signed in to the pages, and the sign-in and sign-out forms they share.

Signing in makes the same session as ``POST /auth/login`` with ``mode: "session"``: the
session cookie (``SESSION_COOKIE_NAME``) carries a session JWT, so REST calls from the same
browser are signed in too. The admin app (``/admin/login``) and the OAuth pages
(``/mcp-oauth/login``, served only while MCP OAuth is on) use the same form; the login rate
limits and ``auth_login_attempts`` are the auth service's.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tessera.access.accountability import Accountability
from tessera.admin.render import csrf_ok, page, security_headers
from tessera.config import Settings
from tessera.errors import TesseraError
from tessera.rest.caller import client_of
from tessera.services.auth import AuthService
from tessera.services.oauth.common import sha256

FORM_EXPIRED = "The form expired. Please sign in again."
LOGIN_ERRORS = {
    401: "Wrong email or password.",
    429: "Too many attempts. Try again in a minute.",
}


def session_caller(request: Request) -> tuple[Accountability, str] | None:
    """The caller of the request's session cookie and the session's hash; None if none works."""
    state = request.app.state
    token = request.cookies.get(state.settings.session_cookie_name)
    if not token:
        return None
    try:
        who = state.auth.authenticate(token, client_of(request))
    except TesseraError:
        return None
    if who.user is None:
        return None
    return who, sha256(token)


def signed_in(request: Request) -> tuple[str, str] | None:
    """The user of the request's session cookie and the session's hash; None if none works."""
    found = session_caller(request)
    return None if found is None else (found[0].user or "", found[1])


def see_other(target: str, status: int = 303) -> Response:
    return RedirectResponse(target, status_code=status, headers=security_headers())


async def login_form(request: Request, action: str, local: Callable[[str | None], str]) -> Response:
    """The sign-in page; someone already signed in goes straight on."""
    target = local(request.query_params.get("redirect"))
    if await run_in_threadpool(signed_in, request) is not None:
        return see_other(target, 302)
    return page(request, "login.html", action=action, redirect=target)


async def login(request: Request, action: str, local: Callable[[str | None], str]) -> Response:
    """Check the form, sign in, set the session cookie and go on to the form's target."""
    form = await form_of(request)
    target = local(form.get("redirect"))
    if not csrf_ok(request, form):
        return page(request, "login.html", 403, action=action, redirect=target, error=FORM_EXPIRED)
    auth: AuthService = request.app.state.auth
    email = form.get("email", "")
    try:
        tokens = await run_in_threadpool(
            auth.login, email, form.get("password", ""), client_of(request), session=True
        )
    except TesseraError as exc:
        message = LOGIN_ERRORS.get(exc.status, exc.message)
        refused = page(
            request,
            "login.html",
            exc.status,
            action=action,
            redirect=target,
            email=email,
            error=message,
        )
        if exc.status == 429:
            refused.headers["Retry-After"] = str(exc.extensions.get("retry_after", 60))
        return refused
    response = see_other(target)
    settings: Settings = request.app.state.settings
    response.set_cookie(
        settings.session_cookie_name,
        tokens.access_token,
        max_age=int(auth.session_ttl.total_seconds()),
        httponly=True,
        secure=settings.session_cookie_secure or request.url.scheme == "https",
        samesite=settings.session_cookie_same_site,
        domain=settings.session_cookie_domain,
        path="/",
    )
    return response


async def logout(request: Request, then: str) -> Response:
    """End the session of the cookie (a POST with the CSRF token) and clear the cookie."""
    form = await form_of(request)
    settings: Settings = request.app.state.settings
    response = see_other(then)
    if not csrf_ok(request, form):
        return response
    auth: AuthService = request.app.state.auth
    token = request.cookies.get(settings.session_cookie_name)
    try:
        session = auth.session_key(token)
    except TesseraError:
        session = None
    if session is not None:
        await run_in_threadpool(auth.logout, session)
    response.delete_cookie(
        settings.session_cookie_name,
        path="/",
        domain=settings.session_cookie_domain,
        secure=settings.session_cookie_secure or request.url.scheme == "https",
        httponly=True,
        samesite=settings.session_cookie_same_site,
    )
    return response


async def form_of(request: Request) -> dict[str, str]:
    """A POSTed form's text fields (a field given twice: its last value)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}
