"""Change counters in ``tessera_schema_version``, how processes learn their caches are stale.

Row :data:`SCHEMA` counts schema changes; row :data:`ACCESS` counts changes to users'
roles, roles, policies, access and permissions; row :data:`FLOWS` counts changes to flows
and operations. A writer bumps the counter in the same transaction as its change; a
reader compares the stored value with the one its cache was built at — one primary-key
lookup per request.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from tessera.db.system_tables import tessera_schema_version

SCHEMA = 1
ACCESS = 2
FLOWS = 3


#: Where a transaction keeps the counters it has read, in ``Connection.info``.
_MEMO = "tessera_counters"
#: Built once: SQLAlchemy then reuses its cache key and compiled form (a statement built
#: per call costs about three times as much to run as the lookup itself).
_ALL = sa.select(tessera_schema_version.c.id, tessera_schema_version.c.version)


def read_counter(conn: Connection, counter: int) -> int:
    """The counter's value; the first read in a transaction fetches every counter at once.

    A request checks both the schema and the access counters, and on PostgreSQL each
    statement is a round trip: one statement for both saves one.
    """
    transaction = conn.get_transaction()
    memo = conn.info.get(_MEMO)
    if memo is None or memo[0] is not transaction:
        rows = conn.execute(_ALL)
        values = {row.id: row.version for row in rows}
        memo = (transaction, values)
        conn.info[_MEMO] = memo
    return int(memo[1].get(counter) or 0)


def bump_counter(conn: Connection, counter: int) -> None:
    """Count one change, in the caller's transaction.

    One upsert, so that two first-ever changes racing to create the row queue on it
    instead of one failing on its primary key.
    """
    conn.info.pop(_MEMO, None)
    table = tessera_schema_version
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(table)
        .values(id=counter, version=1)
        .on_conflict_do_update(index_elements=[table.c.id], set_={"version": table.c.version + 1})
    )
