"""The token endpoint's grants and revocation.

A grant is one row per (client, user) in ``directus_oauth_tokens`` that follows its
session: the session row (``directus_sessions``, keyed by the SHA-256 of the refresh
token, ``oauth_client`` set) is what every access token names, so deleting it stops
the grant's access tokens at their next request. A refresh replaces the session and
remembers the one before; presenting that one again means the refresh token leaked,
and the whole grant ends (OAuth 2.1 §4.3.1).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.resolve import resolve_accountability
from tessera.access.tokens import issue_access_token
from tessera.db.engine import Database
from tessera.db.system_tables import (
    directus_oauth_codes,
    directus_oauth_consents,
    directus_oauth_tokens,
    directus_sessions,
    directus_users,
)
from tessera.services.oauth import audit
from tessera.services.oauth.clients import OAuthClient
from tessera.services.oauth.common import SCOPE_ACCESS, SCOPE_READ, aware, now, parse_scope, sha256
from tessera.services.oauth.errors import OAuthError, invalid_grant, invalid_request
from tessera.services.oauth.redirects import matches

VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


@dataclass(frozen=True)
class Keys:
    """What tokens are signed with and how long they last."""

    secret: str
    access_ttl: dt.timedelta
    refresh_ttl: dt.timedelta


@dataclass(frozen=True)
class Caller:
    """Where a token request came from (sessions and activity keep it)."""

    ip: str | None = None
    user_agent: str | None = None


def exchange_code(
    db: Database,
    client: OAuthClient,
    form: Mapping[str, str],
    resource: str,
    keys: Keys,
    caller: Caller,
) -> dict[str, Any]:
    """``grant_type=authorization_code``: the code burned, checked, and a grant opened."""
    for name in ("code", "redirect_uri", "code_verifier"):
        if not form.get(name):
            raise invalid_request(f"{name} is required")
    verifier = form["code_verifier"]
    if not VERIFIER.match(verifier):
        raise invalid_request("code_verifier must be 43 to 128 unreserved characters")
    code_hash = sha256(form["code"])
    codes = directus_oauth_codes
    replayed = False
    with db.write() as conn:
        burned = conn.execute(
            sa.update(codes)
            .where(codes.c.code_hash == code_hash, codes.c.used_at.is_(None))
            .values(used_at=now())
        ).rowcount
        if not burned:
            # A code used twice was stolen or replayed: the grant it made ends too.
            replayed = _end_grants(conn, code_hash=code_hash, client=client.client_id) > 0
        else:
            row = conn.execute(sa.select(codes).where(codes.c.code_hash == code_hash)).one()
            asked = form.get("resource") or row.resource
            if (
                aware(row.expires_at) < now()
                or row.client != client.client_id
                or not matches(form["redirect_uri"], [row.redirect_uri])
                or not _pkce_matches(verifier, row.code_challenge)
            ):
                raise invalid_grant()
            if asked != row.resource or row.resource != resource:
                raise OAuthError("invalid_target", f"resource must be {resource}")
            return _open_grant(conn, client, row.user, row.scope, resource, code_hash, keys, caller)
    if replayed:
        raise invalid_grant("Authorization code was already used; its grant is revoked")
    raise invalid_grant()


def refresh(
    db: Database,
    client: OAuthClient,
    form: Mapping[str, str],
    keys: Keys,
    caller: Caller,
) -> dict[str, Any]:
    """``grant_type=refresh_token``: rotate the session; a reused token ends the grant."""
    token = form.get("refresh_token")
    if not token:
        raise invalid_request("refresh_token is required")
    if not client.refreshes:
        raise OAuthError("unauthorized_client", "The client may not use refresh_token")
    old = sha256(token)
    grants = directus_oauth_tokens
    with db.write() as conn:
        grant = conn.execute(sa.select(grants).where(grants.c.session == old)).first()
        if grant is None:
            reused = _end_grants(conn, previous_session=old, client=client.client_id)
        elif grant.client != client.client_id:
            raise invalid_grant("Refresh token is invalid or has expired")
        else:
            scope = _narrowed(form.get("scope"), grant.scope)
            if (form.get("resource") or grant.resource) != grant.resource:
                raise OAuthError("invalid_target", f"resource must be {grant.resource}")
            if aware(grant.expires_at) < now() or not _active(conn, grant.user):
                raise invalid_grant("Refresh token is invalid or has expired")
            return _rotate(conn, client, grant, scope, keys, caller)
    if reused:
        raise invalid_grant("Refresh token was already used; the grant is revoked")
    raise invalid_grant("Refresh token is invalid or has expired")


def revoke(db: Database, client: OAuthClient, token: str, caller: Caller) -> None:
    """RFC 7009: end the grant whose current refresh token this is; anything else is ignored."""
    grants = directus_oauth_tokens
    with db.write() as conn:
        grant = conn.execute(
            sa.select(grants.c.id, grants.c.user).where(
                grants.c.session == sha256(token), grants.c.client == client.client_id
            )
        ).first()
        if grant is None:
            return
        _end_grants(conn, id=grant.id)
        audit.log(
            conn, "logout", audit.GRANTS, str(grant.id), user=str(grant.user), **_seen(caller)
        )


def end_grants_of(conn: Connection, user: str, client: str) -> int:
    """Everything ``user`` gave ``client``: grants, sessions, codes and the consent."""
    ended = _end_grants(conn, user=user, client=client)
    sessions = directus_sessions
    conn.execute(
        sa.delete(sessions).where(sessions.c.user == user, sessions.c.oauth_client == client)
    )
    codes = directus_oauth_codes
    conn.execute(sa.delete(codes).where(codes.c.user == user, codes.c.client == client))
    consents = directus_oauth_consents
    removed = conn.execute(
        sa.delete(consents).where(consents.c.user == user, consents.c.client == client)
    ).rowcount
    return ended + removed


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """``Authorization: Basic`` as (client_id, secret), form-decoded as RFC 6749 §2.3.1 says."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "Malformed Basic authorization", 401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "Malformed Basic authorization", 401)
    return unquote_plus(client_id), unquote_plus(secret)


