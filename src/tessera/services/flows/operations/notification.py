"""``notification``: a ``directus_notifications`` row for each ``recipient``; their ids.

Written with the rights ``permissions`` names; ``$full`` writes as Tessera itself, as in
Directus, so the notification has no sender. The sender is otherwise the acting user.

As in Directus, each recipient who has an email address and ``email_notifications`` on
also gets the notification by email (through :mod:`tessera.services.mail`): the subject,
the message as Markdown, and a link to the item when PUBLIC_URL is an absolute URL. An
email that cannot be sent is logged and does not fail the operation: the notification is
written either way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from tessera.db.system_tables import directus_users
from tessera.errors import InvalidPayloadError, TesseraError
from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    as_list,
    as_text,
    check_permissions,
    check_required,
)
from tessera.services.mail import Mailer, markdown_html

log = logging.getLogger("tessera.flows")


def run(options: dict[str, Any], context: Context) -> list[Any]:
    recipients = [item for item in as_list(options.get("recipient")) if item not in (None, "")]
    if not recipients:
        raise InvalidPayloadError('"recipient" has to name at least one user')
    permissions = options.get("permissions")
    acting = None if permissions == "$full" else context.acting_as(permissions)
    items = context.runner.items(acting)
    message, collection, item = (
        as_text(options[name]) if options.get(name) else None
        for name in ("message", "collection", "item")
    )
    rows = [
        {
            "recipient": recipient,
            "sender": acting.user if acting else None,
            "subject": as_text(options.get("subject")),
            "message": message,
            "collection": collection,
            "item": item,
        }
        for recipient in recipients
    ]
    ids = items.create_many("directus_notifications", rows)
    _email(context, recipients, rows[0])
    return ids


def _email(context: Context, recipients: Sequence[Any], row: Mapping[str, Any]) -> None:
    """Email the notification to the recipients who want notifications by email."""
    users = directus_users
    with context.runner.db.read() as conn:
        found = conn.execute(
            sa.select(users.c.email).where(
                users.c.id.in_([str(recipient) for recipient in recipients]),
                users.c.email_notifications.is_(True),
                users.c.email.is_not(None),
            )
        ).scalars()
        addresses = [address for address in found if address]
    if not addresses:
        return
    runner = context.runner
    html = markdown_html(row["message"] or "")
    link = _item_link(runner.settings.public_url, row["collection"], row["item"])
    if link is not None:
        html += f'<p><a href="{link}">Open the item</a></p>'
    mailer = Mailer(runner.settings, runner.db, runner.events)
    for address in addresses:
        message = {"to": address, "subject": row["subject"], "html": html}
        try:
            mailer.send(message, chain=context.chain, conn=context.conn)
        except TesseraError as error:
            log.warning("The notification could not be emailed to %s: %s", address, error)


def _item_link(public_url: str, collection: str | None, item: str | None) -> str | None:
    """The item's page in the admin app, for a user collection and an absolute PUBLIC_URL."""
    if not (collection and item) or collection.startswith("directus_"):
        return None
    if not public_url.startswith(("http://", "https://")):
        return None
    base = public_url.rstrip("/")
    return f"{base}/admin/content/{quote(collection, safe='')}/{quote(item, safe='')}"


def check(options: Mapping[str, Any]) -> None:
    check_required(options, "recipient", "subject")
    check_permissions(options)


KIND = OperationKind("notification", run, check)
