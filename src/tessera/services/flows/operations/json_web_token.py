"""``json-web-token``: ``sign`` a payload, ``verify`` a token, or ``decode`` one unchecked.

Options follow the jsonwebtoken package Directus uses: for ``sign`` — ``algorithm``
(HS256 by default), ``expiresIn`` and ``notBefore`` (seconds, or a duration such as
``2h``), ``audience``, ``issuer``, ``subject``, ``jwtid``, ``keyid``, ``header``,
``noTimestamp``; for ``verify`` — ``algorithms``, ``audience``, ``issuer``, ``subject``,
``ignoreExpiration``, ``clockTolerance`` (seconds); for ``decode`` — ``complete``. Failures
carry jsonwebtoken's names (``TokenExpiredError``, ``NotBeforeError``,
``JsonWebTokenError``) so a flow branching on them reads the same.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt

from tessera.config import parse_duration
from tessera.errors import InvalidPayloadError
from tessera.services.flows.errors import OperationError
from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    as_object,
    as_text,
    check_one_of,
)

OPERATIONS = ("sign", "verify", "decode")
_HMAC = ["HS256", "HS384", "HS512"]


def run(options: dict[str, Any], _context: Context) -> Any:
    operation = options.get("operation")
    if operation == "sign":
        return _sign(options)
    if operation == "verify":
        return _verify(options)
    if operation == "decode":
        return _decode(options)
    raise OperationError("Error", 'Undefined "Operation" for JSON Web Token')


def check(options: Mapping[str, Any]) -> None:
    check_one_of(options, "operation", OPERATIONS)


def _sign(options: Mapping[str, Any]) -> str:
    if not options.get("payload"):
        raise OperationError("Error", "Undefined JSON Web Token payload")
    if not options.get("secret"):
        raise OperationError("Error", "Undefined JSON Web Token secret")
    payload = as_object(options["payload"], "payload")
    if not isinstance(payload, Mapping):
        raise InvalidPayloadError('"payload" has to be an object')
    settings = _options(options)
    claims = dict(payload)
    now = int(time.time())
    if not settings.get("noTimestamp"):
        claims.setdefault("iat", now)
    issued = int(claims.get("iat", now))
    for option, claim in (("expiresIn", "exp"), ("notBefore", "nbf")):
        if settings.get(option) is not None:
            claims[claim] = issued + _seconds(settings[option], option)
    for option, claim in (("audience", "aud"), ("issuer", "iss"), ("subject", "sub")):
        if settings.get(option) is not None:
            claims[claim] = settings[option]
    if settings.get("jwtid") is not None:
        claims["jti"] = settings["jwtid"]
    headers = dict(settings.get("header") or {})
    if settings.get("keyid") is not None:
        headers["kid"] = settings["keyid"]
    algorithm = settings.get("algorithm", "HS256")
    try:
        return jwt.encode(claims, as_text(options["secret"]), algorithm, headers or None)
    except (jwt.PyJWTError, NotImplementedError, TypeError, ValueError) as error:
        raise OperationError("JsonWebTokenError", str(error)) from None


def _verify(options: Mapping[str, Any]) -> Any:
    if not options.get("token"):
        raise OperationError("Error", "Undefined JSON Web Token token")
    if not options.get("secret"):
        raise OperationError("Error", "Undefined JSON Web Token secret")
    settings = _options(options)
    algorithms = settings.get("algorithms") or _HMAC
    audience = settings.get("audience")
    checks = {
        "verify_aud": audience is not None,
        "verify_exp": not settings.get("ignoreExpiration"),
    }
    try:
        claims = jwt.decode(
            as_text(options["token"]),
            as_text(options["secret"]),
            algorithms=list(algorithms),
            audience=audience,
            issuer=settings.get("issuer"),
            leeway=float(settings.get("clockTolerance") or 0),
            options=checks,
        )
    except jwt.ExpiredSignatureError:
        raise OperationError("TokenExpiredError", "jwt expired") from None
    except jwt.ImmatureSignatureError:
        raise OperationError("NotBeforeError", "jwt not active") from None
    except jwt.InvalidSignatureError:
        raise OperationError("JsonWebTokenError", "invalid signature") from None
    except jwt.DecodeError:
        raise OperationError("JsonWebTokenError", "jwt malformed") from None
    except jwt.PyJWTError as error:
        raise OperationError("JsonWebTokenError", str(error)) from None
    subject = settings.get("subject")
    if subject is not None and claims.get("sub") != subject:
        raise OperationError("JsonWebTokenError", f"jwt subject invalid. expected: {subject}")
    return claims


def _decode(options: Mapping[str, Any]) -> Any:
    """The token's claims (with ``complete``: its header and signature too), unchecked;
    None when it is no token."""
    if not options.get("token"):
        raise OperationError("Error", "Undefined JSON Web Token token")
    token = as_text(options["token"])
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return None
    if _options(options).get("complete"):
        signature = token.rsplit(".", 1)[-1]
        return {"header": header, "payload": claims, "signature": signature}
    return claims


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    found = as_object(options.get("options"), "options") or {}
    if not isinstance(found, Mapping):
        raise InvalidPayloadError('"options" has to be an object')
    return dict(found)


def _seconds(value: Any, option: str) -> int:
    """jsonwebtoken's time spans: a number is seconds, a string a duration (bare: ms)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    try:
        return int(parse_duration(str(value)).total_seconds())
    except ValueError:
        raise InvalidPayloadError(
            f'"{option}" should be a number of seconds or a duration such as "2h"'
        ) from None


KIND = OperationKind("json-web-token", run, check)
