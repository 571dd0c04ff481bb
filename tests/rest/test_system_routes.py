"""``/users``, ``/roles``, ``/policies``, ``/permissions`` and ``/settings`` over HTTP, with
Directus's envelope, statuses and error codes (checked against a running Directus 12.4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
import sqlalchemy as sa

from asgi_client import serving
from callers import grant, make_caller
from tessera.app import create_app
from tessera.db.system_tables import directus_policies, directus_users
from tessera.services.bootstrap import bootstrap

pytestmark = pytest.mark.anyio
ADMIN_TOKEN = "admin-static-token"
MEMBER_TOKEN = "member-static-token"
OWN_FIELDS = "first_name,last_name,email,password,tfa_secret"


@pytest.fixture
async def setup(blog_db, settings) -> AsyncIterator[SimpleNamespace]:
    """An admin, and a member with app access who may update some of their own fields."""
    bootstrap(blog_db, settings)
    member = make_caller(
        blog_db,
        [
            grant(
                "directus_users", "update", fields=OWN_FIELDS, rule={"id": {"_eq": "$CURRENT_USER"}}
            )
        ],
        email="member@example.com",
        app=True,
    )
    with blog_db.write() as conn:
        users = directus_users
        conn.execute(sa.update(users).where(users.c.id != member.user).values(token=ADMIN_TOKEN))
        conn.execute(sa.update(users).where(users.c.id == member.user).values(token=MEMBER_TOKEN))
        admin = conn.execute(sa.select(users.c.id).where(users.c.id != member.user)).scalar()
        policy = conn.execute(
            sa.select(directus_policies.c.id).where(directus_policies.c.admin_access.is_(True))
        ).scalar()
    async with serving(create_app(settings, blog_db)) as client:
        yield SimpleNamespace(client=client, member=member, admin=admin, admin_policy=policy)


def admin(**params):
    return {"access_token": ADMIN_TOKEN, **params}


def member(**params):
    return {"access_token": MEMBER_TOKEN, **params}


def code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_admin_creates_reads_updates_and_deletes_users(setup):
    client = setup.client
    one = await client.post(
        "/users", params=admin(fields="email,status"), json={"email": "ann@example.com"}
    )
    assert one.status_code == 200
    assert one.json() == {"data": {"email": "ann@example.com", "status": "active"}}
    many = await client.post(
        "/users",
        params=admin(fields="id,email"),
        json=[{"email": "bob@example.com"}, {"email": "cy@example.com", "status": "draft"}],
    )
    by_email = {user["email"]: user["id"] for user in many.json()["data"]}
    keys = [by_email["bob@example.com"], by_email["cy@example.com"]]
    listed = await client.get(
        "/users", params=admin(fields="email", sort="email", meta="total_count")
    )
    assert listed.json()["meta"] == {"total_count": 5}
    assert [u["email"] for u in listed.json()["data"]][:3] == [
        "admin@example.com",
        "ann@example.com",
        "bob@example.com",
    ]
    read = await client.get(f"/users/{keys[0]}", params=admin(fields="email"))
    assert read.json() == {"data": {"email": "bob@example.com"}}

    patched = await client.patch(
        f"/users/{keys[0]}", params=admin(fields="first_name"), json={"first_name": "Bob"}
    )
    assert patched.json() == {"data": {"first_name": "Bob"}}
    by_keys = await client.patch(
        "/users", params=admin(fields="title"), json={"keys": keys, "data": {"title": "Dev"}}
    )
    assert by_keys.json() == {"data": [{"title": "Dev"}, {"title": "Dev"}]}
    batch = await client.patch(
        "/users",
        params=admin(fields="id,title"),
        json=[{"id": keys[0], "title": "Lead"}],
    )
    assert batch.json() == {"data": [{"id": keys[0], "title": "Lead"}]}
    by_query = await client.patch(
        "/users",
        params=admin(fields="status"),
        json={
            "query": {"filter": {"email": {"_eq": "cy@example.com"}}},
            "data": {"status": "active"},
        },
    )
    assert by_query.json() == {"data": [{"status": "active"}]}

    assert (await client.delete(f"/users/{keys[0]}", params=admin())).status_code == 204
    assert (
        await client.request("DELETE", "/users", params=admin(), json=[keys[1]])
    ).status_code == 204
    gone = await client.get(f"/users/{keys[1]}", params=admin())
    assert (gone.status_code, code(gone)) == (403, "FORBIDDEN")


async def test_admin_manages_roles_policies_and_permissions(setup):
    client = setup.client
    role = (await client.post("/roles", params=admin(), json={"name": "Editors"})).json()["data"]
    assert role["name"] == "Editors"
    assert role["icon"] == "supervised_user_circle"
    policy = await client.post(
        "/policies",
        params=admin(fields="id,name,app_access,roles.role"),
        json={"name": "Editing", "app_access": True, "roles": [{"role": role["id"]}]},
    )
    policy_id = policy.json()["data"]["id"]
    assert policy.json()["data"]["roles"] == [{"role": role["id"]}]
    permission = await client.post(
        "/permissions",
        params=admin(fields="id,collection,action,fields"),
        json={"policy": policy_id, "collection": "articles", "action": "read", "fields": ["id"]},
    )
    assert permission.json()["data"]["fields"] == ["id"]
    permission_id = permission.json()["data"]["id"]
    # /permissions reads every row, whatever the limit
    listed = await client.get("/permissions", params=admin(limit="1", fields="id"))
    assert len(listed.json()["data"]) >= 2
    changed = await client.patch(
        f"/permissions/{permission_id}", params=admin(fields="fields"), json={"fields": "*"}
    )
    assert changed.json() == {"data": {"fields": ["*"]}}
    renamed = await client.patch(
        f"/roles/{role['id']}", params=admin(fields="name"), json={"name": "Writers"}
    )
    assert renamed.json() == {"data": {"name": "Writers"}}
    searched = await client.request(
        "SEARCH", "/roles", params=admin(fields="name"), json={"keys": [role["id"]]}
    )
    assert searched.json() == {"data": [{"name": "Writers"}]}
    assert (await client.delete(f"/permissions/{permission_id}", params=admin())).status_code == 204
    deleted = await client.request(
        "DELETE", "/policies", params=admin(), json={"keys": [policy_id]}
    )
    assert deleted.status_code == 204
    assert (await client.delete(f"/roles/{role['id']}", params=admin())).status_code == 204
    gone = await client.patch(f"/roles/{role['id']}", params=admin(), json={"name": "x"})
    assert gone.status_code == 204  # nothing updated, nothing to read back: as Directus answers
    self_parent = await client.patch(
        f"/roles/{role['id']}", params=admin(), json={"parent": role["id"]}
    )
    assert self_parent.json()["errors"][0]["message"] == (
        "Invalid payload. A role cannot be a parent of itself."
    )


async def test_settings_are_a_singleton(setup):
    client = setup.client
    read = await client.get("/settings", params=admin(fields="project_name"))
    assert read.json() == {"data": {"project_name": "Tessera"}}
    patched = await client.patch(
        "/settings", params=admin(fields="project_name"), json={"project_name": "Blog"}
    )
    assert patched.json() == {"data": {"project_name": "Blog"}}
    refused = await client.patch("/settings", params=member(), json={"project_name": "Mine"})
    assert (refused.status_code, code(refused)) == (403, "FORBIDDEN")
    public = await client.get("/settings")
    assert public.status_code == 403
    wrong = await client.post("/settings", params=admin(), json={})
    assert wrong.status_code == 405
    assert wrong.json()["errors"][0]["extensions"]["allowed"] == ["GET", "HEAD", "PATCH"]


async def test_non_admins_are_refused_where_directus_refuses_them(setup):
    client = setup.client
    for method, path, body in (
        ("GET", "/policies", None),
        ("GET", "/permissions", None),
        ("POST", "/roles", {"name": "Mine"}),
        ("POST", "/users", {"email": "x@example.com"}),
        ("DELETE", f"/users/{setup.admin}", None),
        ("PATCH", f"/policies/{setup.admin_policy}", {"admin_access": False}),
    ):
        answer = await client.request(method, path, params=member(), json=body)
        assert (answer.status_code, code(answer)) == (403, "FORBIDDEN"), (method, path)
    # app access reads only the caller's own user and roles
    users = await client.get("/users", params=member(fields="id"))
    assert users.json() == {"data": [{"id": setup.member.user}]}
    roles = await client.get("/roles", params=member(fields="id"))
    assert roles.json() == {"data": [{"id": setup.member.role}]}
    mine = await client.get("/roles/me", params=member(fields="id"))
    assert mine.json() == {"data": [{"id": setup.member.role}]}
    assert (await client.get("/roles/me")).status_code == 403


async def test_users_me_reads_and_updates_what_the_caller_may(setup):
    client = setup.client
    me = await client.get("/users/me", params=member(fields="id,email,role"))
    assert me.json() == {
        "data": {"id": setup.member.user, "email": "member@example.com", "role": setup.member.role}
    }
    renamed = await client.patch(
        "/users/me", params=member(fields="first_name"), json={"first_name": "Mia"}
    )
    assert renamed.json() == {"data": {"first_name": "Mia"}}
    for forbidden in ({"role": None}, {"token": "mine"}, {"status": "active"}):
        refused = await client.patch("/users/me", params=member(), json=forbidden)
        assert (refused.status_code, code(refused)) == (403, "FORBIDDEN")
    tfa = await client.patch("/users/me", params=member(), json={"tfa_secret": "x"})
    assert (tfa.status_code, code(tfa)) == (400, "INVALID_PAYLOAD")
    # saved, but the caller may not read "token": Directus answers 403 after saving; 204 here
    unreadable = await client.patch(
        "/users/me", params=member(fields="token"), json={"last_name": "Lee"}
    )
    assert unreadable.status_code == 204
    public = await client.get("/users/me")
    assert public.json() == {
        "errors": [
            {"message": "Invalid user credentials.", "extensions": {"code": "INVALID_CREDENTIALS"}}
        ]
    }
    assert public.status_code == 401
    assert (await client.patch("/users/me", json={"first_name": "x"})).status_code == 401
    as_key = await client.delete("/users/me", params=admin())
    assert (as_key.status_code, code(as_key)) == (403, "FORBIDDEN")


async def test_users_me_without_read_access_is_just_the_id(setup, blog_db):
    loner = make_caller(blog_db, [], email="loner@example.com")
    with blog_db.write() as conn:
        users = directus_users
        conn.execute(sa.update(users).where(users.c.id == loner.user).values(token="loner-token"))
    me = await setup.client.get("/users/me", params={"access_token": "loner-token"})
    assert me.json() == {"data": {"id": loner.user}}
    globals_ = await setup.client.get(
        "/policies/me/globals", params={"access_token": "loner-token"}
    )
    assert globals_.json() == {
        "data": {"app_access": False, "admin_access": False, "enforce_tfa": False}
    }
    assert (await setup.client.get("/policies/me/globals")).json() == {
        "data": {"app_access": False}
    }


async def test_permissions_me_is_keyed_by_collection_and_action(setup):
    client = setup.client
    mine = (await client.get("/permissions/me", params=member())).json()["data"]
    assert mine["directus_users"]["update"] == {
        "access": "partial",
        "fields": sorted(OWN_FIELDS.split(",")),
    }
    assert mine["directus_users"]["delete"] == {"access": "none"}
    assert mine["directus_settings"]["read"] == {"access": "full", "fields": ["*"]}
    assert "articles" not in mine
    everything = (await client.get("/permissions/me", params=admin())).json()["data"]
    assert everything["articles"]["share"] == {"access": "full", "fields": ["*"]}
    public = await client.get("/permissions/me")
    assert public.json() == {
        "errors": [
            {
                "message": "You don't have permission to access this.",
                "extensions": {"code": "FORBIDDEN"},
            }
        ]
    }


async def test_the_last_admin_cannot_be_removed(setup):
    client = setup.client
    expected = {
        "errors": [
            {
                "message": "Can't process content. "
                "Cannot remove the last admin user from the system.",
                "extensions": {
                    "code": "UNPROCESSABLE_CONTENT",
                    "reason": "Cannot remove the last admin user from the system",
                },
            }
        ]
    }
    for method, path, body in (
        ("DELETE", f"/users/{setup.admin}", None),
        ("PATCH", f"/users/{setup.admin}", {"status": "suspended"}),
        ("PATCH", f"/policies/{setup.admin_policy}", {"admin_access": False}),
        ("DELETE", f"/policies/{setup.admin_policy}", None),
    ):
        answer = await client.request(method, path, params=admin(), json=body)
        assert (answer.status_code, answer.json()) == (422, expected), (method, path)
    still = await client.get("/users/me", params=admin(fields="status"))
    assert still.json() == {"data": {"status": "active"}}


async def test_duplicate_emails_bad_emails_and_the_password_policy(setup):
    client = setup.client
    duplicate = await client.post("/users", params=admin(), json={"email": "MEMBER@Example.com"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {
        "errors": [
            {
                "message": 'Value "[member@example.com]" for field "email" in collection '
                '"directus_users" has to be unique.',
                "extensions": {
                    "code": "RECORD_NOT_UNIQUE",
                    "collection": "directus_users",
                    "field": "email",
                    "value": "[member@example.com]",
                },
            }
        ]
    }
    bad = await client.patch("/users/me", params=member(), json={"email": "nope"})
    assert (bad.status_code, code(bad)) == (400, "FAILED_VALIDATION")
    await client.patch("/settings", params=admin(), json={"auth_password_policy": "/^.{8,}$/"})
    weak = await client.patch("/users/me", params=member(), json={"password": "short"})
    assert weak.status_code == 400
    assert weak.json()["errors"][0]["extensions"] == {
        "code": "FAILED_VALIDATION",
        "field": "password",
        "path": [],
        "type": "regex",
    }
    strong = await client.patch(
        "/users/me", params=member(fields="password"), json={"password": "long enough"}
    )
    assert strong.json() == {"data": {"password": "**********"}}


async def test_a_static_token_is_set_by_patching_it_and_reads_concealed(setup):
    client = setup.client
    user = f"/users/{setup.member.user}"
    given = await client.patch(user, params=admin(fields="token"), json={"token": "fresh-token"})
    assert given.json() == {"data": {"token": "**********"}}
    me = await client.get("/users/me", params={"access_token": "fresh-token", "fields": "id"})
    assert me.json() == {"data": {"id": setup.member.user}}
    old = await client.get("/users/me", params=member())
    assert (old.status_code, code(old)) == (401, "INVALID_CREDENTIALS")
    taken = await client.post("/users", params=admin(), json={"token": "fresh-token"})
    assert (taken.status_code, code(taken)) == (400, "RECORD_NOT_UNIQUE")
    assert "fresh-token" not in taken.text


async def test_access_changes_apply_to_the_next_request(setup):
    client = setup.client
    refused = await client.get("/items/articles", params=member(fields="id"))
    assert refused.status_code == 403
    granted = await client.post(
        "/permissions",
        params=admin(fields="id"),
        json={
            "policy": setup.member.policies[-1],
            "collection": "articles",
            "action": "read",
            "fields": ["id"],
        },
    )
    allowed = await client.get("/items/articles", params=member(fields="id", limit="1"))
    assert allowed.json() == {"data": [{"id": 1}]}
    # a new role: the member's policies change, and with them what they may do
    other = (await client.post("/roles", params=admin(), json={"name": "Other"})).json()["data"]
    moved = await client.patch(
        f"/users/{setup.member.user}", params=admin(fields="role"), json={"role": other["id"]}
    )
    assert moved.json() == {"data": {"role": other["id"]}}
    assert (await client.get("/items/articles", params=member())).status_code == 403
    assert (await client.get("/roles/me", params=member())).json() == {
        "data": [{"id": other["id"]}]
    }
    back = await client.patch(
        f"/users/{setup.member.user}", params=admin(), json={"role": setup.member.role}
    )
    assert back.status_code == 200
    await client.delete(f"/permissions/{granted.json()['data']['id']}", params=admin())
    assert (await client.get("/items/articles", params=member())).status_code == 403


@pytest.mark.parametrize(
    ("method", "body", "reason"),
    [
        ("PATCH", {}, '"data" is required'),
        ("PATCH", {"keys": []}, '"data" is required'),
        ("PATCH", {"data": {}}, '"value" must contain at least one of [query, keys]'),
        (
            "PATCH",
            {"keys": [], "query": {}, "data": {}},
            '"value" contains a conflict between exclusive peers [query, keys]',
        ),
        ("PATCH", {"keys": "a", "data": {}}, '"keys" must be an array'),
        ("PATCH", {"keys": [True], "data": {}}, '"keys[0]" must be one of [string, number]'),
        ("PATCH", {"keys": [], "data": None}, '"data" must be of type object'),
        ("PATCH", {"keys": [], "data": {}, "x": 1}, '"x" is not allowed'),
        ("DELETE", {}, '"value" must contain at least one of [query, keys]'),
        ("DELETE", {"query": None}, '"query" must be of type object'),
        ("SEARCH", {"x": 1}, '"x" is not allowed'),
    ],
)
async def test_batch_bodies_are_checked_as_directus_checks_them(setup, method, body, reason):
    answer = await setup.client.request(method, "/roles", params=admin(), json=body)
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [
            {
                "message": f"Invalid payload. {reason}.",
                "extensions": {"code": "INVALID_PAYLOAD", "reason": reason},
            }
        ]
    }
