"""Callers with real roles, policies and permission rows, for the permission tests."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.access.resolve import resolve_accountability
from tessera.db import Database
from tessera.db.system_tables import (
    directus_access,
    directus_permissions,
    directus_policies,
    directus_roles,
    directus_users,
)


def grant(
    collection: str,
    action: str,
    *,
    fields: str | None = "*",
    rule: dict[str, Any] | None = None,
    validation: dict[str, Any] | None = None,
    presets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``directus_permissions`` row, without its policy."""
    return {
        "collection": collection,
        "action": action,
        "fields": fields,
        "permissions": rule,
        "validation": validation,
        "presets": presets,
    }


def make_caller(
    db: Database,
    *policies: list[dict[str, Any]],
    email: str | None = None,
    app: bool = False,
) -> Accountability:
    """A user with one role, holding one policy per list of permission rows given."""
    role, user = str(uuid.uuid4()), str(uuid.uuid4())
    policy_ids = [str(uuid.uuid4()) for _ in policies]
    with db.write() as conn:
        conn.execute(sa.insert(directus_roles).values(id=role, name=f"role {role[:8]}"))
        conn.execute(
            sa.insert(directus_users).values(
                id=user, email=email or f"{user[:8]}@example.com", role=role, status="active"
            )
        )
        for policy, permissions in zip(policy_ids, policies, strict=True):
            conn.execute(
                sa.insert(directus_policies).values(
                    id=policy, name=f"policy {policy[:8]}", app_access=app, admin_access=False
                )
            )
            conn.execute(
                sa.insert(directus_access).values(id=str(uuid.uuid4()), role=role, policy=policy)
            )
            for row in permissions:
                conn.execute(sa.insert(directus_permissions).values(policy=policy, **row))
        return resolve_accountability(conn, user)


def public_caller(db: Database, permissions: list[dict[str, Any]]) -> Accountability:
    """The unauthenticated caller, after giving the public policy ``permissions``."""
    with db.write() as conn:
        public = conn.execute(
            sa.select(directus_access.c.policy).where(
                directus_access.c.role.is_(None), directus_access.c.user.is_(None)
            )
        ).scalar()
        if public is None:  # a database that was never bootstrapped
            public = str(uuid.uuid4())
            conn.execute(
                sa.insert(directus_policies).values(
                    id=public, name="Public", app_access=False, admin_access=False
                )
            )
            conn.execute(sa.insert(directus_access).values(id=str(uuid.uuid4()), policy=public))
        for row in permissions:
            conn.execute(sa.insert(directus_permissions).values(policy=public, **row))
        return resolve_accountability(conn, None)
