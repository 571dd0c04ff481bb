"""notification: a directus_notifications row per recipient."""

from __future__ import annotations

import sqlalchemy as sa

from callers import grant, make_caller
from tessera.db.system_tables import directus_notifications


def test_one_notification_per_recipient_sent_by_the_acting_user(run_op, blog_db, admin):
    other = make_caller(blog_db, [])
    status, ids = run_op(
        "notification",
        {
            "recipient": [admin.user, other.user],
            "subject": "New article {{ $trigger.id }}",
            "message": {"md": "**hi**"},
            "collection": "articles",
            "item": "{{ $trigger.id }}",
        },
        {"id": 7},
    )
    assert status == "resolve"
    assert len(ids) == 2
    table = directus_notifications
    with blog_db.read() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    assert [row["recipient"] for row in rows] == [admin.user, other.user]
    assert {row["sender"] for row in rows} == {admin.user}
    assert {row["subject"] for row in rows} == {"New article 7"}
    assert {row["message"] for row in rows} == {'{"md":"**hi**"}'}
    assert {(row["collection"], row["item"], row["status"]) for row in rows} == {
        ("articles", "7", "inbox")
    }


def test_full_permissions_write_without_a_sender(run_op, blog_db, admin):
    member = make_caller(blog_db, [grant("articles", "read")])
    options = {"recipient": admin.user, "subject": "s", "permissions": "$full"}
    assert run_op("notification", options, None, member)[0] == "resolve"
    with blog_db.read() as conn:
        sender = conn.execute(sa.select(directus_notifications.c.sender)).scalar_one()
    assert sender is None


def test_a_caller_who_may_not_notify_is_refused(run_op, blog_db, admin):
    member = make_caller(blog_db, [grant("articles", "read")])
    status, error = run_op("notification", {"recipient": admin.user, "subject": "s"}, None, member)
    assert (status, error["code"]) == ("reject", "FORBIDDEN")
