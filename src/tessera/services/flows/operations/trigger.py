"""``trigger``: run another flow (one whose trigger is ``operation``) with ``payload``.

A list payload runs the flow once per element: one after another (``serial``), in
groups of ``batchSize`` at a time (``batch``, 10 by default), or all at once
(``parallel``, the default; at most :data:`PARALLEL` threads). The value is what the
other flow returns (its ``return`` option), or the list of them.

Flows triggering flows nest at most ``FLOWS_MAX_DEPTH`` deep; past that the trigger
rejects, naming the chain, instead of looping forever as a cycle would in Directus.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tessera.errors import InvalidPayloadError
from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    as_object,
    check_one_of,
    check_required,
    is_template,
)

MODES = ("serial", "batch", "parallel")
#: Threads one parallel (or batch) trigger runs its flows on at most.
PARALLEL = 16


def run(options: dict[str, Any], context: Context) -> Any:
    flow = options.get("flow")
    if not isinstance(flow, str) or not flow:
        raise InvalidPayloadError('"flow" has to be the id of a flow')
    payload = as_object(options.get("payload"), "payload") if options.get("payload") else None
    mode = options.get("iterationMode") or "parallel"
    if not isinstance(payload, list):
        return context.runner.run_triggered(flow, payload, context)
    if mode == "serial":
        return [context.runner.run_triggered(flow, item, context) for item in payload]
    size = _batch_size(options.get("batchSize")) if mode == "batch" else len(payload)
    results: list[Any] = []
    for start in range(0, len(payload), max(size, 1)):
        group = payload[start : start + size]
        with ThreadPoolExecutor(max_workers=min(max(len(group), 1), PARALLEL)) as pool:
            runs = [
                pool.submit(context.runner.run_triggered, flow, item, context) for item in group
            ]
            results.extend(future.result() for future in runs)
    return results


def check(options: Mapping[str, Any]) -> None:
    check_required(options, "flow")
    check_one_of(options, "iterationMode", MODES)
    size = options.get("batchSize")
    if size is not None and not is_template(size):
        _batch_size(size)


def _batch_size(value: Any) -> int:
    if value in (None, ""):
        return 10
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if isinstance(value, bool) or size < 1:
        raise InvalidPayloadError(
            f'"batchSize" has to be a whole number of at least 1, not {value!r}'
        )
    return size


KIND = OperationKind("trigger", run, check)
