"""``sleep``: wait ``milliseconds`` (cut short when the operation times out)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tessera.errors import InvalidPayloadError
from tessera.services.flows.operations.base import Context, OperationKind, is_template


def run(options: dict[str, Any], context: Context) -> None:
    context.sleep(_milliseconds(options.get("milliseconds")) / 1000)


def check(options: Mapping[str, Any]) -> None:
    value = options.get("milliseconds")
    if value is not None and not is_template(value):
        _milliseconds(value)


def _milliseconds(value: Any) -> float:
    try:
        number = float(value if value not in (None, "") else 0)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise InvalidPayloadError(f'"milliseconds" has to be a number, 0 or more, not {value!r}')
    return number


KIND = OperationKind("sleep", run, check)
