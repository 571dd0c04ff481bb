import threading
import uuid

import pytest
import sqlalchemy as sa

from db_helpers import all_rows
from tessera.access.passwords import verify_password
from tessera.config import load_settings
from tessera.db import Database
from tessera.db.system_tables import (
    directus_access,
    directus_policies,
    directus_roles,
    directus_settings,
    directus_users,
)
from tessera.services.bootstrap import PUBLIC_POLICY_ID, bootstrap


def admin_settings(**values):
    defaults = {"admin_email": "owner@example.com", "admin_password": "pw-1", "admin_token": None}
    return load_settings(env_file=None, secret="s", **{**defaults, **values})


USER, ADMINS, EVERYONE, LINK = (str(uuid.uuid4()) for _ in range(4))


def rows(db, table, *where):
    with db.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).where(*where)).mappings()]


def test_fresh_database_gets_settings_administrator_public_and_admin(db):
    result = bootstrap(db, admin_settings(admin_token="tok-1"))

    (settings_row,) = rows(db, directus_settings)
    assert settings_row["id"] == 1
    assert settings_row["project_color"] == "#6644FF"
    assert settings_row["mcp_enabled"] is False

    (role,) = rows(db, directus_roles)
    assert role == {
        "id": result.admin_role,
        "name": "Administrator",
        "icon": "verified",
        "description": "$t:admin_description",
        "parent": None,
    }
    admin_policy, public_policy = sorted(
        rows(db, directus_policies), key=lambda p: p["id"] != result.admin_policy
    )
    assert admin_policy["name"] == "Administrator"
    assert admin_policy["icon"] == "verified"
    assert admin_policy["description"] == "$t:admin_description"
    assert (admin_policy["admin_access"], admin_policy["app_access"]) == (True, True)
    assert public_policy["id"] == result.public_policy == PUBLIC_POLICY_ID
    assert public_policy["name"] == "$t:public_label"
    assert public_policy["icon"] == "public"
    assert public_policy["description"] == "$t:public_description"
    assert (public_policy["admin_access"], public_policy["app_access"]) == (False, False)

    links = {(a["role"], a["user"], a["policy"]) for a in rows(db, directus_access)}
    assert links == {(role["id"], None, admin_policy["id"]), (None, None, PUBLIC_POLICY_ID)}

    (user,) = rows(db, directus_users)
    assert user["id"] == result.admin_user
    assert user["email"] == result.admin_email == "owner@example.com"
    assert (user["status"], user["provider"], user["role"]) == ("active", "default", role["id"])
    assert (user["first_name"], user["last_name"]) == ("Admin", "User")
    assert user["token"] == "tok-1"
    assert verify_password(user["password"], "pw-1")
    assert result.generated_password is None
    assert result.settings_created
    assert result.created_anything


def test_ids_are_uuid_strings(db):
    result = bootstrap(db, admin_settings())
    for value in (result.admin_role, result.admin_policy, result.admin_user):
        assert isinstance(value, str)
        assert str(uuid.UUID(value)) == value


def test_without_admin_password_a_strong_one_is_generated_and_returned(db):
    result = bootstrap(db, admin_settings(admin_password=None))

    password = result.generated_password
    assert password is not None
    assert len(password) >= 20
    (user,) = rows(db, directus_users)
    assert verify_password(user["password"], password)
    assert user["token"] is None


def test_second_run_changes_nothing(db):
    first = bootstrap(db, admin_settings(admin_password=None))
    before = all_rows(db)

    second = bootstrap(db, admin_settings(admin_password=None))

    assert first.created_anything
    assert not second.created_anything
    assert second.generated_password is None
    assert all_rows(db) == before


def test_existing_users_are_left_alone(db):
    with db.write() as conn:
        conn.execute(sa.insert(directus_users).values(id=USER, email="someone@example.com"))

    result = bootstrap(db, admin_settings())

    assert result.admin_user is None
    assert [u["email"] for u in rows(db, directus_users)] == ["someone@example.com"]


def test_existing_admin_policy_without_a_role_gets_one_for_the_first_admin(db):
    with db.write() as conn:
        conn.execute(
            sa.insert(directus_policies).values(id=ADMINS, name="Admins", admin_access=True)
        )

    result = bootstrap(db, admin_settings())

    assert result.admin_policy is None
    assert len(rows(db, directus_policies, directus_policies.c.admin_access.is_(True))) == 1
    (user,) = rows(db, directus_users)
    assert user["role"] == result.admin_role
    (link,) = rows(db, directus_access, directus_access.c.role == result.admin_role)
    assert link["policy"] == ADMINS


def test_an_existing_public_attachment_is_kept(db):
    with db.write() as conn:
        conn.execute(sa.insert(directus_policies).values(id=EVERYONE, name="Everyone"))
        conn.execute(sa.insert(directus_access).values(id=LINK, policy=EVERYONE))

    result = bootstrap(db, admin_settings())

    assert result.public_policy is None
    public = rows(db, directus_access, directus_access.c.role.is_(None))
    assert [a["policy"] for a in public] == [EVERYONE]


def test_two_instances_bootstrapping_at_once_make_one_admin(databases):
    url = databases.migrated_url()
    handles = [Database(url), Database(url)]
    start = threading.Barrier(2)
    failures = []

    def run(handle):
        start.wait()
        try:
            bootstrap(handle, admin_settings())
        except Exception as exc:  # reported below with the assertion
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(h,)) for h in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert len(rows(handles[0], directus_users)) == 1
        assert len(rows(handles[0], directus_policies)) == 2
    finally:
        for handle in handles:
            handle.dispose()


@pytest.mark.parametrize("token", ["", None])
def test_an_empty_admin_token_stores_no_token(db, token):
    bootstrap(db, admin_settings(admin_token=token))
    (user,) = rows(db, directus_users)
    assert user["token"] is None
