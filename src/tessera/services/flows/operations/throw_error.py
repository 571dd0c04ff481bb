"""``throw-error``: fail with the ``code``, HTTP ``status`` and ``message`` given.

Directus's fallbacks: INTERNAL_SERVER_ERROR, 500 and its generic message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.errors import InvalidPayloadError
from tessera.services.flows.errors import thrown_error
from tessera.services.flows.operations.base import Context, OperationKind, as_text, is_template

FALLBACK_MESSAGE = "An unexpected error occurred."


def run(options: dict[str, Any], _context: Context) -> None:
    code = as_text(options.get("code")) or "INTERNAL_SERVER_ERROR"
    message = as_text(options.get("message")) or FALLBACK_MESSAGE
    raise thrown_error(code, _status(options.get("status")) or 500, message)


def check(options: Mapping[str, Any]) -> None:
    status = options.get("status")
    if status not in (None, "") and not is_template(status) and _status(status) is None:
        raise InvalidPayloadError(f'"options.status" has to be an HTTP status, not {status!r}')


def _status(value: Any) -> int | None:
    """``parseInt`` of the status, when it is one an HTTP answer can carry."""
    try:
        status = int(str(value).strip().split(".")[0])
    except ValueError:
        return None
    return status if 100 <= status <= 599 else None


KIND = OperationKind("throw-error", run, check)
