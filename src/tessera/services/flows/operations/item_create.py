"""``item-create``: create the ``payload`` (an item or a list) in ``collection``; the keys."""

from __future__ import annotations

from typing import Any

from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    as_list,
    as_object,
    check_items,
)


def run(options: dict[str, Any], context: Context) -> list[Any] | None:
    payload = as_object(options.get("payload"), "payload")
    if not payload:
        return None
    items = context.items(options.get("permissions"), emit=bool(options.get("emitEvents")))
    return items.create_many(options["collection"], as_list(payload))


KIND = OperationKind("item-create", run, check_items)
