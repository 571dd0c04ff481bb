"""item-create, item-read, item-update and item-delete, with the trigger's rights, the
public's, full access, or a role's."""

from __future__ import annotations

import sqlalchemy as sa

from callers import grant, make_caller, public_caller
from tessera.db.system_tables import directus_activity


def titles(blog_db):
    with blog_db.read() as conn:
        return dict(conn.exec_driver_sql("SELECT id, title FROM articles ORDER BY id").all())


def test_item_create_creates_one_or_many_and_returns_the_keys(run_op, blog_db):
    status, keys = run_op(
        "item-create",
        {"collection": "tags", "payload": {"name": "{{ $trigger.tag }}"}},
        {"tag": "t1"},
    )
    assert status == "resolve"
    assert len(keys) == 1
    status, more = run_op(
        "item-create", {"collection": "tags", "payload": [{"name": "a"}, {"name": "b"}]}
    )
    assert len(more) == 2
    with blog_db.read() as conn:
        names = conn.exec_driver_sql(f"SELECT name FROM tags WHERE id = {keys[0]}").scalar()
    assert names == "t1"
    assert run_op("item-create", {"collection": "tags", "payload": None}) == ("resolve", None)


def test_item_read_by_key_keys_or_query(run_op):
    status, one = run_op(
        "item-read", {"collection": "articles", "key": 1, "query": {"fields": ["id", "title"]}}
    )
    assert (status, one) == ("resolve", {"id": 1, "title": "Hello world"})
    _, many = run_op(
        "item-read", {"collection": "articles", "key": [1, 2], "query": {"fields": ["id"]}}
    )
    assert many == [{"id": 1}, {"id": 2}]
    _, found = run_op(
        "item-read",
        {
            "collection": "articles",
            "query": '{"filter": {"status": {"_eq": "published"}}, "fields": ["id"]}',
        },
    )
    assert {"id": 1} in found


def test_item_read_dates_and_decimals_come_back_as_json(run_op):
    _, one = run_op(
        "item-read",
        {"collection": "articles", "key": "1", "query": {"fields": ["price", "published_on"]}},
    )
    assert one["published_on"] == "2026-01-01"
    assert isinstance(one["price"], str)
    assert one["price"].startswith("10.5")


def test_item_update_by_key_by_query_and_in_batch(run_op, blog_db):
    status, key = run_op(
        "item-update", {"collection": "articles", "key": 1, "payload": {"title": "One"}}
    )
    assert (status, key) == ("resolve", 1)
    _, keys = run_op(
        "item-update",
        {
            "collection": "articles",
            "query": {"filter": {"id": {"_in": [2, 3]}}},
            "payload": {"title": "Q"},
        },
    )
    assert sorted(keys) == [2, 3]
    run_op("item-update", {"collection": "articles", "payload": [{"id": 2, "title": "Two"}]})
    assert titles(blog_db)[1] == "One"
    assert titles(blog_db)[2] == "Two"
    assert titles(blog_db)[3] == "Q"


def test_item_update_refuses_key_and_query_together(run_op):
    status, error = run_op(
        "item-update",
        {"collection": "articles", "key": 1, "query": {"limit": 1}, "payload": {"title": "x"}},
    )
    assert status == "reject"
    assert error["code"] == "INVALID_PAYLOAD"
    assert error["extensions"]["reason"] == 'Cannot use both "key" and "query"'


def test_item_delete_by_key_and_by_query(run_op, blog_db):
    _, made = run_op("item-create", {"collection": "tags", "payload": [{"name": "x"}] * 3})
    assert run_op("item-delete", {"collection": "tags", "key": made[0]}) == ("resolve", made[0])
    _, deleted = run_op(
        "item-delete", {"collection": "tags", "query": {"filter": {"id": {"_in": made[1:]}}}}
    )
    assert sorted(deleted) == sorted(made[1:])
    with blog_db.read() as conn:
        left = conn.exec_driver_sql("SELECT count(*) FROM tags WHERE name = 'x'").scalar()
    assert left == 0


def test_the_triggers_rights_apply_by_default(run_op, blog_db):
    reader = make_caller(blog_db, [grant("articles", "read", fields="id")])
    status, error = run_op(
        "item-update", {"collection": "articles", "key": 1, "payload": {"title": "x"}}, None, reader
    )
    assert status == "reject"
    assert error["code"] == "FORBIDDEN"
    assert run_op("item-read", {"collection": "articles", "key": 1}, None, reader)[1] == {"id": 1}


def test_full_permissions_write_as_an_admin_and_are_logged(run_op, blog_db):
    reader = make_caller(blog_db, [grant("articles", "read", fields="id")])
    options = {
        "collection": "articles",
        "key": 1,
        "payload": {"title": "F"},
        "permissions": "$full",
    }
    assert run_op("item-update", options, None, reader) == ("resolve", 1)
    assert titles(blog_db)[1] == "F"
    act = directus_activity
    with blog_db.read() as conn:
        logged = conn.execute(
            sa.select(act.c.user).where(act.c.collection == "articles", act.c.action == "update")
        ).all()
    assert logged == [(None,)]


def test_public_permissions_and_a_roles_permissions(run_op, blog_db):
    public_caller(blog_db, [grant("tags", "create")])
    assert (
        run_op(
            "item-create",
            {"collection": "tags", "payload": {"name": "p"}, "permissions": "$public"},
        )[0]
        == "resolve"
    )
    assert (
        run_op(
            "item-create",
            {"collection": "authors", "payload": {"name": "p"}, "permissions": "$public"},
        )[0]
        == "reject"
    )
    writer = make_caller(blog_db, [grant("authors", "create")])
    options = {"collection": "authors", "payload": {"name": "r"}, "permissions": writer.role}
    assert run_op("item-create", options, None, None)[0] == "resolve"
    status, error = run_op(
        "item-create", {**options, "permissions": "00000000-0000-4000-8000-000000000000"}
    )
    assert status == "reject"
    assert "is no role" in error["message"]


def test_a_failed_write_rejects_with_its_validation_errors(run_op):
    status, error = run_op("item-create", {"collection": "nope", "payload": {"a": 1}})
    assert status == "reject"
    assert error["code"] == "FORBIDDEN"
