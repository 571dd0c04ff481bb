"""Resolving the caller: role chains, direct and public policies, IP limits, admin and app."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tessera.access.resolve import ip_allowed, resolve_accountability, role_chain
from tessera.db.system_tables import (
    directus_access,
    directus_policies,
    directus_roles,
    directus_users,
)


def new_id() -> str:
    return str(uuid.uuid4())


def rows(*dicts: dict) -> list[dict]:
    """Rows with the same keys: an executemany takes its columns from the first row."""
    keys = {key for d in dicts for key in d}
    defaults = {"admin_access": False, "app_access": False}
    return [{key: d.get(key, defaults.get(key)) for key in keys} for d in dicts]


@pytest.fixture
def org(db):
    """Public ← nothing; Staff ⊃ Editors (child); a policy per level, one limited by IP."""
    ids = {
        name: new_id()
        for name in (
            "public",
            "staff_policy",
            "editor_policy",
            "office_only",
            "personal",
            "admin_policy",
            "staff",
            "editors",
            "alice",
            "bob",
            "carol",
        )
    }
    with db.write() as conn:
        conn.execute(
            sa.insert(directus_policies),
            rows(
                {"id": ids["public"], "name": "Public"},
                {"id": ids["staff_policy"], "name": "Staff", "app_access": True},
                {"id": ids["editor_policy"], "name": "Editors"},
                {
                    "id": ids["office_only"],
                    "name": "Office",
                    "admin_access": True,
                    "ip_access": "10.0.0.0/8, 192.168.1.7",
                },
                {"id": ids["personal"], "name": "Personal"},
                {"id": ids["admin_policy"], "name": "Admin", "admin_access": True},
            ),
        )
        conn.execute(
            sa.insert(directus_roles),
            rows(
                {"id": ids["staff"], "name": "Staff"},
                {"id": ids["editors"], "name": "Editors", "parent": ids["staff"]},
            ),
        )
        conn.execute(
            sa.insert(directus_users),
            rows(
                {"id": ids["alice"], "email": "alice@example.com", "role": ids["editors"]},
                {"id": ids["bob"], "email": "bob@example.com", "role": None},
                {"id": ids["carol"], "email": "carol@example.com", "role": ids["staff"]},
            ),
        )
        conn.execute(
            sa.insert(directus_access),
            rows(
                {"id": new_id(), "role": None, "user": None, "policy": ids["public"]},
                {"id": new_id(), "role": ids["staff"], "user": None, "policy": ids["staff_policy"]},
                {
                    "id": new_id(),
                    "role": ids["editors"],
                    "user": None,
                    "policy": ids["editor_policy"],
                },
                {
                    "id": new_id(),
                    "role": ids["editors"],
                    "user": None,
                    "policy": ids["office_only"],
                },
                {"id": new_id(), "role": None, "user": ids["alice"], "policy": ids["personal"]},
                {"id": new_id(), "role": None, "user": ids["bob"], "policy": ids["personal"]},
            ),
        )
    return ids


def resolve(db, user, **kwargs):
    with db.read() as conn:
        return resolve_accountability(conn, user, **kwargs)


def test_a_child_role_inherits_its_parents_policies_in_order(db, org):
    who = resolve(db, org["alice"], ip="10.1.2.3", user_agent="ua", origin="https://x")
    assert who.role == org["editors"]
    assert who.roles == (org["staff"], org["editors"])
    assert who.policies == (
        org["staff_policy"],
        org["editor_policy"],
        org["office_only"],
        org["personal"],
    )
    assert who.admin is True  # through the office policy, reachable from 10.x
    assert who.app is True  # inherited from Staff
    assert (who.ip, who.user_agent, who.origin) == ("10.1.2.3", "ua", "https://x")


def test_a_policy_limited_by_ip_is_dropped_elsewhere(db, org):
    for ip in ("203.0.113.5", None, "not an address"):
        who = resolve(db, org["alice"], ip=ip)
        assert org["office_only"] not in who.policies
        assert who.admin is False
    assert resolve(db, org["alice"], ip="192.168.1.7").admin is True


def test_the_parent_role_does_not_get_the_childs_policies(db, org):
    who = resolve(db, org["carol"])
    assert who.roles == (org["staff"],)
    assert who.policies == (org["staff_policy"],)


def test_a_user_without_a_role_gets_public_and_their_own(db, org):
    who = resolve(db, org["bob"])
    assert who.role is None
    assert who.roles == ()
    assert who.policies == (org["public"], org["personal"])
    assert (who.admin, who.app) == (False, False)


def test_nobody_gets_only_public(db, org):
    who = resolve(db, None, ip="10.0.0.1")
    assert who.user is None
    assert who.policies == (org["public"],)
    assert who.admin is False


def test_an_admin_policy_on_the_user_makes_an_admin(db, org):
    with db.write() as conn:
        conn.execute(
            sa.insert(directus_access).values(
                id=new_id(), user=org["carol"], policy=org["admin_policy"]
            )
        )
    assert resolve(db, org["carol"]).admin is True


def test_a_loop_in_parent_roles_ends(db, org):
    with db.write() as conn:
        conn.execute(
            sa.update(directus_roles)
            .where(directus_roles.c.id == org["staff"])
            .values(parent=org["editors"])
        )
    with db.read() as conn:
        assert role_chain(conn, org["editors"]) == (org["staff"], org["editors"])


@pytest.mark.parametrize(
    ("ip_access", "ip", "allowed"),
    [
        (None, "1.2.3.4", True),
        ("", None, True),
        ("1.2.3.4", "1.2.3.4", True),
        ("1.2.3.0/24", "1.2.3.200", True),
        ("1.2.3.0/24", "1.2.4.1", False),
        ("2001:db8::/32", "2001:db8::1", True),
        ("junk, 5.6.7.8", "5.6.7.8", True),
        ("5.6.7.8", None, False),
        ("10.0.0.1-10.0.0.9", "10.0.0.5", True),
        ("10.0.0.1-10.0.0.9", "10.0.0.10", False),
        ("10.0.0.1-10.0.0.9", "::1", False),
        ("10.0.0.9-nonsense, 1.1.1.1", "10.0.0.9", False),
    ],
)
def test_ip_lists(ip_access, ip, allowed):
    assert ip_allowed(ip_access, ip) is allowed
