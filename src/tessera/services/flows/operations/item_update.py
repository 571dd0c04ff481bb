"""``item-update``: write ``payload`` to the items of ``key`` or of ``query``, or update a
list of items by the keys they hold; the key (one) or the keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.errors import InvalidPayloadError
from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    as_object,
    check_items,
    option_keys,
    option_query,
)


def run(options: dict[str, Any], context: Context) -> Any:
    payload = as_object(options.get("payload"), "payload")
    query = option_query(options.get("query"))
    keys = option_keys(options.get("key"))
    batch = isinstance(payload, list)
    if payload is not None and not batch and not isinstance(payload, Mapping):
        raise InvalidPayloadError('"payload" has to be an object or a list of objects')
    if keys and query:
        raise InvalidPayloadError('Cannot use both "key" and "query"')
    if batch and (keys or query):
        raise InvalidPayloadError('Cannot use "key" or "query" with a batch payload')
    if not payload or (not batch and not keys and not query):
        return None
    items = context.items(options.get("permissions"), emit=bool(options.get("emitEvents")))
    collection = options["collection"]
    if batch:
        return items.update_batch(collection, payload)
    if query:
        return items.update_by_query(collection, query, payload)
    assert keys is not None
    updated = items.update_many(collection, keys, payload)
    return keys[0] if len(keys) == 1 else updated


KIND = OperationKind("item-update", run, check_items)
