"""``notification``: a ``directus_notifications`` row for each ``recipient``; their ids.

Written with the rights ``permissions`` names; ``$full`` writes as Tessera itself, as in
Directus, so the notification has no sender. The sender is otherwise the acting user.
Tessera sends no email yet, so ``email_notifications`` has no effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.errors import InvalidPayloadError
from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    as_list,
    as_text,
    check_permissions,
    check_required,
)


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
    return items.create_many("directus_notifications", rows)


def check(options: Mapping[str, Any]) -> None:
    check_required(options, "recipient", "subject")
    check_permissions(options)


KIND = OperationKind("notification", run, check)
