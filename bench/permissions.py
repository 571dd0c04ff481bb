"""What permissions cost a read: resolving the caller, and reading under their rules.

    .venv/bin/python bench/permissions.py                       # SQLite
    .venv/bin/python bench/permissions.py postgresql://postgres@127.0.0.1/bench

Builds a small ``articles`` collection (1,000 rows), a role whose policy reads
``status = published`` rows and three fields, and a user with a static token. Then, each
over many runs after warm-up, it times:

- the same 10-row read as Tessera itself (no permissions at all), as an admin, and as the
  role (permissions cached, as they are after a process's first request);
- resolving the caller from the static token (what every request does first).

The difference between the role's read and the unrestricted one, plus the resolution,
is what permissions add to a request. Prints medians and p99 in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.config import load_settings
from tessera.db import Database
from tessera.db.migrations import migrate
from tessera.db.system_tables import (
    directus_access,
    directus_permissions,
    directus_policies,
    directus_roles,
    directus_users,
)
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.auth import AuthService
from tessera.services.bootstrap import bootstrap
from tessera.services.collections import CollectionsService
from tessera.services.items import ItemsService
from tessera.services.schema_change import SchemaContext

RUNS = 2000
TOKEN = "bench-static-token"


def timed(work: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    for _ in range(200):
        work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def prepare(db: Database, url_settings: dict[str, str]) -> tuple[object, str]:
    settings = load_settings(env_file=None, secret="bench", **url_settings)
    bootstrap(db, settings)
    CollectionsService(SchemaContext(db, SchemaCache(db))).create(
        {
            "collection": "articles",
            "schema": {},
            "fields": [
                {"field": "title", "type": "string"},
                {"field": "status", "type": "string"},
                {"field": "rating", "type": "integer"},
                {"field": "body", "type": "text"},
            ],
        }
    )
    rows = [
        {
            "title": f"t{i}",
            "status": "published" if i % 3 else "draft",
            "rating": i % 5,
            "body": "x",
        }
        for i in range(1000)
    ]
    ItemsService(db, SchemaCache(db), settings).create_many("articles", rows)
    role, user, policy = (str(uuid.uuid4()) for _ in range(3))
    with db.write() as conn:
        conn.execute(sa.insert(directus_roles).values(id=role, name="Reader"))
        conn.execute(
            sa.insert(directus_policies).values(
                id=policy, name="Reader", app_access=True, admin_access=False
            )
        )
        conn.execute(
            sa.insert(directus_access).values(id=str(uuid.uuid4()), role=role, policy=policy)
        )
        conn.execute(
            sa.insert(directus_users).values(
                id=user, email="reader@example.com", role=role, status="active", token=TOKEN
            )
        )
        conn.execute(
            sa.insert(directus_permissions).values(
                policy=policy,
                collection="articles",
                action="read",
                fields="id,title,status",
                permissions={"status": {"_eq": "published"}},
            )
        )
    return settings, user


def run(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if url is None:
            path = Path(tmp) / "bench.db"
            db_url, env = f"sqlite+pysqlite:///{path}", {"db_filename": str(path)}
        else:
            db_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
            admin = sa.create_engine(
                db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
            )
            name = db_url.rsplit("/", 1)[1]
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            env = {"db_client": "pg", "db_connection_string": url}
        db = Database(db_url)
        migrate(db)
        settings, _user = prepare(db, env)
        schema, cache = SchemaCache(db), AccessCache()
        auth = AuthService(db, settings)  # type: ignore[arg-type]
        reader = auth.authenticate(TOKEN)
        query = {"fields": ["id", "title"], "limit": 10}

        def read_as(who: Accountability | None) -> Callable[[], object]:
            service = ItemsService(db, schema, settings, who, cache=cache)  # type: ignore[arg-type]
            return lambda: service.read_by_query("articles", query)

        figures = {
            "read, Tessera itself (no permissions)": timed(read_as(None)),
            "read, admin": timed(read_as(Accountability(admin=True, app=True))),
            "read, role with a row rule (cached)": timed(read_as(reader)),
            "resolve the caller from a static token": timed(lambda: auth.authenticate(TOKEN)),
        }
        db.dispose()
    backend = "SQLite" if url is None else "PostgreSQL"
    print(f"\n{backend}: 10 rows of 1,000, {RUNS} runs each")
    print(f"{'':44} {'p50 ms':>8} {'p99 ms':>8}")
    for label, (p50, p99) in figures.items():
        print(f"{label:44} {p50:8.3f} {p99:8.3f}")
    base = figures["read, Tessera itself (no permissions)"][0]
    rule = figures["read, role with a row rule (cached)"][0]
    resolve = figures["resolve the caller from a static token"][0]
    print(f"{'permissions added to the read (p50)':44} {rule - base:8.3f}")
    print(f"{'... plus resolving the caller':44} {rule - base + resolve:8.3f}")


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else None)
