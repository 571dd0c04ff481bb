"""``log``: the ``message`` option to Tessera's log at info level (secrets redacted)."""

from __future__ import annotations

import logging
from typing import Any

from tessera.services.flows.operations.base import Context, OperationKind, as_text

log = logging.getLogger("tessera.flows")


def run(options: dict[str, Any], context: Context) -> None:
    log.info("%s", as_text(options.get("message")), extra={"flow": context.flow.id})


KIND = OperationKind("log", run)
