"""What a write call leaves for after its transaction, kept on the transaction's connection.

Action hooks run after the commit (and not at all after a rollback); the run logs of
flows that ran inside the transaction — filter hooks, and what they trigger — are written
after it in a transaction of their own, whether it committed or not, so a flow that
rejected a write can still be inspected. A flow's item operation inside that transaction
joins it, and finds the same :class:`Pending` on the connection.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection

from tessera.db.engine import Database

log = logging.getLogger("tessera.flows")

#: Where the write transaction's :class:`Pending` lives, in ``Connection.info``.
KEY = "tessera_flows_pending"


@dataclass
class Pending:
    #: Action hooks to fire once the transaction committed.
    actions: list[Callable[[], None]] = field(default_factory=list)
    #: Run logs to write once the transaction ended.
    logs: list[Callable[[], None]] = field(default_factory=list)


def pending_of(conn: Connection) -> Pending | None:
    return conn.info.get(KEY)


@contextlib.contextmanager
def write_with_flows(db: Database) -> Iterator[Connection]:
    """A write transaction filter flows may run in: once it ended their logs are written,
    and once it committed the action hooks it collected fire."""
    pending = Pending()
    try:
        with db.write() as conn:
            conn.info[KEY] = pending
            try:
                yield conn
            finally:
                conn.info.pop(KEY, None)
    finally:
        _settle(pending.logs)
    _settle(pending.actions)


def _settle(callbacks: list[Callable[[], None]]) -> None:
    """Run what a transaction left for after it; a failure is logged, never the caller's."""
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("Flows could not be started or logged after a write")
