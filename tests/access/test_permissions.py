"""Permission rows merged per collection and action, as Directus merges them."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.access.permissions import Permission, PermissionSet, load_permissions
from tessera.db.system_tables import directus_permissions, directus_policies

MINE = {"owner": {"_eq": "$CURRENT_USER"}}
PUBLISHED = {"status": {"_eq": "published"}}


def merged(*rows: Permission) -> PermissionSet:
    return PermissionSet("articles", "read", rows)


def test_field_lists_union_and_a_star_means_all():
    a = Permission("articles", "read", fields=frozenset({"id", "title"}))
    b = Permission("articles", "read", fields=frozenset({"body"}))
    star = Permission("articles", "read", fields=frozenset({"*"}))
    assert merged(a, b).fields == {"id", "title", "body"}
    assert merged(a, star).fields is None


def test_row_rules_or_together_and_an_empty_rule_grants_everything():
    mine = Permission("articles", "read", rule=MINE)
    published = Permission("articles", "read", rule=PUBLISHED)
    everything = Permission("articles", "read", rule={})
    assert merged(mine, published).rules == (MINE, PUBLISHED)
    assert merged(mine, everything).rules is None


def test_validations_all_apply_and_presets_merge_later_wins():
    first = Permission(
        "articles", "create", validation=PUBLISHED, presets={"status": "draft", "meta": {"a": 1}}
    )
    second = Permission(
        "articles", "create", validation=MINE, presets={"meta": {"b": 2}, "status": "review"}
    )
    both = PermissionSet("articles", "create", (first, second))
    assert both.validations == (PUBLISHED, MINE)
    assert both.presets == {"status": "review", "meta": {"a": 1, "b": 2}}


def test_cases_group_fields_by_rule():
    rows = (
        Permission("articles", "read", rule=PUBLISHED, fields=frozenset({"id", "title"})),
        Permission("articles", "read", rule=MINE, fields=frozenset({"*"})),
        Permission("articles", "read", rule=dict(PUBLISHED), fields=frozenset({"body"})),
    )
    assert merged(*rows).cases() == [
        (PUBLISHED, frozenset({"id", "title", "body"})),
        (MINE, None),
    ]


@pytest.fixture
def policies(db):
    ids = [str(uuid.uuid4()) for _ in range(2)]
    with db.write() as conn:
        conn.execute(
            sa.insert(directus_policies),
            [{"id": ids[0], "name": "Readers"}, {"id": ids[1], "name": "Owners"}],
        )
        conn.execute(
            sa.insert(directus_permissions),
            [
                {
                    "policy": ids[1],
                    "collection": "articles",
                    "action": "read",
                    "permissions": MINE,
                    "validation": None,
                    "presets": None,
                    "fields": "*",
                },
                {
                    "policy": ids[0],
                    "collection": "articles",
                    "action": "read",
                    "permissions": PUBLISHED,
                    "validation": None,
                    "presets": None,
                    "fields": "id,title",
                },
                {
                    "policy": ids[0],
                    "collection": "articles",
                    "action": "create",
                    "permissions": None,
                    "validation": None,
                    "presets": {"status": "draft"},
                    "fields": "title, body",
                },
                {
                    "policy": ids[0],
                    "collection": "articles",
                    "action": "bogus",
                    "permissions": None,
                    "validation": None,
                    "presets": None,
                    "fields": "*",
                },
            ],
        )
    return ids


def test_rows_load_in_policy_order(db, policies):
    who = Accountability(user=str(uuid.uuid4()), policies=tuple(policies))
    with db.read() as conn:
        granted = load_permissions(conn, who)
    read = granted.get("articles", "read")
    assert [row.policy for row in read.rows] == policies
    assert read.rules == (PUBLISHED, MINE)
    assert read.fields is None
    create = granted.get("articles", "create")
    assert create.fields == {"title", "body"}
    assert create.presets == {"status": "draft"}
    assert granted.get("articles", "delete") is None
    assert granted.collections("read") == {"articles"}


def test_other_policies_rows_do_not_apply(db, policies):
    with db.read() as conn:
        granted = load_permissions(conn, Accountability(policies=(policies[1],)))
    assert granted.get("articles", "create") is None
    assert granted.get("articles", "read").rules == (MINE,)


def test_app_access_adds_the_minimal_rows(db):
    with db.read() as conn:
        plain = load_permissions(conn, Accountability())
        app = load_permissions(conn, Accountability(app=True))
    assert plain.get("directus_users", "read") is None
    me = app.get("directus_users", "read")
    assert me.rules == ({"id": {"_eq": "$CURRENT_USER"}},)
    assert "token" not in me.fields
    assert app.get("directus_fields", "read").rules is None
    assert app.get("directus_notifications", "update").fields == {"status"}
