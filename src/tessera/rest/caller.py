"""Who is calling: the token of a request, resolved through the auth service."""

from __future__ import annotations

from starlette.requests import Request

from tessera.access.accountability import Accountability
from tessera.errors import InvalidPayloadError
from tessera.services.auth import Client


def client_of(request: Request) -> Client:
    return Client(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        origin=request.headers.get("origin"),
    )


def bearer_token(request: Request) -> str | None:
    """The token from ``Authorization: Bearer`` or ``?access_token=``; both at once is refused."""
    header = request.headers.get("authorization")
    from_header = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            from_header = value.strip()
    from_query = request.query_params.get("access_token") or None
    if from_header and from_query:
        raise InvalidPayloadError(
            "The request uses more than one method for including an access token"
        )
    return from_header or from_query


def request_token(request: Request) -> str | None:
    """The bearer token, or else the session cookie (``SESSION_COOKIE_NAME``).

    As in Directus the cookie is not a second method: a page signed in by session
    may still send another token explicitly, and that one is used.
    """
    cookie = request.cookies.get(request.app.state.settings.session_cookie_name)
    return bearer_token(request) or cookie or None


def caller(request: Request) -> Accountability:
    """The request's accountability (Public for a request without a token)."""
    return request.app.state.auth.authenticate(request_token(request), client_of(request))
