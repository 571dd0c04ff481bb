"""notification: a directus_notifications row per recipient, emailed to those who want it
(to a real SMTP server started by the test)."""

from __future__ import annotations

import sqlalchemy as sa

from callers import grant, make_caller
from flow_helpers import save_flow
from smtp_servers import HOST, free_port, smtp_server
from tessera.db.system_tables import directus_notifications, directus_users


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


def _emailing_runner(make_runner, port):
    return make_runner(
        email_transport="smtp",
        email_smtp_host=HOST,
        email_smtp_port=port,
        email_from="flows@example.com",
        public_url="https://cms.example.com",
    )


def test_recipients_who_want_email_get_the_notification_by_email(
    make_runner, items, blog_db, admin
):
    quiet = make_caller(blog_db, [], email="quiet@example.com")
    with blog_db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.id == quiet.user)
            .values(email_notifications=False)
        )
    flow_id = save_flow(
        items,
        {
            "key": "op",
            "type": "notification",
            "options": {
                "recipient": [admin.user, quiet.user],
                "subject": "Review article {{ $trigger.id }}",
                "message": "Please **review** it.",
                "collection": "articles",
                "item": "{{ $trigger.id }}",
            },
        },
    )
    with smtp_server() as server:
        runner = _emailing_runner(make_runner, server.port)
        result = runner.run(runner.load(flow_id), {"id": 7}, admin)
    assert result.steps[0]["status"] == "resolve"
    (delivery,) = server.inbox.received
    assert delivery.rcpt_tos == ["admin@example.com"]
    message = delivery.message
    assert message["Subject"] == "Review article 7"
    html = message.get_content()
    assert "<strong>review</strong>" in html
    assert 'href="https://cms.example.com/admin/content/articles/7"' in html


def test_an_email_that_cannot_be_sent_leaves_the_notification_written(
    make_runner, items, blog_db, admin, caplog
):
    flow_id = save_flow(
        items,
        {"key": "op", "type": "notification", "options": {"recipient": admin.user, "subject": "s"}},
    )
    runner = _emailing_runner(make_runner, free_port())  # nothing listens there
    result = runner.run(runner.load(flow_id), None, admin)
    assert result.steps[0]["status"] == "resolve"
    with blog_db.read() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(directus_notifications))
    assert count.scalar() == 1
    assert "could not be emailed to admin@example.com" in caplog.text
