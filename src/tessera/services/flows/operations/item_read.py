"""``item-read``: one item by ``key``, several by a list of keys, or what ``query`` selects."""

from __future__ import annotations

from typing import Any

from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    check_items,
    option_keys,
    option_query,
)


def run(options: dict[str, Any], context: Context) -> Any:
    items = context.items(options.get("permissions"))
    collection = options["collection"]
    query = option_query(options.get("query")) or {}
    keys = option_keys(options.get("key"))
    if not keys:
        return items.read_by_query(collection, query).data
    if len(keys) == 1:
        return items.read_one(collection, keys[0], query)
    return items.read_many(collection, keys, query)


KIND = OperationKind("item-read", run, check_items)