def _open_grant(
    conn: Connection,
    client: OAuthClient,
    user: str,
    scope: str | None,
    resource: str,
    code_hash: str,
    keys: Keys,
    caller: Caller,
) -> dict[str, Any]:
    if not _active(conn, user):
        raise invalid_grant()
    _end_grants(conn, user=user, client=client.client_id)
    refresh_token, session = _new_session(conn, client, user, keys, caller)
    grant_id = str(uuid.uuid4())
    conn.execute(
        sa.insert(directus_oauth_tokens).values(
            id=grant_id,
            client=client.client_id,
            user=user,
            session=session,
            resource=resource,
            code_hash=code_hash,
            scope=scope or SCOPE_ACCESS,
            expires_at=now() + keys.refresh_ttl,
            date_created=now(),
        )
    )
    audit.log(conn, "login", audit.GRANTS, grant_id, user=user, **_seen(caller))
    return _answer(
        conn, client, user, session, scope or SCOPE_ACCESS, resource, refresh_token, keys
    )


def _rotate(
    conn: Connection, client: OAuthClient, grant: Any, scope: str, keys: Keys, caller: Caller
) -> dict[str, Any]:
    refresh_token, session = _new_session(conn, client, grant.user, keys, caller)
    grants = directus_oauth_tokens
    moved = conn.execute(
        sa.update(grants)
        .where(grants.c.id == grant.id, grants.c.session == grant.session)
        .values(
            session=session,
            previous_session=grant.session,
            scope=scope,
            expires_at=now() + keys.refresh_ttl,
        )
    ).rowcount
    if not moved:  # a concurrent refresh of the same token won
        raise invalid_grant("Refresh token is invalid or has expired")
    conn.execute(sa.delete(directus_sessions).where(directus_sessions.c.token == grant.session))
    audit.log(conn, "update", audit.GRANTS, str(grant.id), user=str(grant.user), **_seen(caller))
    return _answer(
        conn, client, str(grant.user), session, scope, grant.resource, refresh_token, keys
    )


def _new_session(
    conn: Connection, client: OAuthClient, user: str, keys: Keys, caller: Caller
) -> tuple[str, str]:
    """A session for the grant: the raw refresh token, and its hash (the row's key)."""
    refresh_token = secrets.token_urlsafe(48)
    session = sha256(refresh_token)
    conn.execute(
        sa.insert(directus_sessions).values(
            token=session,
            user=user,
            expires=now() + keys.refresh_ttl,
            ip=caller.ip,
            user_agent=caller.user_agent,
            oauth_client=client.client_id,
        )
    )
    return refresh_token, session


def _answer(
    conn: Connection,
    client: OAuthClient,
    user: str,
    session: str,
    scope: str,
    resource: str,
    refresh_token: str,
    keys: Keys,
) -> dict[str, Any]:
    role = conn.execute(
        sa.select(directus_users.c.role).where(directus_users.c.id == user)
    ).scalar()
    who = resolve_accountability(conn, user)
    issued = issue_access_token(
        keys.secret,
        user=user,
        role=str(role) if role is not None else None,
        app_access=who.app,
        admin_access=who.admin,
        ttl=keys.access_ttl,
        session=session,
        claims={"scope": scope, "aud": resource},
    )
    answer: dict[str, Any] = {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": int(keys.access_ttl.total_seconds()),
        "scope": scope,
    }
    if client.refreshes:
        answer["refresh_token"] = refresh_token
    return answer


def _end_grants(conn: Connection, **where: str) -> int:
    """Delete the grants matching ``where`` and their sessions; how many there were."""
    grants = directus_oauth_tokens
    clause = [grants.c[name] == value for name, value in where.items()]
    found = conn.execute(sa.select(grants.c.session).where(*clause)).scalars().all()
    if not found:
        return 0
    conn.execute(sa.delete(directus_sessions).where(directus_sessions.c.token.in_(found)))
    conn.execute(sa.delete(grants).where(*clause))
    return len(found)


def _narrowed(asked: str | None, granted: str) -> str:
    """A refresh may ask for the grant's scope or less, never more."""
    if asked is None:
        return granted
    scopes = parse_scope(asked)
    if granted in scopes:
        return granted
    if scopes and all(scope == SCOPE_READ for scope in scopes):
        return SCOPE_READ
    raise OAuthError("invalid_scope", "The requested scope exceeds the grant")


def _active(conn: Connection, user: str) -> bool:
    status = conn.execute(
        sa.select(directus_users.c.status).where(directus_users.c.id == user)
    ).scalar()
    return status == "active"


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


def _seen(caller: Caller) -> dict[str, str | None]:
    return {"ip": caller.ip, "user_agent": caller.user_agent}
