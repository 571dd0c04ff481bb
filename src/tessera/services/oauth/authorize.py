"""The authorization request (``GET /mcp-oauth/authorize``): checked in Directus's order,
then approved into a single-use code, with the consent remembered.

Errors about the client or its redirect URI are shown to the user (the redirect cannot be
trusted yet: :class:`Untrusted`); every later one goes back to the client's redirect URI
(:class:`Redirected`) with ``error``, ``state`` and ``iss``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.system_tables import directus_oauth_codes, directus_oauth_consents
from tessera.services.oauth import cimd
from tessera.services.oauth.clients import OAuthClient, find
from tessera.services.oauth.common import SCOPE_ACCESS, SCOPE_READ, now, parse_scope, sha256
from tessera.services.oauth.errors import OAuthError
from tessera.services.oauth.redirects import matches

CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class Untrusted(OAuthError):
    """A refusal shown on a page of ours: the client or redirect URI is not one we know."""


class Redirected(OAuthError):
    """A refusal sent back to the client's (verified) redirect URI."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None):
        super().__init__(error, description, 302)
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizationRequest:
    client: OAuthClient
    redirect_uri: str
    code_challenge: str
    #: What the client asked for: ``mcp:access``, or ``mcp:read`` alone.
    scope: str
    resource: str
    state: str | None


def check_request(
    conn: Connection,
    params: Mapping[str, Sequence[str]],
    settings: Settings,
    resource: str,
    *,
    cimd_enabled: bool,
) -> AuthorizationRequest:
    """The request, or the first thing wrong with it (:class:`Untrusted` / :class:`Redirected`).

    A CIMD client's row must be fresh already (:func:`prepare_client`)."""
    for name, values in params.items():
        if len(values) > 1:
            raise Untrusted("invalid_request", f"Duplicate parameter: {name}")
    given = {name: values[0] for name, values in params.items() if values}
    unknown = Untrusted("invalid_request", "Invalid client_id or redirect_uri")
    client_id = given.get("client_id")
    if not client_id:
        raise unknown
    if cimd.is_cimd_url(client_id, settings) and not cimd_enabled:
        raise Untrusted("invalid_client", "CIMD client registration is disabled")
    client = find(conn, client_id)
    redirect_uri = given.get("redirect_uri")
    if client is None or not redirect_uri or not matches(redirect_uri, client.redirect_uris):
        raise unknown
    state = given.get("state")

    def back(error: str, description: str) -> Redirected:
        return Redirected(error, description, redirect_uri, state)

    if given.get("response_type") != "code":
        raise back("unsupported_response_type", "response_type must be code")
    challenge = given.get("code_challenge", "")
    if not CHALLENGE.match(challenge):
        raise back("invalid_request", "code_challenge is required (43 base64url characters)")
    if given.get("code_challenge_method") != "S256":
        raise back("invalid_request", "code_challenge_method must be S256")
    scopes = parse_scope(given.get("scope")) or [SCOPE_ACCESS]
    if SCOPE_ACCESS in scopes:
        scope = SCOPE_ACCESS
    elif SCOPE_READ in scopes:
        scope = SCOPE_READ
    else:
        raise back("invalid_scope", f"scope must include {SCOPE_ACCESS} or {SCOPE_READ}")
    if given.get("response_mode", "query") != "query":
        raise back("invalid_request", "response_mode must be query")
    asked = given.get("resource")
    if asked is None and settings.mcp_oauth_require_resource:
        raise back("invalid_target", "resource is required")
    if (asked or resource) != resource:
        raise back("invalid_target", f"resource must be {resource}")
    return AuthorizationRequest(client, redirect_uri, challenge, scope, resource, state)


def prepare_client(
    db: Database,
    params: Mapping[str, Sequence[str]],
    settings: Settings,
    *,
    cimd_enabled: bool,
    fetch: cimd.Fetcher,
) -> None:
    """Fetch a CIMD client's metadata when it is new or stale (before any transaction)."""
    values = params.get("client_id") or []
    if len(values) == 1 and cimd_enabled and cimd.is_cimd_url(values[0], settings):
        try:
            cimd.resolve_client(db, values[0], settings, fetch)
        except OAuthError as exc:
            raise Untrusted(exc.error, exc.description) from None


def remembered(conn: Connection, user: str, request: AuthorizationRequest) -> str | None:
    """The scope to grant without asking: the user approved this client and redirect URI
    before for at least what it asks now (asking for more asks the user again)."""
    c = directus_oauth_consents
    approved = conn.execute(
        sa.select(c.c.scope).where(
            c.c.user == user,
            c.c.client == request.client.client_id,
            c.c.redirect_uri == request.redirect_uri,
        )
    ).scalar()
    if approved is None:
        return None
    if approved == SCOPE_ACCESS or request.scope == SCOPE_READ:
        return request.scope
    return None


def approve(
    conn: Connection, request: AuthorizationRequest, user: str, scope: str, ttl: dt.timedelta
) -> str:
    """A new code for ``user`` (the raw value, sent once), the consent remembered with it."""
    code = secrets.token_hex(32)
    moment = now()
    conn.execute(
        sa.insert(directus_oauth_codes).values(
            id=str(uuid.uuid4()),
            code_hash=sha256(code),
            client=request.client.client_id,
            user=user,
            redirect_uri=request.redirect_uri,
            resource=request.resource,
            code_challenge=request.code_challenge,
            code_challenge_method="S256",
            scope=scope,
            expires_at=moment + ttl,
        )
    )
    c = directus_oauth_consents
    key = (
        c.c.user == user,
        c.c.client == request.client.client_id,
        c.c.redirect_uri == request.redirect_uri,
    )
    updated = conn.execute(sa.update(c).where(*key).values(scope=scope, date_updated=moment))
    if not updated.rowcount:
        conn.execute(
            sa.insert(c).values(
                id=str(uuid.uuid4()),
                user=user,
                client=request.client.client_id,
                redirect_uri=request.redirect_uri,
                scope=scope,
                date_created=moment,
                date_updated=moment,
            )
        )
    return code
