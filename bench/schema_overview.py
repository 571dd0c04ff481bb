"""How long the schema overview takes to build, and what a cache hit costs per request.

    .venv/bin/python bench/schema_overview.py                       # SQLite in a temp dir
    .venv/bin/python bench/schema_overview.py postgresql://postgres@127.0.0.1/bench

The PostgreSQL database named in the URL is dropped and created again. Prints one
line per figure; nothing is asserted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tessera.db import Database
from tessera.db.migrations import migrate
from tessera.schema.overview import SchemaCache, build_overview
from tessera.services.collections import CollectionsService
from tessera.services.schema_change import SchemaContext

COLLECTIONS = 50
FIELDS = 10
TYPES = ["string", "text", "integer", "boolean", "dateTime", "json", "decimal", "uuid"]


def fresh_database(argv: list[str]) -> Database:
    if len(argv) > 1:
        url = make_url(argv[1]).set(drivername="postgresql+psycopg")
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
        admin.dispose()
        return Database(url.render_as_string(hide_password=False))
    return Database(f"sqlite+pysqlite:///{tempfile.mkdtemp()}/bench.db")


def timed(label: str, fn: Callable[[], object], repeat: int) -> None:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    median = statistics.median(samples) * 1000
    print(
        f"{label:<46} median {median:8.3f} ms   min {min(samples) * 1000:8.3f} ms   ({repeat} runs)"
    )


def main(argv: list[str]) -> None:
    db = fresh_database(argv)
    migrate(db)
    context = SchemaContext(db, SchemaCache(db))
    collections = CollectionsService(context)
    start = time.perf_counter()
    for n in range(COLLECTIONS):
        collections.create(
            {
                "collection": f"c{n:02d}",
                "schema": {},
                "meta": {"icon": "box"},
                "fields": [
                    {"field": f"f{i}", "type": TYPES[i % len(TYPES)], "meta": {"note": "x"}}
                    for i in range(FIELDS)
                ],
            }
        )
    elapsed = (time.perf_counter() - start) / COLLECTIONS * 1000
    print(f"backend: {db.dialect_name}; {COLLECTIONS} collections x {FIELDS + 1} fields")
    print(f"{'create one collection (DDL + metadata)':<46} mean   {elapsed:8.3f} ms")

    def rebuild() -> None:
        with db.read() as conn:
            build_overview(conn)

    timed("build the overview from scratch", rebuild, 20)
    cache = SchemaCache(db)
    cache.get()
    with db.read() as conn:
        timed("cache hit (version check), open transaction", lambda: cache.get(conn), 500)
    timed("cache hit (version check), own connection", cache.get, 500)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv)
