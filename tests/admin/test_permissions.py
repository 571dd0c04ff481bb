"""A policy's permissions pages: the grid, the form per collection and action (fields, row
filter, validation, presets), the live check of the filters, and removing a permission."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from admin_helpers import EDITOR_EMAIL, Person, text_of
from tessera.db import Database
from tessera.db.system_tables import directus_activity, directus_permissions, directus_policies

pytestmark = pytest.mark.anyio


@pytest.fixture
async def policy(admin: Person) -> str:
    created = await admin.submit("/admin/policies/new", {"name": "Writers", "app_access": "1"})
    found = re.match(r"/admin/policies/([0-9a-f-]{36})\?", created.headers["location"])
    assert found
    return found.group(1)


def granted(db: Database, policy: str) -> list[dict[str, Any]]:
    table = directus_permissions
    with db.read() as conn:
        rows = conn.execute(sa.select(table).where(table.c.policy == policy).order_by(table.c.id))
        return [dict(row._mapping) for row in rows]


def message(html: str, element: str) -> str:
    found = re.search(rf'id="{element}"[^>]*>(.*?)</p>', html, re.S)
    return text_of(found.group(1)) if found else ""


def cell(html: str, collection: str, action: str) -> str:
    found = re.search(rf'aria-label="{collection}, {action}: (\w+)"', html)
    assert found, (collection, action)
    return found.group(1)


async def test_the_grid_shows_none_all_and_some(admin: Person, admin_db: Database, policy: str):
    page = f"/admin/policies/{policy}/permissions"
    empty = await admin.get(page)
    assert empty.status_code == 200
    assert cell(empty.text, "articles", "read") == "none"
    assert cell(empty.text, "directus_files", "create") == "none"
    assert "System collections" in empty.text
    await admin.submit(f"{page}/articles/read", {"fields": "*"})
    await admin.submit(f"{page}/comments/read", {"fields": ["id", "text"]})
    shown = await admin.get(page)
    assert cell(shown.text, "articles", "read") == "all"
    assert cell(shown.text, "comments", "read") == "some"
    assert cell(shown.text, "articles", "update") == "none"
    listed = text_of((await admin.get("/admin/policies")).text)
    assert "Writers App Any — 0 2" in listed


async def test_save_a_permission_with_every_part_and_edit_it(
    admin: Person, admin_db: Database, policy: str
):
    form_path = f"/admin/policies/{policy}/permissions/articles/update"
    form = await admin.get(form_path)
    assert form.status_code == 200
    assert '<script src="/admin/static/permissions.js" defer></script>' in form.text
    for kind in ("permissions", "validation", "presets"):
        assert f'data-check="{kind}"' in form.text
    saved = await admin.submit(
        form_path,
        {
            "fields": ["title", "status"],
            "permissions": '{"author": {"name": {"_eq": "Ada"}}}',
            "validation": '{"title": {"_nempty": true}}',
            "presets": '{"status": "draft"}',
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/admin/policies/{policy}/permissions?notice=saved"
    (row,) = granted(admin_db, policy)
    assert (row["collection"], row["action"], row["fields"]) == (
        "articles",
        "update",
        "title,status",
    )
    assert row["permissions"] == {"author": {"name": {"_eq": "Ada"}}}
    assert row["validation"] == {"title": {"_nempty": True}}
    assert row["presets"] == {"status": "draft"}
    shown = await admin.get(form_path)
    assert 'value="title" checked' in shown.text
    assert 'value="body">' in shown.text
    assert "&#34;draft&#34;" in shown.text
    edited = await admin.submit(form_path, {"fields": "*", "permissions": "", "presets": ""})
    assert edited.status_code == 303
    (row,) = granted(admin_db, policy)
    assert (row["fields"], row["permissions"], row["presets"]) == ("*", None, None)
    with admin_db.read() as conn:
        actions = conn.execute(
            sa.select(directus_activity.c.action)
            .where(directus_activity.c.collection == "directus_permissions")
            .where(directus_activity.c.item == str(row["id"]))
            .order_by(directus_activity.c.id)
        ).scalars()
        assert list(actions) == ["create", "update"]


async def test_each_action_shows_the_parts_that_apply(admin: Person, policy: str):
    base = f"/admin/policies/{policy}/permissions/articles"
    create = (await admin.get(f"{base}/create")).text
    assert 'id="permissions"' not in create
    assert 'id="validation"' in create
    assert 'name="fields"' in create
    delete = (await admin.get(f"{base}/delete")).text
    assert 'id="permissions"' in delete
    assert 'name="fields"' not in delete
    assert 'id="presets"' not in delete


@pytest.mark.parametrize(
    ("data", "field", "said"),
    [
        ({"permissions": '{"title": '}, "permissions", "Not JSON: Expecting value"),
        ({"permissions": '{"nope": {"_eq": 1}}'}, "permissions", 'No field "nope" in the coll'),
        (
            {"permissions": '{"author": {"nope": {"_eq": 1}}}'},
            "permissions",
            'No field "nope" in the collection "authors" (after author).',
        ),
        ({"permissions": '{"title": {"_bogus": 1}}'}, "permissions", 'Unknown filter operator "_'),
        ({"validation": '{"nope": {"_submitted": true}}'}, "validation", 'No field "nope"'),
        ({"presets": '{"nope": 1}'}, "presets", 'No field "nope" in the collection "articles".'),
        ({"presets": "[1]"}, "presets", "Write a JSON object"),
        ({"fields": []}, "fields", "Choose the fields, or all fields."),
    ],
)
async def test_bad_input_is_said_next_to_its_field_and_nothing_is_written(
    admin: Person, admin_db: Database, policy: str, data: dict[str, Any], field: str, said: str
):
    form_path = f"/admin/policies/{policy}/permissions/articles/update"
    await admin.submit(form_path, {"fields": "*", "permissions": '{"title": {"_eq": "a"}}'})
    before = granted(admin_db, policy)
    refused = await admin.submit(form_path, {"fields": "*", **data})
    assert refused.status_code == 400
    assert message(refused.text, f"{field}-error").startswith(said)
    assert f'aria-describedby="{field}' in refused.text or field == "fields"
    if field != "fields":
        assert data[field].replace('"', "&#34;") in refused.text  # what was typed stays
    assert granted(admin_db, policy) == before


async def test_the_live_check(admin: Person, policy: str):
    page = await admin.get(f"/admin/policies/{policy}/permissions/articles/read")

    async def check(kind: str, value: str, collection: str = "articles") -> dict[str, Any]:
        token = re.search(r'name="csrf" value="([^"]*)"', page.text).group(1)
        answer = await admin.http.post(
            "/admin/permissions/check",
            data={"csrf": token, "collection": collection, "kind": kind, "value": value},
        )
        assert answer.status_code == 200
        return answer.json()

    assert await check("permissions", '{"author": {"_eq": "$CURRENT_USER"}}') == {
        "ok": True,
        "message": "OK",
    }
    assert await check("permissions", "") == {"ok": True, "message": "Empty: every item."}
    assert await check("permissions", '{"rating": {"_contains": "x"}}') == {
        "ok": False,
        "message": '"integer" field type does not contain the "_contains" filter operator at '
        '"rating".',
    }
    assert (await check("validation", '{"title": {"_regex": "^A"}}'))["ok"] is True
    assert (await check("presets", '{"title": 1, "x": 2}'))["message"] == (
        'No field "x" in the collection "articles".'
    )
    assert (await check("permissions", "{}", "nowhere"))["message"] == (
        'No collection named "nowhere".'
    )
    refused = await admin.http.post(
        "/admin/permissions/check", data={"collection": "articles", "kind": "permissions"}
    )
    assert refused.status_code == 403


async def test_remove_a_permission(admin: Person, admin_db: Database, policy: str):
    form_path = f"/admin/policies/{policy}/permissions/articles/read"
    await admin.submit(form_path, {"fields": "*"})
    (row,) = granted(admin_db, policy)
    form = await admin.get(form_path)
    assert "Remove: Writers may not read articles" in text_of(form.text)
    removed = await admin.submit(f"{form_path}/delete", page=form_path)
    assert removed.status_code == 303
    assert granted(admin_db, policy) == []
    with admin_db.read() as conn:
        deleted = conn.execute(
            sa.select(directus_activity.c.action).where(
                directus_activity.c.collection == "directus_permissions",
                directus_activity.c.item == str(row["id"]),
                directus_activity.c.action == "delete",
            )
        ).first()
    assert deleted is not None


async def test_a_post_without_the_csrf_token_writes_nothing(
    admin: Person, admin_db: Database, policy: str
):
    form_path = f"/admin/policies/{policy}/permissions/articles/read"
    await admin.get(form_path)
    refused = await admin.http.post(form_path, data={"fields": "*"})
    assert refused.status_code == 403
    assert granted(admin_db, policy) == []


async def test_an_unknown_collection_or_action_is_not_found(admin: Person, policy: str):
    base = f"/admin/policies/{policy}/permissions"
    assert (await admin.get(f"{base}/nowhere/read")).status_code == 403
    assert (await admin.get(f"{base}/articles/destroy")).status_code == 403


async def test_an_editor_may_neither_see_nor_change_permissions(
    admin: Person, admin_db: Database, policy: str
):
    await admin.submit(f"/admin/policies/{policy}/permissions/articles/read", {"fields": "*"})
    assert (await admin.submit("/admin/logout", page="/admin")).status_code == 303
    person = admin  # the same browser, now the editor's
    await person.sign_in(EDITOR_EMAIL)
    with admin_db.read() as conn:
        own = conn.execute(
            sa.select(directus_policies.c.id).where(directus_policies.c.app_access.is_(True))
        ).scalars()
        mine = [key for key in own if key != policy]
    for key in (policy, *mine):
        assert (await person.get(f"/admin/policies/{key}/permissions")).status_code == 403
    before = granted(admin_db, policy)
    refused = await person.submit(
        f"/admin/policies/{policy}/permissions/articles/update", {"fields": "*"}, page="/admin"
    )
    assert refused.status_code == 403
    checked = await person.submit(
        "/admin/permissions/check",
        {"collection": "articles", "kind": "permissions", "value": "{}"},
        page="/admin",
    )
    assert checked.status_code == 403
    assert granted(admin_db, policy) == before
