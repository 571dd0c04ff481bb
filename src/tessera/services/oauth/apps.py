"""Who approved what: each user's connected apps, and the admins' view of every client."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability, require_admin
from tessera.db.system_tables import (
    directus_activity,
    directus_oauth_clients,
    directus_oauth_consents,
    directus_oauth_tokens,
    directus_users,
)
from tessera.errors import ForbiddenError
from tessera.services.oauth import audit, clients, tokens
from tessera.services.oauth.common import aware

#: What the admin API and CLI show of a client (never the secret's hash).
CLIENT_FIELDS = (
    "client_id",
    "client_name",
    "redirect_uris",
    "grant_types",
    "token_endpoint_auth_method",
    "registration_type",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "metadata_fetched_at",
    "metadata_expires_at",
    "date_created",
)


def connected_apps(conn: Connection, user: str) -> list[dict[str, Any]]:
    """The clients ``user`` approved: name, redirect host, scope, when approved and last used."""
    c, k = directus_oauth_consents, directus_oauth_clients
    rows = conn.execute(
        sa.select(k.c.client_id, k.c.client_name, c.c.redirect_uri, c.c.scope, c.c.date_updated)
        .join(k, k.c.client_id == c.c.client)
        .where(c.c.user == user)
        .order_by(c.c.date_updated.desc())
    ).all()
    apps: dict[str, dict[str, Any]] = {}
    for row in rows:
        app = apps.setdefault(
            row.client_id,
            {
                "client_id": row.client_id,
                "client_name": row.client_name,
                "redirect_hosts": [],
                "scope": row.scope,
                "approved": row.date_updated,
                "last_used": _last_used(conn, row.client_id, user),
            },
        )
        host = urlsplit(row.redirect_uri).netloc or row.redirect_uri
        if host not in app["redirect_hosts"]:
            app["redirect_hosts"].append(host)
    return list(apps.values())


def disconnect(conn: Connection, user: str, client_id: str, who: Accountability) -> bool:
    """``user`` withdraws ``client_id``: its grants and sessions stop working at once."""
    if who.user != user and not who.admin:
        raise ForbiddenError()
    ended = tokens.end_grants_of(conn, user, client_id)
    if ended:
        audit.log(
            conn,
            "logout",
            audit.CLIENTS,
            client_id,
            user=user,
            ip=who.ip,
            user_agent=who.user_agent,
            origin=who.origin,
        )
    return ended > 0


def list_clients(conn: Connection, who: Accountability | None) -> list[dict[str, Any]]:
    require_admin(who)
    k = directus_oauth_clients
    columns = [k.c[name] for name in CLIENT_FIELDS]
    rows = conn.execute(sa.select(*columns).order_by(k.c.date_created.desc(), k.c.client_id))
    return [_with_grants(conn, dict(row._mapping)) for row in rows]


def get_client(conn: Connection, client_id: str, who: Accountability | None) -> dict[str, Any]:
    require_admin(who)
    k = directus_oauth_clients
    columns = [k.c[name] for name in CLIENT_FIELDS]
    row = conn.execute(sa.select(*columns).where(k.c.client_id == client_id)).first()
    if row is None:
        raise ForbiddenError()
    return _with_grants(conn, dict(row._mapping))


def client_grants(
    conn: Connection, client_id: str, who: Accountability | None
) -> list[dict[str, Any]]:
    """Who approved ``client_id`` (admins; FORBIDDEN for an unknown client): each user's
    email, the scope of their live grant (else of their approval), when they approved,
    since when a grant is live, and when the client last acted for them."""
    get_client(conn, client_id, who)
    c, t, u = directus_oauth_consents, directus_oauth_tokens, directus_users
    approvals = conn.execute(
        sa.select(c.c.user, c.c.scope, c.c.date_updated)
        .where(c.c.client == client_id)
        .order_by(c.c.date_updated)
    ).all()
    live = {
        str(row.user): row
        for row in conn.execute(
            sa.select(t.c.user, t.c.scope, t.c.date_created).where(t.c.client == client_id)
        )
    }
    approved = {str(row.user): row for row in approvals}  # the latest approval wins
    people = list(dict.fromkeys([*approved, *live]))
    emails = {
        str(row.id): row.email
        for row in conn.execute(sa.select(u.c.id, u.c.email).where(u.c.id.in_(people)))
    }
    listed = []
    for user in people:
        grant, approval = live.get(user), approved.get(user)
        listed.append(
            {
                "user": user,
                "email": emails.get(user),
                "scope": (grant or approval).scope,
                "approved": approval.date_updated if approval else grant.date_created,
                "granted": grant.date_created if grant else None,
                "last_used": _last_used(conn, client_id, user),
            }
        )
    return sorted(listed, key=lambda row: aware(row["approved"]), reverse=True)


def revoke_client(conn: Connection, client_id: str, who: Accountability | None) -> None:
    """Remove a client and everything it holds (admins); FORBIDDEN for an unknown one,
    as Directus answers for a missing item."""
    require_admin(who)
    if not clients.remove(conn, client_id):
        raise ForbiddenError()
    actor = who or Accountability()
    audit.log(
        conn,
        "delete",
        audit.CLIENTS,
        client_id,
        user=actor.user,
        ip=actor.ip,
        user_agent=actor.user_agent,
        origin=actor.origin,
    )


def _with_grants(conn: Connection, client: dict[str, Any]) -> dict[str, Any]:
    t = directus_oauth_tokens
    client["grants"] = conn.execute(
        sa.select(sa.func.count()).select_from(t).where(t.c.client == client["client_id"])
    ).scalar()
    client["last_used"] = _last_used(conn, client["client_id"])
    return client


def _last_used(conn: Connection, client_id: str, user: str | None = None) -> dt.datetime | None:
    """The client's latest activity (its MCP calls), or its latest grant when later; for
    one ``user``, or for anyone."""
    a, t = directus_activity, directus_oauth_tokens
    called = sa.select(sa.func.max(a.c.timestamp)).where(
        a.c.collection == audit.CLIENTS, a.c.item == client_id
    )
    granted = sa.select(sa.func.max(t.c.date_created)).where(t.c.client == client_id)
    if user is not None:
        called, granted = called.where(a.c.user == user), granted.where(t.c.user == user)
    moments = [m for m in (conn.execute(called).scalar(), conn.execute(granted).scalar()) if m]
    return max(moments) if moments else None
