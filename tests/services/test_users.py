"""The rules on users, roles, policies and access, as every door meets them through the
items service; and the caller's own view of their permissions."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from callers import grant, make_caller
from tessera.access.accountability import Accountability
from tessera.access.resolve import resolve_accountability
from tessera.config import load_settings
from tessera.db.system_tables import (
    directus_access,
    directus_policies,
    directus_sessions,
    directus_settings,
    directus_users,
)
from tessera.errors import (
    FailedValidationError,
    ForbiddenError,
    InvalidCredentialsError,
    InvalidPayloadError,
    RecordNotUniqueError,
)
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.bootstrap import bootstrap
from tessera.services.items import ItemsService
from tessera.services.users import (
    UnprocessableContentError,
    active_admins_remain,
    collection_access,
    current_user,
    is_email,
    policy_globals,
)

ADMIN = Accountability(user=str(uuid.uuid4()), admin=True, app=True)
USERS, ROLES, POLICIES, ACCESS = (
    "directus_users",
    "directus_roles",
    "directus_policies",
    "directus_access",
)


def service(db, accountability=ADMIN, cache=None):
    settings = load_settings(env_file=None, secret="s", db_filename="unused.db")
    return ItemsService(db, SchemaCache(db), settings, accountability, cache=cache or AccessCache())


@pytest.fixture
def admin_db(db, settings):
    """A bootstrapped database: the Administrator role and policy, and one admin user."""
    bootstrap(db, settings)
    return db


def first_admin(db):
    with db.read() as conn:
        return conn.execute(
            sa.select(directus_users.c.id, directus_users.c.role).where(
                directus_users.c.email == "admin@example.com"
            )
        ).one()


def admin_policy(db):
    table = directus_policies
    with db.read() as conn:
        return conn.execute(sa.select(table.c.id).where(table.c.admin_access.is_(True))).scalar()


# --- users ----------------------------------------------------------------------------------


def test_emails_are_unique_whatever_their_case(admin_db):
    users = service(admin_db)
    ann = users.create_one(USERS, {"email": "Ann@Example.com"})
    with pytest.raises(RecordNotUniqueError) as refused:
        users.create_one(USERS, {"email": "ann@example.COM"})
    assert refused.value.to_dict() == {
        "message": 'Value "[ann@example.com]" for field "email" in collection "directus_users" '
        "has to be unique.",
        "extensions": {
            "code": "RECORD_NOT_UNIQUE",
            "collection": "directus_users",
            "field": "email",
            "value": "[ann@example.com]",
        },
    }
    with pytest.raises(RecordNotUniqueError):
        users.create_many(USERS, [{"email": "bob@example.com"}, {"email": "BOB@example.com"}])
    with pytest.raises(RecordNotUniqueError):
        users.update_one(USERS, first_admin(admin_db).id, {"email": "ANN@example.com"})
    # a user may keep their own address in another case
    users.update_one(USERS, ann, {"email": "ann@example.com"})
    other = users.create_one(USERS, {"email": "other@example.com"})
    with pytest.raises(RecordNotUniqueError) as many:
        users.update_many(USERS, [ann, other], {"email": "same@example.com"})
    assert many.value.extensions["value"] == "same@example.com"


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("a@b.co", True),
        ("A@X.COM", True),
        ("a+b@x.co.uk", True),
        ("é@x.com", True),
        ("a!#$%&'*+/=?^_`{|}~-@x.com", True),
        ("a@xn--p1ai.xn--p1ai", True),
        ("not-an-email", False),
        ("a@b.c", False),
        ("a@localhost", False),
        ("a@b.test", False),
        ("a@b.example", False),
        ("a..b@x.com", False),
        (".a@x.com", False),
        ("a b@x.com", False),
        ('"a"@x.com', False),
        ("a@[1.2.3.4]", False),
        ("a@1.2.3.4", False),
        ("a@x.com.", False),
        ("a@-x.com", False),
        ("a@x_y.com", False),
        ("a@b@x.com", False),
    ],
)
def test_email_addresses_as_joi_reads_them(email, valid):
    assert is_email(email) is valid


def test_a_malformed_email_fails_validation(admin_db):
    with pytest.raises(FailedValidationError) as refused:
        service(admin_db).create_one(USERS, {"email": "not-an-email"})
    assert refused.value.to_dicts() == [
        {
            "message": 'Validation failed for field "email". '
            "Value has to be a valid email address.",
            "extensions": {
                "code": "FAILED_VALIDATION",
                "field": "email",
                "type": "email",
                "path": [],
            },
        }
    ]


def test_passwords_follow_the_settings_policy_and_are_not_echoed(admin_db):
    with admin_db.write() as conn:
        conn.execute(sa.update(directus_settings).values(auth_password_policy="/^.{8,}$/"))
    users = service(admin_db)
    with pytest.raises(FailedValidationError) as refused:
        users.create_one(USERS, {"email": "pw@example.com", "password": "short"})
    assert refused.value.to_dicts() == [
        {
            "message": 'Validation failed for field "password". '
            "Value doesn't have the correct format.",
            "extensions": {
                "code": "FAILED_VALIDATION",
                "field": "password",
                "path": [],
                "type": "regex",
            },
        }
    ]
    key = users.create_one(USERS, {"email": "pw@example.com", "password": "long enough"})
    with pytest.raises(FailedValidationError):
        users.update_one(USERS, key, {"password": "short"})
    assert users.read_one(USERS, key, {"fields": "password"}) == {"password": "**********"}


def test_status_takes_directus_values_only(admin_db):
    users = service(admin_db)
    with pytest.raises(FailedValidationError) as refused:
        users.create_one(USERS, {"email": "s@example.com", "status": "bogus"})
    assert refused.value.extensions["valid"] == [
        "draft",
        "invited",
        "unverified",
        "active",
        "suspended",
        "archived",
    ]
    key = users.create_one(USERS, {"email": "s@example.com", "status": "invited"})
    with pytest.raises(FailedValidationError):
        users.update_one(USERS, key, {"status": None})


def test_static_tokens_are_unique_concealed_and_not_echoed(admin_db):
    users = service(admin_db)
    key = users.create_one(USERS, {"email": "t@example.com", "token": "secret-1"})
    assert users.read_one(USERS, key, {"fields": "token"}) == {"token": "**********"}
    with pytest.raises(RecordNotUniqueError) as refused:
        users.create_one(USERS, {"email": "u@example.com", "token": "secret-1"})
    assert refused.value.to_dict() == {
        "message": 'Value for field "token" in collection "directus_users" has to be unique.',
        "extensions": {
            "code": "RECORD_NOT_UNIQUE",
            "collection": "directus_users",
            "field": "token",
        },
    }
    users.update_one(USERS, key, {"token": "secret-1"})  # its own token again


def test_callers_cannot_set_tfa_secret_and_only_admins_set_the_provider(admin_db):
    caller = make_caller(admin_db, [grant(USERS, "update"), grant(USERS, "read")])
    mine = service(admin_db, caller)
    with pytest.raises(InvalidPayloadError, match="tfa_secret"):
        mine.update_one(USERS, caller.user, {"tfa_secret": "x"})
    with pytest.raises(InvalidPayloadError, match='"provider" value manually'):
        mine.update_one(USERS, caller.user, {"provider": "github"})
    with pytest.raises(InvalidPayloadError, match="tfa_secret"):
        service(admin_db).update_one(USERS, caller.user, {"tfa_secret": "x"})
    service(admin_db).update_one(USERS, caller.user, {"provider": "default"})


def test_a_user_who_stops_being_active_loses_their_sessions(admin_db):
    users = service(admin_db)
    key = users.create_one(USERS, {"email": "s@example.com"})
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with admin_db.write() as conn:
        conn.execute(sa.insert(directus_sessions).values(token="t1", user=key, expires=expires))
    users.update_one(USERS, key, {"first_name": "Sue"})
    users.update_one(USERS, key, {"status": "suspended"})
    with admin_db.read() as conn:
        assert conn.execute(sa.select(directus_sessions)).all() == []


# --- the last admin -------------------------------------------------------------------------


def test_the_last_active_admin_cannot_be_removed_in_any_way(admin_db):
    admin = first_admin(admin_db)
    users = service(admin_db)
    with admin_db.read() as conn:
        access_row = conn.execute(
            sa.select(directus_access.c.id).where(directus_access.c.role == admin.role)
        ).scalar()
    attempts = [
        lambda: users.delete_one(USERS, admin.id),
        lambda: users.update_one(USERS, admin.id, {"status": "suspended"}),
        lambda: users.update_one(USERS, admin.id, {"role": None}),
        lambda: users.update_one(POLICIES, admin_policy(admin_db), {"admin_access": False}),
        lambda: users.delete_one(POLICIES, admin_policy(admin_db)),
        lambda: users.delete_one(ROLES, admin.role),
        lambda: users.delete_one(ACCESS, access_row),
        lambda: users.update_one(ROLES, admin.role, {"policies": []}),
    ]
    for attempt in attempts:
        with pytest.raises(UnprocessableContentError) as refused:
            attempt()
        assert refused.value.status == 422
        assert refused.value.to_dict() == {
            "message": "Can't process content. Cannot remove the last admin user from the system.",
            "extensions": {
                "code": "UNPROCESSABLE_CONTENT",
                "reason": "Cannot remove the last admin user from the system",
            },
        }
    with admin_db.read() as conn:
        assert active_admins_remain(conn)


def test_an_admin_may_go_once_another_remains(admin_db):
    admin = first_admin(admin_db)
    users = service(admin_db)
    child = users.create_one(ROLES, {"name": "Deputy", "parent": admin.role})
    users.create_one(USERS, {"email": "deputy@example.com", "role": child})
    users.update_one(USERS, admin.id, {"status": "suspended"})
    users.delete_one(USERS, admin.id)
    with admin_db.read() as conn:
        assert active_admins_remain(conn)  # the deputy, through the parent role's policy


def test_without_any_admin_nothing_is_refused(db):
    users = service(db)
    key = users.create_one(USERS, {"email": "lonely@example.com"})
    users.delete_one(USERS, key)
    assert users.read_many(USERS, [key]) == []


# --- roles and policies ---------------------------------------------------------------------


def test_a_role_cannot_be_its_own_ancestor(admin_db):
    roles = service(admin_db)
    top = roles.create_one(ROLES, {"name": "Top"})
    below = roles.create_one(ROLES, {"name": "Below", "parent": top})
    with pytest.raises(InvalidPayloadError, match="A role cannot be a parent of itself"):
        roles.update_one(ROLES, top, {"parent": top})
    with pytest.raises(InvalidPayloadError, match="already a descendant of itself"):
        roles.update_one(ROLES, top, {"parent": below})


def test_deleting_a_role_suspends_its_users_and_frees_its_children(admin_db):
    items = service(admin_db)
    role = items.create_one(ROLES, {"name": "Doomed"})
    child = items.create_one(ROLES, {"name": "Child", "parent": role})
    user = items.create_one(USERS, {"email": "member@example.com", "role": role})
    items.delete_one(ROLES, role)
    assert items.read_one(USERS, user, {"fields": "status,role"}) == {
        "status": "suspended",
        "role": None,
    }
    assert items.read_one(ROLES, child, {"fields": "parent"}) == {"parent": None}


@pytest.mark.parametrize(
    ("ip_access", "valid"),
    [
        (["10.0.0.0/8", "1.2.3.4"], True),
        (["10.0.0.1-10.0.0.9", "::1", "fe80::/10"], True),
        ("192.0.2.1,192.0.2.0/24", True),
        ([], True),
        (None, True),
        (["10.0.0.*"], False),
        (["10.0.0.0/255.0.0.0"], False),
        (["bogus"], False),
        ([1], False),
    ],
)
def test_policy_ip_access_holds_addresses_ranges_and_blocks(admin_db, ip_access, valid):
    policies = service(admin_db)
    payload = {"name": "Office", "ip_access": ip_access}
    if valid:
        policies.create_one(POLICIES, payload)
    else:
        with pytest.raises(InvalidPayloadError, match="IP Access contains an incorrect value"):
            policies.create_one(POLICIES, payload)


# --- the caller's own view ------------------------------------------------------------------


def test_permissions_me_merges_the_callers_rows_by_collection_and_action(admin_db):
    caller = make_caller(
        admin_db,
        [
            grant("directus_files", "read", fields="id,title", rule={"uploaded_by": {"_eq": "x"}}),
            grant("directus_files", "create", presets={"owner": "$CURRENT_USER", "n": 1}),
        ],
        [grant("directus_files", "read", fields="type")],
        app=True,
    )
    access = collection_access(service(admin_db, caller))
    assert access["directus_files"] == {
        "read": {"access": "full", "fields": ["id", "title", "type"]},
        "create": {"access": "full", "fields": ["*"], "presets": {"owner": caller.user, "n": 1}},
        "update": {"access": "none"},
        "delete": {"access": "none"},
        "share": {"access": "none"},
    }
    # the app's own rows come with app access
    assert access["directus_users"]["read"]["access"] == "partial"
    assert "directus_policies" not in access


def test_permissions_me_for_admins_and_the_public(admin_db):
    full = collection_access(service(admin_db))
    assert full["directus_users"]["delete"] == {"access": "full", "fields": ["*"]}
    with admin_db.read() as conn:
        public = resolve_accountability(conn, None)
    with pytest.raises(ForbiddenError):
        collection_access(service(admin_db, public))
    with pytest.raises(InvalidCredentialsError):
        current_user(public)


def test_policy_globals(admin_db):
    caller = make_caller(admin_db, [], app=True)
    with admin_db.write() as conn:
        conn.execute(
            sa.update(directus_policies)
            .where(directus_policies.c.id.in_(caller.policies))
            .values(enforce_tfa=True)
        )
    assert policy_globals(service(admin_db, caller)) == {
        "app_access": True,
        "admin_access": False,
        "enforce_tfa": True,
    }


def test_a_role_change_applies_to_the_users_next_call(admin_db):
    """The access cache keys on the caller's policies, resolved per call: a user's new role
    needs no ACCESS bump to take effect."""
    reader = make_caller(admin_db, [grant("directus_roles", "read", fields="id")])
    cache = AccessCache()
    with pytest.raises(ForbiddenError):
        service(admin_db, reader, cache).read_by_query(POLICIES)
    items = service(admin_db)
    auditors = items.create_one(ROLES, {"name": "Auditors"})
    policy = items.create_one(POLICIES, {"name": "Audit"})
    items.create_one(ACCESS, {"role": auditors, "policy": policy})
    items.create_one(
        "directus_permissions",
        {"policy": policy, "collection": POLICIES, "action": "read", "fields": ["id"]},
    )
    items.update_one(USERS, reader.user, {"role": auditors})
    with admin_db.read() as conn:
        moved = resolve_accountability(conn, reader.user)
    names = service(admin_db, moved, cache).read_by_query(POLICIES).data
    assert {"id": policy} in names
    with pytest.raises(ForbiddenError):
        service(admin_db, moved, cache).read_by_query(ROLES)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"action": "peek"}, '"action" must be one of create, read, update, delete, share'),
        ({"permissions": {"title": {"_nope": 1}}}, '"permissions" is not a valid filter'),
        ({"validation": "not json"}, '"validation" is not a valid filter'),
        ({"presets": [1]}, '"presets" must be an object'),
    ],
)
def test_a_permission_row_that_could_never_apply_is_refused(blog_db, row, reason):
    settings = load_settings(env_file=None, secret="s", db_filename="unused.db")
    items = ItemsService(
        blog_db, SchemaCache(blog_db), settings, Accountability(admin=True, app=True)
    )
    policy = items.create_one("directus_policies", {"name": "P"})
    payload = {"policy": policy, "collection": "articles", "action": "read", **row}
    with pytest.raises(InvalidPayloadError, match=reason):
        items.create_one("directus_permissions", payload)
    good = items.create_one(
        "directus_permissions", {**payload, **dict.fromkeys(row), "action": "read"}
    )
    with pytest.raises(InvalidPayloadError, match=reason):
        items.update_one("directus_permissions", good, row)
