"""``item-delete``: delete the items of ``key`` or of ``query``; the key (one) or the keys."""

from __future__ import annotations

from typing import Any

from tessera.errors import InvalidPayloadError
from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    check_items,
    option_keys,
    option_query,
)


def run(options: dict[str, Any], context: Context) -> Any:
    query = option_query(options.get("query"))
    keys = option_keys(options.get("key"))
    if keys and query:
        raise InvalidPayloadError('Cannot use both "key" and "query"')
    if not keys and not query:
        return None
    items = context.items(options.get("permissions"), emit=bool(options.get("emitEvents")))
    collection = options["collection"]
    if query:
        return items.delete_by_query(collection, query)
    assert keys is not None
    deleted = items.delete_many(collection, keys)
    return keys[0] if len(keys) == 1 else deleted


KIND = OperationKind("item-delete", run, check_items)
