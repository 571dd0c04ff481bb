"""``transform``: the ``json`` option, rendered, becomes the operation's value."""

from __future__ import annotations

from typing import Any

from tessera.services.flows.operations.base import Context, OperationKind, as_object


def run(options: dict[str, Any], _context: Context) -> Any:
    return as_object(options.get("json"), "json")


KIND = OperationKind("transform", run)
