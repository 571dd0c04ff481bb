"""Resolved callers are reused until the user's role or the ACCESS counter changes."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from callers import grant, make_caller
from tessera.access.resolve import CallerCache
from tessera.db.counters import ACCESS, bump_counter
from tessera.db.system_tables import directus_access, directus_policies, directus_users


def test_cached_until_the_role_or_access_changes(db):
    first = make_caller(db, [grant("things", "read")])
    other = make_caller(db, [grant("things", "read")])
    cache = CallerCache()
    statements = []

    def watch(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with db.read() as conn:
        assert cache.resolve(conn, first.user, first.role) == first
    sa.event.listen(db.engine, "before_cursor_execute", watch)
    try:
        with db.read() as conn:
            again = cache.resolve(conn, first.user, first.role, user_agent="curl/8")
        assert again.policies == first.policies
        assert again.user_agent == "curl/8"
        assert len([s for s in statements if "directus_access" in s]) == 0
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", watch)

    # the user moves to another role: the caller passes the new role, the answer follows
    with db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.id == first.user)
            .values(role=other.role)
        )
        moved = cache.resolve(conn, first.user, other.role)
    assert moved.policies == other.policies

    # a policy given to the role directly shows once the ACCESS counter moves
    admin_policy = str(uuid.uuid4())
    with db.write() as conn:
        conn.execute(
            sa.insert(directus_policies).values(
                id=admin_policy, name="Admins", admin_access=True, app_access=True
            )
        )
        conn.execute(
            sa.insert(directus_access).values(
                id=str(uuid.uuid4()), role=other.role, policy=admin_policy
            )
        )
        bump_counter(conn, ACCESS)
    with db.read() as conn:
        promoted = cache.resolve(conn, first.user, other.role)
    assert promoted.admin
    assert admin_policy in promoted.policies
