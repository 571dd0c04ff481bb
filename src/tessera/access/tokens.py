"""Access tokens: short-lived JWTs signed with SECRET, shaped like Directus's.

The claims say who the token was issued to (``id``, ``role``, ``app_access``,
``admin_access``, and ``session`` for session tokens); they are never trusted for
authorization — the services resolve the caller's rights from the database on
every request. Any bearer string that is not one of these JWTs is a static token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from tessera.errors import InvalidTokenError, TokenExpiredError

ISSUER = "directus"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    #: Lifetime in milliseconds, as Directus's login response gives it.
    expires: int


def issue_access_token(
    secret: str,
    *,
    user: str,
    role: str | None,
    app_access: bool,
    admin_access: bool,
    ttl: dt.timedelta,
    session: str | None = None,
    now: dt.datetime | None = None,
    claims: dict[str, Any] | None = None,
    custom: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> IssuedToken:
    """A signed JWT; ``claims`` adds to the standard ones (OAuth's ``scope`` and ``aud``),
    and ``custom`` may change them before the times and issuer are added (the ``auth.jwt``
    event flows)."""
    issued = now or dt.datetime.now(dt.UTC)
    payload: dict[str, Any] = {
        **(claims or {}),
        "id": user,
        "role": role,
        "app_access": app_access,
        "admin_access": admin_access,
    }
    if session is not None:
        payload["session"] = session
    if custom is not None:
        payload = custom(payload)
    payload.update(iat=issued, exp=issued + ttl, iss=ISSUER)
    token = jwt.encode(payload, secret, algorithm=ALGORITHM)
    return IssuedToken(token, int(ttl.total_seconds() * 1000))


def looks_like_access_token(token: str) -> bool:
    """Whether ``token`` is one of our JWTs (by its unverified issuer), not a static token."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    return isinstance(claims, dict) and claims.get("iss") == ISSUER


def read_access_token(secret: str, token: str) -> dict[str, Any]:
    """The verified claims; TOKEN_EXPIRED for an old token, INVALID_TOKEN for a bad one."""
    try:
        # An OAuth token's ``aud`` is checked by the one route that takes it (/mcp).
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpiredError() from None
    except jwt.PyJWTError:
        raise InvalidTokenError() from None
    if not isinstance(claims.get("id"), str):
        raise InvalidTokenError()
    return claims
