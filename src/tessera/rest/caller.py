"""Who is calling: the bearer token of a request, resolved through the auth service."""

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


def caller(request: Request) -> Accountability:
    """The request's accountability (Public for a request without a token)."""
    return request.app.state.auth.authenticate(bearer_token(request), client_of(request))
