"""From a user id (or nobody) to the caller's :class:`Accountability`.

As in Directus: a role inherits the policies of every ancestor (``parent``); a user
also gets the policies attached to them directly; an unauthenticated caller, and a
user with no role, get the Public policy (the access row with no role and no user).
A policy whose ``ip_access`` list does not contain the caller's address is dropped
altogether. ``admin`` and ``app`` are true when any remaining policy grants them.
"""

from __future__ import annotations

import ipaddress
import threading
import uuid
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.db.counters import ACCESS, read_counter
from tessera.db.system_tables import (
    directus_access,
    directus_policies,
    directus_roles,
    directus_users,
)

#: A guard against a loop in ``parent`` that someone wrote by hand.
MAX_ROLE_DEPTH = 32


def resolve_accountability(
    conn: Connection,
    user: str | None,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    origin: str | None = None,
) -> Accountability:
    """The accountability of ``user`` (None: an unauthenticated caller)."""
    role = None
    if user is not None:
        role = conn.execute(
            sa.select(directus_users.c.role).where(directus_users.c.id == user)
        ).scalar()
    return replace(_resolve(conn, user, role, ip), user_agent=user_agent, origin=origin)


def role_accountability(
    conn: Connection, role: str, *, ip: str | None = None
) -> Accountability | None:
    """A role's rights with no user, as Directus builds them for work done "as a role" (a
    flow operation's ``permissions``); None when there is no such role."""
    try:
        role = str(uuid.UUID(role))
    except ValueError:
        return None
    found = conn.execute(sa.select(directus_roles.c.id).where(directus_roles.c.id == role))
    if found.first() is None:
        return None
    return _resolve(conn, None, role, ip)


class CallerCache:
    """Resolved callers of one process, until roles, policies or access change.

    Keyed by (user, role, the :data:`~tessera.db.counters.ACCESS` counter, IP): the caller
    passes the user's role as read on this request, so a role change shows at once, and
    any change to roles, policies or access moves the counter. A request then costs one
    primary-key lookup instead of walking the role chain and the policies.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._found: dict[tuple[str | None, str | None, int, str | None], Accountability] = {}
        self._version = -1
        self._lock = threading.Lock()

    def resolve(
        self,
        conn: Connection,
        user: str | None,
        role: str | None,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        origin: str | None = None,
    ) -> Accountability:
        version = read_counter(conn, ACCESS)
        key = (user, role, version, ip)
        with self._lock:
            if version != self._version or len(self._found) >= self.size:
                self._found.clear()
                self._version = version
            found = self._found.get(key)
        if found is None:
            found = _resolve(conn, user, role, ip)
            with self._lock:
                self._found[key] = found
        return replace(found, user_agent=user_agent, origin=origin)


def _resolve(
    conn: Connection, user: str | None, role: str | None, ip: str | None
) -> Accountability:
    roles = role_chain(conn, role)
    policies = _policies(conn, user, roles)
    allowed = _policy_flags(conn, policies, ip)
    kept = tuple(p for p in policies if p in allowed)
    return Accountability(
        user=user,
        role=role,
        roles=roles,
        policies=kept,
        admin=any(allowed[p][0] for p in kept),
        app=any(allowed[p][1] for p in kept),
        ip=ip,
    )


def role_chain(conn: Connection, role: str | None) -> tuple[str, ...]:
    """``role`` and its ancestors, root first."""
    chain: list[str] = []
    current = role
    while current is not None and current not in chain and len(chain) < MAX_ROLE_DEPTH:
        chain.append(current)
        current = conn.execute(
            sa.select(directus_roles.c.parent).where(directus_roles.c.id == current)
        ).scalar()
    return tuple(reversed(chain))


def _policies(conn: Connection, user: str | None, roles: tuple[str, ...]) -> tuple[str, ...]:
    access = directus_access
    public = access.c.role.is_(None) & access.c.user.is_(None)
    if not roles:
        where = public if user is None else public | (access.c.user == user)
    else:
        where = access.c.role.in_(roles)
        if user is not None:
            where = where | (access.c.user == user)
    rows = conn.execute(
        sa.select(access.c.policy, access.c.role, access.c.user, access.c.sort).where(where)
    ).all()
    depth = {role: index for index, role in enumerate(roles)}

    def order(row: sa.Row) -> tuple[int, int]:  # type: ignore[type-arg]
        if row.user is not None:
            level = len(roles) + 1
        elif row.role is not None:
            level = depth[row.role]
        else:
            level = -1  # Public first: everything else may override its presets
        return (level, row.sort if row.sort is not None else 0)

    ordered: list[str] = []
    for row in sorted(rows, key=order):
        if row.policy not in ordered:
            ordered.append(row.policy)
    return tuple(ordered)


def _policy_flags(
    conn: Connection, policies: tuple[str, ...], ip: str | None
) -> dict[str, tuple[bool, bool]]:
    """(admin_access, app_access) of each policy the caller's address may use."""
    if not policies:
        return {}
    table = directus_policies
    rows = conn.execute(
        sa.select(table.c.id, table.c.admin_access, table.c.app_access, table.c.ip_access).where(
            table.c.id.in_(policies)
        )
    ).all()
    return {
        row.id: (bool(row.admin_access), bool(row.app_access))
        for row in rows
        if ip_allowed(row.ip_access, ip)
    }


def ip_allowed(ip_access: str | None, ip: str | None) -> bool:
    """Whether ``ip`` is in a policy's comma-separated addresses, ranges (``a-b``) and networks.

    An empty list allows everyone; a non-empty one refuses a caller whose address is
    unknown or unparsable, and ignores entries that are not addresses or networks.
    """
    entries = [entry.strip() for entry in (ip_access or "").split(",") if entry.strip()]
    if not entries:
        return True
    if ip is None:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in entries:
        try:
            if "-" in entry:  # a range, first-last
                first, last = (ipaddress.ip_address(part.strip()) for part in entry.split("-", 1))
                if first.version == address.version and first <= address <= last:  # type: ignore[operator]
                    return True
            elif address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
