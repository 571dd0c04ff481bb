"""Server-rendered pages — the admin app's and the OAuth sign-in and consent pages: Jinja2
templates, security headers, and the CSRF token.

The CSRF token is a double-submit one: a random value in an HttpOnly, SameSite=Strict
cookie, repeated in a hidden field of every form; a POST passes only when both are
there and equal, and when its ``Origin`` (if sent) is this server's.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

_HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader([_HERE / "templates", _HERE.parent / "oauth" / "templates"]),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(moment: dt.datetime | str | None, seconds: bool = False) -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    shape = "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"
    return moment.astimezone(dt.UTC).strftime(shape)


TEMPLATES.filters["when"] = _when
CSRF_COOKIE = "tessera_csrf"
CSRF_FIELD = "csrf"


def page(
    request: Request,
    template: str,
    status: int = 200,
    *,
    form_action: str = "'self'",
    **context: Any,
) -> HTMLResponse:
    """A page; a form on it carries the request's CSRF token (made and set when new)."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    html = TEMPLATES.get_template(template).render(csrf=token, **context)
    response = HTMLResponse(html, status_code=status, headers=security_headers(form_action))
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def security_headers(form_action: str = "'self'") -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        # Not no-referrer: with it browsers send ``Origin: null`` on the pages' own forms.
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "connect-src 'self'; img-src 'self' https: data:; "
            f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
        ),
    }


def origin_of(request: Request) -> str:
    """The origin the request was made to (scheme, host and port)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    """Whether a POST carries the cookie's CSRF token and comes from this origin."""
    cookie = request.cookies.get(CSRF_COOKIE)
    given = form.get(CSRF_FIELD)
    if not cookie or not given or not hmac.compare_digest(cookie, given):
        return False
    return same_origin(request)


def same_origin(request: Request) -> bool:
    """Whether the request's ``Origin`` (when sent) is this server's or PUBLIC_URL's."""
    origin = request.headers.get("origin")
    return origin is None or origin == origin_of(request) or _public_origin(request) == origin


def _public_origin(request: Request) -> str | None:
    public = request.app.state.settings.public_url
    if not public.startswith(("http://", "https://")):
        return None
    scheme, _, rest = public.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
