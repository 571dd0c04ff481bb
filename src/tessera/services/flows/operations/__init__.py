"""The built-in operation kinds, by their Directus type name.

Directus's ``exec`` (Run Script) is not here: it needs a sandbox for user code that
Python cannot offer safely.
"""

from __future__ import annotations

from tessera.services.flows.operations import (
    condition,
    item_create,
    item_delete,
    item_read,
    item_update,
    json_web_token,
    log,
    mail,
    notification,
    request,
    sleep,
    throw_error,
    transform,
    trigger,
)
from tessera.services.flows.operations.base import Context, OperationKind

OPERATIONS: dict[str, OperationKind] = {
    kind.type: kind
    for kind in (
        condition.KIND,
        transform.KIND,
        log.KIND,
        item_create.KIND,
        item_read.KIND,
        item_update.KIND,
        item_delete.KIND,
        sleep.KIND,
        throw_error.KIND,
        json_web_token.KIND,
        notification.KIND,
        mail.KIND,
        request.KIND,
        trigger.KIND,
    )
}

__all__ = ["OPERATIONS", "Context", "OperationKind"]
