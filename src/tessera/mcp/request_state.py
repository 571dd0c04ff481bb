"""The ``requestState`` of a 2026-07-28 ``input_required`` result: signed, bound, short-lived.

The client hands the state back verbatim when it retries, so the server keeps nothing
between the two requests — any instance can take the retry. What comes back is not to be
trusted: the state is signed with HMAC-SHA256 under the project's ``SECRET`` and bound to
the request it resumes (the caller, the method and the tool or prompt name), and it
expires. A state that fails any of those checks is refused with -32602 rather than
re-asked, so a tampered or replayed state never runs anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from mcp_types import INVALID_PARAMS

from tessera.mcp.rpc_error import RpcError

#: How long a client has to answer before the request must start over.
LIFETIME_SECONDS = 3600


class StateError(RpcError):
    """A ``requestState`` that is not one this server issued for this request (-32602)."""

    def __init__(self, message: str) -> None:
        super().__init__(INVALID_PARAMS, message)


def sign(secret: str, binding: str, payload: Any, *, now: float | None = None) -> str:
    """``payload`` (JSON-able) as an opaque state string, bound to ``binding``."""
    expires = int((time.time() if now is None else now) + LIFETIME_SECONDS)
    body = _b64(json.dumps({"p": payload, "b": binding, "e": expires}, separators=(",", ":")))
    return f"{body}.{_mac(secret, body)}"


def verify(secret: str, binding: str, state: str, *, now: float | None = None) -> Any:
    """The payload of ``state``, or :class:`StateError` when it was altered, is another
    request's, or has expired."""
    body, _, mac = state.partition(".")
    if not mac or not hmac.compare_digest(mac, _mac(secret, body)):
        raise StateError("requestState integrity check failed")
    try:
        content = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        raise StateError("requestState integrity check failed") from None
    if content.get("b") != binding:
        raise StateError("requestState belongs to another request")
    if content.get("e", 0) < (time.time() if now is None else now):
        raise StateError("requestState has expired: start the request again")
    return content.get("p")


def _mac(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), b"tessera-mcp-state:" + body.encode(), hashlib.sha256)
    return _b64(digest.digest())


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
