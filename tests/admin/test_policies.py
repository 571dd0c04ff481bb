"""The policies pages: list, create, edit (flags and the IP allow-list), delete — each write
through the items service as the signed-in caller."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from admin_helpers import EDITOR_EMAIL, Person, text_of
from tessera.db import Database
from tessera.db.system_tables import directus_activity, directus_policies

pytestmark = pytest.mark.anyio


def policy_named(db: Database, name: str) -> Any:
    with db.read() as conn:
        table = directus_policies
        return conn.execute(sa.select(table).where(table.c.name == name)).first()


def count(db: Database) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(directus_policies)).scalar_one()


def message(html: str, element: str) -> str:
    found = re.search(rf'id="{element}"[^>]*>(.*?)</p>', html, re.S)
    return text_of(found.group(1)) if found else ""


async def create(admin: Person, **data: Any) -> str:
    created = await admin.submit("/admin/policies/new", data)
    assert created.status_code == 303, created.text
    found = re.match(
        r"/admin/policies/([0-9a-f-]{36})\?notice=created", created.headers["location"]
    )
    assert found
    return found.group(1)


async def test_the_list_says_what_each_policy_grants_and_to_whom(admin: Person):
    await create(admin, name="Office", app_access="1", ip_access="10.0.0.0/8\n192.168.1.10")
    page = await admin.get("/admin/policies")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Administrator Initial administrative role" in words
    assert "Admin Any Administrator 0 All" in words
    assert "Public Controls what API calls" in words
    assert "Office App 10.0.0.0/8 , 192.168.1.10 — 0 0" in words
    # By name as shown: the seed's public policy is stored as "$t:public_label".
    assert words.index("Administrator Initial") < words.index("Office") < words.index("Public")


async def test_create_and_edit_a_policy_and_the_activity_records_both(
    admin: Person, admin_db: Database
):
    key = await create(
        admin, name="Office", description="Staff", app_access="1", ip_access="10.0.0.0/8\n\n"
    )
    row = policy_named(admin_db, "Office")
    assert (row.app_access, row.admin_access, row.ip_access) == (True, False, "10.0.0.0/8")
    form = await admin.get(f"/admin/policies/{key}")
    assert "10.0.0.0/8</textarea>" in form.text
    assert "Two-factor sign-in: not required" in text_of(form.text)
    saved = await admin.submit(
        f"/admin/policies/{key}",
        {"name": "Office", "description": "", "ip_access": "10.0.0.1-10.0.0.9\n172.16.0.1"},
    )
    assert saved.status_code == 303
    row = policy_named(admin_db, "Office")
    assert (row.app_access, row.description) == (False, None)
    assert row.ip_access == "10.0.0.1-10.0.0.9,172.16.0.1"
    with admin_db.read() as conn:
        actions = conn.execute(
            sa.select(directus_activity.c.action)
            .where(directus_activity.c.collection == "directus_policies")
            .where(directus_activity.c.item == key)
            .order_by(directus_activity.c.id)
        ).scalars()
        assert list(actions) == ["create", "update"]


async def test_a_bad_ip_entry_is_refused_next_to_the_list_and_nothing_is_written(
    admin: Person, admin_db: Database
):
    before = count(admin_db)
    refused = await admin.submit(
        "/admin/policies/new", {"name": "Office", "ip_access": "10.0.0.0/8\nnot-an-address"}
    )
    assert refused.status_code == 400
    assert message(refused.text, "ip_access-error").startswith(
        "IP Access contains an incorrect value."
    )
    assert "not-an-address</textarea>" in refused.text  # what was typed stays
    assert count(admin_db) == before
    key = await create(admin, name="Office", ip_access="10.0.0.0/8")
    refused = await admin.submit(
        f"/admin/policies/{key}", {"name": "Renamed", "ip_access": "10.0.0.0/255.0.0.0"}
    )
    assert refused.status_code == 400
    assert "IP Access contains an incorrect value" in message(refused.text, "ip_access-error")
    assert policy_named(admin_db, "Office").ip_access == "10.0.0.0/8"


async def test_the_last_admin_policy_keeps_its_admin_access(admin: Person, admin_db: Database):
    key = policy_named(admin_db, "Administrator").id
    refused = await admin.submit(f"/admin/policies/{key}", {"name": "Administrator"})
    assert refused.status_code == 422
    assert "last policy giving an active user admin access" in message(
        refused.text, "admin_access-error"
    )
    assert policy_named(admin_db, "Administrator").admin_access is True
    page = f"/admin/policies/{key}"
    refused = await admin.submit(f"{page}/delete", page=page)
    assert refused.status_code == 422
    assert message(refused.text, "delete-error").startswith("Not deleted: Cannot remove the last")
    assert policy_named(admin_db, "Administrator") is not None


async def test_a_translated_name_is_shown_in_words_and_kept_on_save(
    admin: Person, admin_db: Database
):
    key = policy_named(admin_db, "$t:public_label").id
    form = await admin.get(f"/admin/policies/{key}")
    assert 'value="Public"' in form.text
    saved = await admin.submit(
        f"/admin/policies/{key}",
        {"name": "Public", "description": "Controls what API calls without a token may do."},
    )
    assert saved.status_code == 303
    row = policy_named(admin_db, "$t:public_label")
    assert row.description == "$t:public_description"


async def test_delete_a_policy(admin: Person, admin_db: Database):
    key = await create(admin, name="Temporary")
    page = f"/admin/policies/{key}"
    deleted = await admin.submit(f"{page}/delete", page=page)
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/admin/policies?notice=deleted"
    assert policy_named(admin_db, "Temporary") is None


async def test_a_post_without_the_csrf_token_writes_nothing(admin: Person, admin_db: Database):
    await admin.get("/admin/policies/new")
    refused = await admin.http.post("/admin/policies/new", data={"name": "Sneaky"})
    assert refused.status_code == 403
    assert policy_named(admin_db, "Sneaky") is None


async def test_an_editor_may_not_open_or_change_policies(person: Person, admin_db: Database):
    await person.sign_in(EDITOR_EMAIL)
    page = await person.get("/admin/policies")
    assert page.status_code == 200
    assert "No policy you may see." in page.text
    assert "Administrator" not in text_of(page.text)
    key = policy_named(admin_db, "Administrator").id
    shown = await person.get(f"/admin/policies/{key}")
    assert shown.status_code == 403
    before = count(admin_db)
    refused = await person.submit("/admin/policies/new", {"name": "Mine"}, page="/admin/policies")
    assert refused.status_code == 403
    refused = await person.submit(f"/admin/policies/{key}/delete", page="/admin/policies")
    assert refused.status_code == 403
    assert count(admin_db) == before
