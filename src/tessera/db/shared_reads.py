"""One read transaction for every read a request makes, instead of one per read.

An MCP call reads the settings, authenticates, checks the schema and permissions
counters and reads the items; each :meth:`Database.read` used to be its own connection
checkout, ``BEGIN``, counters lookup and ``COMMIT``. Inside :meth:`Database.shared_reads`
the reads of this thread join one transaction on one connection, so the counters are read
once per request (bench/mcp_load.py on SQLite: about a quarter of the CPU of a call).

What a caller sees stays what it saw with a transaction per read:

- A write (:meth:`Database.write`, :meth:`Database.schema_change`) ends the shared
  transaction first when no read is using it, so that reads after the write see it, and
  so that on PostgreSQL no lock taken by a read outlives that read while the write waits
  (DDL waiting on our own idle reader would wait forever). Reads made while the write is
  open get a transaction of their own, as before.
- When a write starts inside a read that uses the shared transaction, that read keeps its
  snapshot (as it would have), the reads nested in it get their own transactions, and the
  next read after it starts a new shared one.
- A read left by an exception may have broken the transaction (PostgreSQL refuses every
  statement after an error): the next read starts a new one.

Only the thread that opened the scope shares it; other threads (flows running in the
background) read as before.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar

from sqlalchemy import Connection, Engine


class SharedReads:
    """The state of one :meth:`Database.shared_reads` scope."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.thread = threading.get_ident()
        self.conn: Connection | None = None
        #: Reads now using the shared transaction (they nest).
        self.depth = 0
        #: Writes now open in this thread.
        self.writes = 0
        #: The shared transaction may not be used any more: a write happened or a read failed.
        self.stale = False

    def usable(self) -> bool:
        """Whether a read in this thread now may join the shared transaction."""
        if self.writes or threading.get_ident() != self.thread:
            return False
        return self.depth == 0 or not self.stale

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        conn = self.conn
        if conn is None:
            conn = self.conn = self.engine.connect()
        if self.depth == 0 and (self.stale or not conn.in_transaction()):
            self._end()
            conn.begin()
            self.stale = False
        self.depth += 1
        try:
            yield conn
        except BaseException:
            self.stale = True
            raise
        finally:
            self.depth -= 1

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Around a write in this thread: see the module docstring."""
        if self.depth == 0:
            self._end()
        self.stale = True
        self.writes += 1
        try:
            yield
        finally:
            self.writes -= 1

    def close(self) -> None:
        self._end()
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _end(self) -> None:
        """End the shared transaction (it only read: rolling back is ending)."""
        if self.conn is not None and self.conn.in_transaction():
            self.conn.rollback()


#: The scope open in this context, if any.
current: ContextVar[SharedReads | None] = ContextVar("tessera_shared_reads", default=None)
