"""System-table migrations, recorded in ``directus_migrations``.

Each migration is a module in this package named ``m<version>_<slug>.py`` with a
``NAME`` and an ``upgrade(op)`` function taking an Alembic :class:`Operations`
bound to the migrating connection (``op.get_bind()`` gives the connection).

A database with none of Tessera's migrations recorded is brought to the current
shape in one step — the baseline creates every missing table from
:mod:`tessera.db.system_tables` — and every migration is then recorded as applied,
as Alembic's cookbook recommends for new databases. Later migrations run in
order, all in one transaction, under a lock so two instances starting at once do
not both migrate.

Versions carry a ``T`` prefix so they never collide with the rows a real
Directus writes to the same table.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection

from tessera.db.engine import Database
from tessera.db.system_tables import directus_migrations, metadata

PG_MIGRATION_LOCK = 7_361_220_001


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    upgrade: Callable[[Operations], None]


def discover() -> list[Migration]:
    """Every migration in this package, oldest first."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("m"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        version = "T" + info.name[1:].split("_", 1)[0]
        found.append(Migration(version, module.NAME, module.upgrade))
    return sorted(found, key=lambda m: m.version)


def applied_versions(conn: Connection) -> set[str]:
    if not sa.inspect(conn).has_table(directus_migrations.name):
        return set()
    rows = conn.execute(sa.select(directus_migrations.c.version))
    return {row[0] for row in rows if row[0].startswith("T")}


def migrate(db: Database, migrations: list[Migration] | None = None) -> list[str]:
    """Bring the system tables up to date; returns the versions applied now."""
    migrations = discover() if migrations is None else migrations
    with db.schema_change() as conn:
        if db.is_postgres:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        done = applied_versions(conn)
        op = Operations(MigrationContext.configure(connection=conn))
        if not done:
            metadata.create_all(conn, checkfirst=True)
            _record(conn, migrations)
            return [m.version for m in migrations]
        pending = [m for m in migrations if m.version not in done]
        for migration in pending:
            migration.upgrade(op)
            _record(conn, [migration])
        return [m.version for m in pending]


def pending(db: Database) -> list[str]:
    """Versions not applied yet (all of them on an empty database)."""
    with db.read() as conn:
        done = applied_versions(conn)
    return [m.version for m in discover() if m.version not in done]


def _record(conn: Connection, migrations: list[Migration]) -> None:
    if migrations:
        conn.execute(
            sa.insert(directus_migrations),
            [{"version": m.version, "name": m.name} for m in migrations],
        )
