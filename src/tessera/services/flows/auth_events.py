"""``auth.login`` and ``auth.jwt``: the event flows of signing in, fired as Directus fires them.

:class:`~tessera.services.auth.AuthService` fires them, so every door that signs a user in
(``POST /auth/login``, the OAuth sign-in page) fires them. The caller a run sees is the
public with the request's IP address, user agent and origin.

- filter ``auth.login``, before the password is checked: ``$trigger`` is ``{payload:
  {email, password}, event, status: "pending", user, provider: "default"}``, ``user``
  being the account the email names (absent when none). The payload the flows return is
  what is checked; a run that ends rejected refuses the sign-in with the flow's error.
- action ``auth.login``, after an attempt: ``{event, payload, status, user, provider}``
  with ``status`` ``success`` or ``fail``, and on failure the ``error``.
- filter ``auth.jwt``, on the claims of an access token before they are signed, at
  sign-in and at refresh: ``{payload: claims, event, status: "pending", user, provider,
  type: "login" | "refresh"}``. It runs inside the transaction that opens the session, so
  a rejection leaves no session behind. The claims it returns are signed, except that
  ``id`` and ``session`` stay Tessera's: Directus lets a flow turn a token into another
  user's; here a flow adds claims (they grant nothing: every request's rights come from
  the database) but cannot change whom a token names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.db.system_tables import directus_users
from tessera.errors import InvalidPayloadError
from tessera.services.flows.errors import error_value
from tessera.services.flows.events import EventFlows

PROVIDER = "default"
#: The claims a flow cannot change: whom the token names, and its session.
KEPT_CLAIMS = ("id", "session")


class AuthEvents:
    """The auth events of one :class:`~tessera.services.auth.AuthService`."""

    def __init__(self, events: EventFlows) -> None:
        self.events = events

    def login(self, email: str, password: str, who: Accountability) -> LoginAttempt:
        """Run the ``auth.login`` filter flows; the attempt as they leave it."""
        attempt = LoginAttempt(self.events, {"email": email, "password": password}, who)
        if self.events.has_flows("filter", "auth.login"):
            attempt.user = _user_id(self.events, email)
            meta = {"status": "pending", **attempt.known_user(), "provider": PROVIDER}
            payload = self.events.filter_event("auth.login", attempt.payload, meta, who)
            attempt.payload = _login_payload(payload)
        return attempt

    def claims(
        self,
        conn: Connection,
        claims: dict[str, Any],
        *,
        kind: str,
        who: Accountability,
    ) -> dict[str, Any]:
        """The claims after the ``auth.jwt`` filter flows, run in the session's transaction."""
        meta = {"status": "pending", "user": claims["id"], "provider": PROVIDER, "type": kind}
        changed = self.events.filter_event("auth.jwt", dict(claims), meta, who, conn=conn)
        if not isinstance(changed, Mapping):
            raise InvalidPayloadError(
                "The auth.jwt flows have to return the token's claims as an object"
            )
        kept = {name: claims[name] for name in KEPT_CLAIMS if name in claims}
        return {**changed, **kept}


@dataclass
class LoginAttempt:
    """One sign-in as the ``auth.login`` flows see it."""

    events: EventFlows
    payload: dict[str, Any]
    who: Accountability
    #: The account the email names, once known.
    user: str | None = None

    @property
    def email(self) -> str:
        return self.payload["email"]

    @property
    def password(self) -> str:
        return self.payload["password"]

    def known_user(self) -> dict[str, str]:
        return {"user": self.user} if self.user is not None else {}

    def succeeded(self, user: str) -> None:
        self.user = user
        self._announce("success", {})

    def failed(self, error: Exception) -> None:
        if self.user is None and self.events.has_flows("action", "auth.login"):
            self.user = _user_id(self.events, self.email)
        self._announce("fail", {"error": error_value(error)})

    def _announce(self, status: str, extra: dict[str, Any]) -> None:
        meta = {
            "payload": self.payload,
            "status": status,
            **self.known_user(),
            "provider": PROVIDER,
            **extra,
        }
        self.events.action_event("auth.login", meta, self.who)


def _login_payload(payload: Any) -> dict[str, Any]:
    """What the filter flows returned, as a sign-in's email and password."""
    if not isinstance(payload, Mapping):
        raise InvalidPayloadError("The auth.login flows have to return the payload as an object")
    for name in ("email", "password"):
        if not isinstance(payload.get(name), str) or not payload[name]:
            raise InvalidPayloadError(f'"{name}" is required')
    return dict(payload)


def _user_id(events: EventFlows, email: str) -> str | None:
    users = directus_users
    with events.runner.db.read() as conn:
        found = conn.execute(
            sa.select(users.c.id).where(sa.func.lower(users.c.email) == email.strip().lower())
        ).scalar()
    return str(found) if found is not None else None
