"""The database handle: one SQLAlchemy engine, with transactions that behave.

SQLite's Python driver does not issue BEGIN before DDL, so DDL would escape the
transaction it was written in. We take over transaction control: the driver runs
in autocommit mode and we issue ``BEGIN`` (reads) or ``BEGIN IMMEDIATE`` (writes)
ourselves, so DDL and the metadata rows that describe it commit or roll back
together. On PostgreSQL DDL is transactional already.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url

from tessera.db import shared_reads
from tessera.errors import InvalidForeignKeyError

SQLITE_BUSY_TIMEOUT_MS = 5000
#: Where a schema change lists the SQLite tables whose foreign keys to check before commit.
FK_CHECK_KEY = "tessera_fk_check"


def check_foreign_keys_before_commit(conn: Connection, table: str) -> None:
    """Have :meth:`Database.schema_change` check ``table``'s foreign keys before it commits.

    Only the tables a change rewrote and the tables pointing at them need checking;
    checking the whole database would scan every table on every schema change.
    """
    conn.info.setdefault(FK_CHECK_KEY, set()).add(table)


class Database:
    """The engine plus the transaction shapes every service uses."""

    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 10) -> None:
        parsed = make_url(url)
        self.url = parsed
        self.dialect_name = parsed.get_backend_name()
        if self.is_sqlite:
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(parsed, json_serializer=dumps_json)
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(
                parsed,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,
                json_serializer=dumps_json,
            )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect_name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect_name == "postgresql"

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a read transaction (a consistent snapshot on both databases).

        Inside :meth:`shared_reads`, the scope's transaction when it may be shared.
        """
        shared = shared_reads.current.get()
        if shared is not None and shared.engine is self.engine and shared.usable():
            with shared.read() as conn:
                yield conn
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def shared_reads(self) -> Iterator[None]:
        """Let this thread's reads share one transaction until the block ends
        (:mod:`tessera.db.shared_reads` says when they do not)."""
        shared = shared_reads.SharedReads(self.engine)
        token = shared_reads.current.set(shared)
        try:
            yield
        finally:
            shared_reads.current.reset(token)
            shared.close()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        shared = shared_reads.current.get()
        if shared is None or shared.engine is not self.engine:
            yield
            return
        with shared.writing():
            yield

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction: committed on success, rolled back on error.

        On SQLite the write lock is taken at BEGIN, so two writers queue on the busy
        timeout instead of failing with "database is locked" half-way through.
        """
        with self._writing(), self.engine.connect() as conn:
            conn = conn.execution_options(tessera_write=True)
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def schema_change(self) -> Iterator[Connection]:
        """A write transaction for DDL.

        SQLite can only alter most columns by rebuilding the table; the rebuild drops
        and recreates it, which with foreign keys on would cascade into child rows.
        SQLite's documented procedure is to turn foreign-key enforcement off for the
        transaction (it cannot change inside one) and check every key before commit.
        """
        if not self.is_sqlite:
            with self.write() as conn:
                yield conn
            return
        with self._writing(), self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")  # on the driver: no SQLAlchemy autobegin
            try:
                conn = conn.execution_options(tessera_write=True)
                conn.info.pop(FK_CHECK_KEY, None)
                with conn.begin():
                    yield conn
                    _check_foreign_keys(conn, conn.info.pop(FK_CHECK_KEY, set()))
            finally:
                conn.info.pop(FK_CHECK_KEY, None)
                raw.execute("PRAGMA foreign_keys=ON")

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.read() as conn:
            return conn.execute(text(sql), params).scalar()

    def dispose(self) -> None:
        self.engine.dispose()


def _check_foreign_keys(conn: Connection, tables: set[str]) -> None:
    """Check the keys of the rewritten tables and of the tables pointing at them (a
    parent whose key lost its uniqueness breaks its children without changing a row)."""
    if not tables:
        return
    inspector = sa_inspect(conn)
    existing = set(inspector.get_table_names())
    children = {
        name
        for name in existing
        if any(fk["referred_table"] in tables for fk in inspector.get_foreign_keys(name))
    }
    for table in sorted((tables | children) & existing):
        quoted = conn.dialect.identifier_preparer.quote(table)
        broken = conn.exec_driver_sql(f"PRAGMA foreign_key_check({quoted})").fetchall()
        if broken:
            rowid, parent = broken[0][1], broken[0][2]
            raise InvalidForeignKeyError(
                f'Row {rowid} of "{table}" points at a missing row of "{parent}".',
                collection=table,
            )


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_json(value: Any) -> str:
    """JSON for json columns: dates as ISO strings and decimals as strings, as the API shows."""
    return json.dumps(value, default=_json_default)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we send BEGIN ourselves, see module docstring
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("tessera_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
