"""The User Directory: list, search, create, edit, suspend, static tokens, MCP users."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from admin_helpers import EDITOR_EMAIL, Person, csrf_of, text_of
from tessera.db import Database
from tessera.db.system_tables import directus_activity, directus_roles, directus_users

pytestmark = pytest.mark.anyio


def user_row(db: Database, email: str):
    with db.read() as conn:
        return conn.execute(
            sa.select(directus_users).where(directus_users.c.email == email)
        ).first()


def a_role(db: Database) -> tuple[str, str]:
    with db.read() as conn:
        row = conn.execute(
            sa.select(directus_roles.c.id, directus_roles.c.name).order_by(directus_roles.c.name)
        ).first()
    return row.id, row.name


def token_on(html: str) -> str:
    found = re.search(r'<pre id="token">([^<]+)</pre>', html)
    assert found, "no token on the page"
    return found.group(1)


async def test_the_directory_lists_and_searches_users(admin: Person):
    listed = await admin.get("/admin/users")
    assert listed.status_code == 200
    words = text_of(listed.text)
    assert "3 users." in words
    assert "admin@example.com" in words
    assert EDITOR_EMAIL in words
    found = await admin.get("/admin/users", search="edit")
    words = text_of(found.text)
    assert "1 user matching “edit”." in words
    assert "admin@example.com" not in words


async def test_creating_a_user_lands_on_their_page(admin: Person, admin_db):
    role, role_name = a_role(admin_db)
    made = await admin.submit(
        "/admin/users/new",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "role": role,
            "status": "active",
            "password": "a long enough password",
        },
    )
    assert made.status_code == 303
    row = user_row(admin_db, "ada@example.com")
    assert made.headers["location"] == f"/admin/users/{row.id}?notice=created"
    assert row.role == role
    assert row.password.startswith("$argon2")
    page = await admin.get(made.headers["location"])
    assert "Ada Lovelace" in text_of(page.text)
    assert f'<option value="{role}" selected>{role_name}</option>' in page.text
    with admin_db.read() as conn:
        logged = (
            conn.execute(
                sa.select(directus_activity.c.action).where(
                    directus_activity.c.collection == "directus_users",
                    directus_activity.c.item == row.id,
                )
            )
            .scalars()
            .all()
        )
    assert logged == ["create"]


async def test_a_taken_email_is_refused_next_to_the_field(admin: Person, admin_db):
    refused = await admin.submit(
        "/admin/users/new", {"email": "ADMIN@example.com", "status": "active"}
    )
    assert refused.status_code == 400
    html = refused.text
    assert 'id="email-error"' in html
    assert html.index('id="email"') < html.index('id="email-error"') < html.index('id="role"')
    assert "has to be unique" in text_of(html)
    assert 'aria-invalid="true"' in html
    with admin_db.read() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(directus_users)).scalar()
    assert count == 3


async def test_a_bad_email_is_refused(admin: Person):
    refused = await admin.submit("/admin/users/new", {"email": "not-an-email"})
    assert refused.status_code == 400
    assert 'id="email-error"' in refused.text


async def test_editing_keeps_the_password_when_left_empty(admin: Person, admin_db):
    editor = user_row(admin_db, EDITOR_EMAIL)
    saved = await admin.submit(
        f"/admin/users/{editor.id}",
        {
            "first_name": "Eddie",
            "last_name": "",
            "email": EDITOR_EMAIL,
            "role": editor.role,
            "status": "active",
            "password": "",
        },
    )
    assert saved.status_code == 303
    after = user_row(admin_db, EDITOR_EMAIL)
    assert after.first_name == "Eddie"
    assert after.password == editor.password


async def test_suspending_stops_sign_in_and_reactivating_restores_it(admin: Person, admin_db, app):
    editor = user_row(admin_db, EDITOR_EMAIL)
    page = f"/admin/users/{editor.id}"
    done = await admin.submit(f"{page}/status", {"status": "suspended"}, page=page)
    assert done.status_code == 303
    assert user_row(admin_db, EDITOR_EMAIL).status == "suspended"
    assert "Reactivate" in (await admin.get(page)).text
    await admin.submit(f"{page}/status", {"status": "active"}, page=page)
    assert user_row(admin_db, EDITOR_EMAIL).status == "active"


async def test_a_token_is_shown_once_works_and_can_be_revoked(admin: Person, admin_db):
    editor = user_row(admin_db, EDITOR_EMAIL)
    page = f"/admin/users/{editor.id}"
    generated = await admin.submit(f"{page}/token", page=page)
    assert generated.status_code == 200
    token = token_on(generated.text)
    assert len(token) >= 40
    assert "shown this once" in text_of(generated.text)
    # The token signs requests in as the user...
    me = await admin.with_token("/users/me", token)
    assert me.json()["data"]["email"] == EDITOR_EMAIL
    # ... and is never shown again.
    again = await admin.get(page)
    assert token not in again.text
    assert "Set (it cannot be shown again)" in text_of(again.text)
    # Regenerating replaces it.
    regenerated = await admin.submit(f"{page}/token", page=page)
    second = token_on(regenerated.text)
    assert second != token
    old = await admin.with_token("/users/me", token)
    assert old.status_code == 401
    revoked = await admin.submit(f"{page}/token/revoke", page=page)
    assert revoked.headers["location"] == f"{page}?notice=revoked"
    assert user_row(admin_db, EDITOR_EMAIL).token is None
    gone = await admin.with_token("/users/me", second)
    assert gone.status_code == 401


async def test_create_an_mcp_user_shows_its_token_and_configs(admin: Person, admin_db):
    role, _ = a_role(admin_db)
    made = await admin.submit(
        "/admin/users/mcp-user",
        {"first_name": "Claude", "email": "claude@example.com", "role": role},
    )
    assert made.status_code == 200
    token = token_on(made.text)
    row = user_row(admin_db, "claude@example.com")
    assert (row.role, row.status, row.token, row.password) == (role, "active", token, None)
    words = text_of(made.text)
    assert "The MCP user is ready" in words
    assert (
        "claude mcp add --transport http tessera http://127.0.0.1:8055/mcp "
        f"--header 'Authorization: Bearer {token}'" in words
    )
    assert "MCP is off" in words


async def test_an_mcp_user_needs_a_role_and_an_email(admin: Person, admin_db):
    refused = await admin.submit("/admin/users/mcp-user", {"first_name": "X", "email": ""})
    assert refused.status_code == 400
    assert 'id="role-error"' in refused.text
    assert 'id="email-error"' in refused.text
    assert user_row(admin_db, "") is None


async def test_forms_without_the_csrf_token_change_nothing(admin: Person, admin_db):
    editor = user_row(admin_db, EDITOR_EMAIL)
    await admin.get("/admin/users")
    for path, data in (
        (f"/admin/users/{editor.id}/token", {}),
        (f"/admin/users/{editor.id}/status", {"status": "suspended"}),
        ("/admin/users/new", {"email": "x@example.com"}),
    ):
        refused = await admin.http.post(path, data=data)
        assert refused.status_code == 403
    after = user_row(admin_db, EDITOR_EMAIL)
    assert (after.token, after.status) == (None, "active")
    assert user_row(admin_db, "x@example.com") is None


async def test_an_editor_sees_only_themself_and_may_not_change_others(person: Person, admin_db):
    await person.sign_in(EDITOR_EMAIL)
    listed = await person.get("/admin/users")
    words = text_of(listed.text)
    assert "1 user." in words
    assert "admin@example.com" not in words
    admin_row = user_row(admin_db, "admin@example.com")
    assert (await person.get(f"/admin/users/{admin_row.id}")).status_code == 403
    page = await person.get("/admin/users")
    refused = await person.http.post(
        f"/admin/users/{admin_row.id}/token", data={"csrf": csrf_of(page.text)}
    )
    assert refused.status_code == 403
    assert user_row(admin_db, "admin@example.com").token == admin_row.token
    made = await person.http.post(
        "/admin/users/new", data={"csrf": csrf_of(page.text), "email": "sneaky@example.com"}
    )
    assert made.status_code == 403
    assert user_row(admin_db, "sneaky@example.com") is None


async def test_long_lists_come_in_pages_that_keep_the_search(admin: Person, admin_db):
    with admin_db.write() as conn:
        conn.execute(
            sa.insert(directus_users),
            [
                {"id": str(uuid.uuid4()), "email": f"bulk{n:02}@example.com", "status": "active"}
                for n in range(30)
            ],
        )
    first = await admin.get("/admin/users", search="bulk")
    words = text_of(first.text)
    assert "30 users matching “bulk”." in words
    assert "Page 1 of 2" in words
    assert "bulk24@example.com" in words
    assert "bulk25@example.com" not in words
    assert 'href="/admin/users?search=bulk&amp;page=2" rel="next"' in first.text
    second = await admin.get("/admin/users", search="bulk", page="2")
    words = text_of(second.text)
    assert "bulk25@example.com" in words
    assert 'href="/admin/users?search=bulk&amp;page=1" rel="prev"' in second.text
    assert 'rel="next"' not in second.text
    assert (await admin.get("/admin/users", page="not a number")).status_code == 200
