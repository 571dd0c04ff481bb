"""The roles pages: list, create, edit (nesting), attach and detach policies, delete, and
the preset roles — each write through the items service as the signed-in caller."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from admin_helpers import EDITOR_EMAIL, PASSWORD, Person, text_of
from callers import grant, make_caller
from tessera.access.passwords import hash_password
from tessera.db import Database
from tessera.db.system_tables import (
    directus_access,
    directus_activity,
    directus_permissions,
    directus_policies,
    directus_roles,
    directus_users,
)

pytestmark = pytest.mark.anyio


def role_named(db: Database, name: str) -> Any:
    with db.read() as conn:
        return conn.execute(sa.select(directus_roles).where(directus_roles.c.name == name)).first()


def count(db: Database, table: sa.Table) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def activity(db: Database, collection: str, item: Any) -> list[str]:
    table = directus_activity
    with db.read() as conn:
        return list(
            conn.execute(
                sa.select(table.c.action)
                .where(table.c.collection == collection, table.c.item == str(item))
                .order_by(table.c.id)
            ).scalars()
        )


def message(html: str, element: str) -> str:
    """The words of the element with that id (an error next to a field)."""
    found = re.search(rf'id="{element}"[^>]*>(.*?)</p>', html, re.S)
    return text_of(found.group(1)) if found else ""


def location_key(response: Any) -> str:
    found = re.match(r"/admin/roles/([0-9a-f-]{36})\?notice=", response.headers["location"])
    assert found, response.headers.get("location")
    return found.group(1)


async def test_the_list_shows_roles_nested_with_their_policies_and_users(
    admin: Person, admin_db: Database
):
    created = await admin.submit("/admin/roles/new", {"name": "Writers"})
    writers = location_key(created)
    await admin.submit("/admin/roles/new", {"name": "Interns", "parent": writers})
    page = await admin.get("/admin/roles")
    assert page.status_code == 200
    words = text_of(page.text)
    # The seed's role, its policy and its one user, the admin:
    assert "App/API access. — Administrator 1" in words
    assert "Writers — — 0" in words
    assert "↳ Interns Writers — 0" in words
    assert words.index("Writers — —") < words.index("↳ Interns")


async def test_create_then_edit_a_role_and_the_activity_records_both(
    admin: Person, admin_db: Database
):
    created = await admin.submit("/admin/roles/new", {"name": "Writers", "description": "Pens"})
    assert created.status_code == 303
    key = location_key(created)
    shown = await admin.get(created.headers["location"])
    assert "Created." in shown.text
    assert 'value="Writers"' in shown.text
    saved = await admin.submit(
        f"/admin/roles/{key}", {"name": "Authors", "description": ""}, page=f"/admin/roles/{key}"
    )
    assert saved.status_code == 303
    row = role_named(admin_db, "Authors")
    assert row.id == key
    assert row.description is None
    assert activity(admin_db, "directus_roles", key) == ["create", "update"]


async def test_a_role_without_a_name_is_refused_next_to_the_field(
    admin: Person, admin_db: Database
):
    before = count(admin_db, directus_roles)
    refused = await admin.submit("/admin/roles/new", {"name": "  "})
    assert refused.status_code == 400
    assert message(refused.text, "name-error") == "Give the role a name."
    assert count(admin_db, directus_roles) == before


async def test_a_role_cannot_become_its_own_descendant(admin: Person, admin_db: Database):
    parent = location_key(await admin.submit("/admin/roles/new", {"name": "Parent"}))
    child = location_key(
        await admin.submit("/admin/roles/new", {"name": "Child", "parent": parent})
    )
    form = await admin.get(f"/admin/roles/{parent}")
    assert f'<option value="{child}"' not in form.text  # not offered
    refused = await admin.submit(
        f"/admin/roles/{parent}", {"name": "Parent", "parent": child}, page=f"/admin/roles/{parent}"
    )
    assert refused.status_code == 400
    assert message(refused.text, "parent-error") == (
        "A role cannot have a parent that is already a descendant of itself."
    )
    assert role_named(admin_db, "Parent").parent is None


async def test_attach_and_detach_a_policy(admin: Person, admin_db: Database):
    key = location_key(await admin.submit("/admin/roles/new", {"name": "Writers"}))
    with admin_db.read() as conn:
        policy = conn.execute(
            sa.select(directus_policies.c.id).where(directus_policies.c.name == "Administrator")
        ).scalar_one()
    page = f"/admin/roles/{key}"
    attached = await admin.submit(f"{page}/policies", {"policy": policy}, page=page)
    assert attached.status_code == 303
    shown = await admin.get(attached.headers["location"])
    assert "The policy is attached" in shown.text
    assert "Administrator Admin Detach" in text_of(shown.text)
    with admin_db.read() as conn:
        access = conn.execute(
            sa.select(directus_access.c.id).where(directus_access.c.role == key)
        ).scalar_one()
    assert activity(admin_db, "directus_access", access) == ["create"]
    detached = await admin.submit(f"{page}/policies/{access}/delete", page=page)
    assert detached.status_code == 303
    assert activity(admin_db, "directus_access", access) == ["create", "delete"]
    assert activity(admin_db, "directus_roles", key) == ["create", "update", "update"]
    with admin_db.read() as conn:
        left = conn.execute(sa.select(directus_access).where(directus_access.c.role == key))
        assert left.first() is None


async def test_deleting_a_role_suspends_its_users(admin: Person, admin_db: Database):
    with admin_db.read() as conn:
        editor = conn.execute(
            sa.select(directus_users.c.id, directus_users.c.role).where(
                directus_users.c.email == EDITOR_EMAIL
            )
        ).one()
    page = f"/admin/roles/{editor.role}"
    form = await admin.get(page)
    assert "Its users are suspended" in form.text
    deleted = await admin.submit(f"{page}/delete", page=page)
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/admin/roles?notice=deleted"
    with admin_db.read() as conn:
        user = conn.execute(
            sa.select(directus_users.c.status, directus_users.c.role).where(
                directus_users.c.id == editor.id
            )
        ).one()
    assert tuple(user) == ("suspended", None)
    assert activity(admin_db, "directus_roles", editor.role) == ["delete"]


async def test_a_preset_creates_the_role_with_its_policy_and_refuses_a_second_time(
    admin: Person, admin_db: Database
):
    page = await admin.get("/admin/roles")
    assert "Create the Content Editor role" in page.text
    assert "never delete" in page.text
    created = await admin.submit(
        "/admin/roles/preset", {"preset": "content-editor"}, page="/admin/roles"
    )
    assert created.status_code == 303
    key = location_key(created)
    shown = text_of((await admin.get(f"/admin/roles/{key}")).text)
    assert "Content Editor App Detach" in shown
    with admin_db.read() as conn:
        policy = conn.execute(
            sa.select(directus_policies).where(directus_policies.c.name == "Content Editor")
        ).one()
        granted = {
            (row.collection, row.action)
            for row in conn.execute(
                sa.select(directus_permissions).where(directus_permissions.c.policy == policy.id)
            )
        }
    assert policy.app_access
    assert not policy.admin_access
    assert ("articles", "update") in granted
    assert ("articles", "delete") not in granted
    assert ("directus_fields", "read") in granted
    assert activity(admin_db, "directus_policies", policy.id) == ["create"]
    before = (count(admin_db, directus_roles), count(admin_db, directus_permissions))
    again = await admin.submit(
        "/admin/roles/preset", {"preset": "content-editor"}, page="/admin/roles"
    )
    assert again.status_code == 409
    assert message(again.text, "preset-content-editor-error").startswith(
        'A role and a policy named "Content Editor" exist already'
    )
    assert (count(admin_db, directus_roles), count(admin_db, directus_permissions)) == before


async def test_the_developer_preset_may_delete(admin: Person, admin_db: Database):
    created = await admin.submit(
        "/admin/roles/preset", {"preset": "developer"}, page="/admin/roles"
    )
    assert created.status_code == 303
    with admin_db.read() as conn:
        actions = set(
            conn.execute(
                sa.select(directus_permissions.c.action)
                .join(directus_policies, directus_policies.c.id == directus_permissions.c.policy)
                .where(
                    directus_policies.c.name == "Developer",
                    directus_permissions.c.collection == "comments",
                )
            ).scalars()
        )
    assert actions == {"create", "read", "update", "delete"}


async def test_a_post_without_the_csrf_token_writes_nothing(admin: Person, admin_db: Database):
    await admin.get("/admin/roles/new")
    refused = await admin.http.post("/admin/roles/new", data={"name": "Sneaky"})
    assert refused.status_code == 403
    assert "The form expired" in refused.text
    assert role_named(admin_db, "Sneaky") is None


async def test_an_editor_sees_only_their_own_role_and_may_change_nothing(
    person: Person, admin_db: Database
):
    await person.sign_in(EDITOR_EMAIL)
    page = await person.get("/admin/roles")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Administrator" not in words
    assert "New role" not in words
    assert "Create the Content Editor role" not in words
    with admin_db.read() as conn:
        role = conn.execute(
            sa.select(directus_users.c.role).where(directus_users.c.email == EDITOR_EMAIL)
        ).scalar_one()
    assert f"/admin/roles/{role}" in page.text
    form = await person.get(f"/admin/roles/{role}")
    assert form.status_code == 200
    assert "Delete the role" not in form.text
    before = count(admin_db, directus_roles)
    for path, data in (
        ("/admin/roles/new", {"name": "Mine"}),
        (f"/admin/roles/{role}", {"name": "Renamed"}),
        (f"/admin/roles/{role}/delete", {}),
        ("/admin/roles/preset", {"preset": "developer"}),
    ):
        refused = await person.submit(path, data, page="/admin/roles")
        assert refused.status_code == 403, path
        assert "Not allowed" in refused.text
    assert count(admin_db, directus_roles) == before
    assert role_named(admin_db, "Renamed") is None


async def test_a_role_manager_changes_roles_within_their_permissions(
    person: Person, admin_db: Database
):
    """Not only admins: a user whose policy lets them read every role but Administrator,
    and create and update roles, may do that here — and saving a role whose parent they
    may not read keeps that parent."""
    email = "roles@example.com"
    visible = {"name": {"_neq": "Administrator"}}
    make_caller(
        admin_db,
        [
            grant("directus_roles", "read", rule=visible),
            grant("directus_roles", "create"),
            grant("directus_roles", "update", rule=visible),
        ],
        email=email,
        app=True,
    )
    admins = role_named(admin_db, "Administrator").id
    with admin_db.write() as conn:
        conn.execute(
            sa.insert(directus_roles).values(id=str(uuid.uuid4()), name="Deputies", parent=admins)
        )
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.email == email)
            .values(password=hash_password(PASSWORD), provider="default")
        )
    await person.sign_in(email)
    listed = text_of((await person.get("/admin/roles")).text)
    assert "Deputies" in listed
    assert "Administrator" not in listed
    key = location_key(await person.submit("/admin/roles/new", {"name": "Reviewers"}))
    assert activity(admin_db, "directus_roles", key) == ["create"]
    deputies = role_named(admin_db, "Deputies").id
    form = await person.get(f"/admin/roles/{deputies}")
    assert "The current parent (a role you may not see)" in form.text
    saved = await person.submit(
        f"/admin/roles/{deputies}", {"name": "Deputy admins", "parent": admins}
    )
    assert saved.status_code == 303
    assert role_named(admin_db, "Deputy admins").parent == admins
    refused = await person.submit(f"/admin/roles/{deputies}/delete", page="/admin/roles")
    assert refused.status_code == 403
