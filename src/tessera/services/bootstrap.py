"""The rows a new database needs before anyone can use it, created once.

Shaped like Directus's own bootstrap (its first migrations plus ``createAdmin``),
so a database Directus set up is left as it is, and one Tessera sets up looks
like Directus's to a Directus user.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.passwords import hash_password
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.system_tables import (
    directus_access,
    directus_policies,
    directus_roles,
    directus_settings,
    directus_users,
)

#: The id every Directus database gives its Public policy; templates and exports refer to it.
PUBLIC_POLICY_ID = "abf8a154-5b1c-4a46-ac9c-7300570f4f17"
PG_BOOTSTRAP_LOCK = 7_361_220_002

ADMIN_ROLE = {"name": "Administrator", "icon": "verified", "description": "$t:admin_description"}
ADMIN_POLICY = {**ADMIN_ROLE, "admin_access": True, "app_access": True}
PUBLIC_POLICY = {
    "name": "$t:public_label",
    "icon": "public",
    "description": "$t:public_description",
    "admin_access": False,
    "app_access": False,
}


@dataclass
class BootstrapResult:
    """What one bootstrap run created; each id is set only when its row was made by this run."""

    settings_created: bool = False
    admin_role: str | None = None
    admin_policy: str | None = None
    public_policy: str | None = None  # attached to unauthenticated callers by this run
    admin_user: str | None = None
    admin_email: str | None = None
    generated_password: str | None = None

    @property
    def created_anything(self) -> bool:
        return self.settings_created or any(
            (self.admin_role, self.admin_policy, self.public_policy, self.admin_user)
        )


def bootstrap(db: Database, settings: Settings) -> BootstrapResult:
    """Create whatever of the settings row, Administrator, Public and first admin is missing."""
    result = BootstrapResult()
    with db.write() as conn:
        if db.is_postgres:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_BOOTSTRAP_LOCK})
        if conn.execute(sa.select(directus_settings.c.id).limit(1)).first() is None:
            conn.execute(sa.insert(directus_settings).values(id=1))
            result.settings_created = True
        if _admin_policy(conn) is None:
            result.admin_policy = _insert(conn, directus_policies, ADMIN_POLICY)
            result.admin_role = _insert_admin_role(conn, result.admin_policy)
        if not _has_public_access(conn):
            result.public_policy = _attach_public_policy(conn)
        if conn.execute(sa.select(directus_users.c.id).limit(1)).first() is None:
            _insert_admin_user(conn, settings, result)
    return result


def _insert(conn: Connection, table: sa.Table, values: Mapping[str, object]) -> str:
    row_id = values.get("id") or str(uuid.uuid4())
    conn.execute(sa.insert(table).values({**values, "id": row_id}))
    return str(row_id)


def _admin_policy(conn: Connection) -> str | None:
    query = sa.select(directus_policies.c.id).where(directus_policies.c.admin_access.is_(True))
    return conn.execute(query.order_by(directus_policies.c.id).limit(1)).scalar()


def _insert_admin_role(conn: Connection, policy: str) -> str:
    role = _insert(conn, directus_roles, ADMIN_ROLE)
    _insert(conn, directus_access, {"role": role, "user": None, "policy": policy})
    return role


def _admin_role(conn: Connection) -> str | None:
    """A role that some admin policy is attached to."""
    a, p = directus_access, directus_policies
    query = (
        sa.select(a.c.role)
        .join(p, p.c.id == a.c.policy)
        .where(p.c.admin_access.is_(True), a.c.role.is_not(None))
        .order_by(a.c.role)
        .limit(1)
    )
    return conn.execute(query).scalar()


def _has_public_access(conn: Connection) -> bool:
    a = directus_access
    query = sa.select(a.c.id).where(a.c.role.is_(None), a.c.user.is_(None)).limit(1)
    return conn.execute(query).first() is not None


def _attach_public_policy(conn: Connection) -> str:
    """Attach the Public policy to everyone, creating the policy unless it is there already."""
    exists = conn.execute(
        sa.select(directus_policies.c.id).where(directus_policies.c.id == PUBLIC_POLICY_ID)
    ).first()
    if exists is None:
        _insert(conn, directus_policies, {"id": PUBLIC_POLICY_ID, **PUBLIC_POLICY})
    access = {"role": None, "user": None, "policy": PUBLIC_POLICY_ID, "sort": 1}
    _insert(conn, directus_access, access)
    return PUBLIC_POLICY_ID


def _insert_admin_user(conn: Connection, settings: Settings, result: BootstrapResult) -> None:
    role = _admin_role(conn)
    if role is None:  # admin policies exist, but only on users or on nobody
        policy = _admin_policy(conn)
        assert policy is not None  # bootstrap created one if there was none
        role = result.admin_role = _insert_admin_role(conn, policy)
    password = settings.admin_password
    if not password:
        password = result.generated_password = secrets.token_urlsafe(18)
    result.admin_email = settings.admin_email
    result.admin_user = _insert(
        conn,
        directus_users,
        {
            "first_name": "Admin",
            "last_name": "User",
            "email": settings.admin_email,
            "password": hash_password(password),
            "status": "active",
            "provider": "default",
            "role": role,
            "token": settings.admin_token or None,
        },
    )
