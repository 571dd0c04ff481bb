import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from tessera.db import Database
from tessera.db.engine import SQLITE_BUSY_TIMEOUT_MS
from tessera.db.system_tables import directus_roles


@pytest.fixture
def empty_db(databases):
    database = Database(databases.empty_url())
    yield database
    database.dispose()


@pytest.mark.sqlite_only
def test_every_sqlite_connection_gets_wal_foreign_keys_and_a_busy_timeout(empty_db):
    with empty_db.engine.connect() as one, empty_db.engine.connect() as two:
        assert one.connection.dbapi_connection is not two.connection.dbapi_connection
        for conn in (one, two):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


class Boom(Exception):
    pass


def change_then_fail(db: Database, transaction: str) -> None:
    with getattr(db, transaction)() as conn:
        conn.execute(sa.text("CREATE TABLE scratch (id integer primary key)"))
        conn.execute(sa.text("INSERT INTO scratch (id) VALUES (1)"))
        conn.execute(sa.insert(directus_roles).values(id=str(uuid.uuid4()), name="Temp"))
        conn.execute(sa.text("ALTER TABLE directus_roles ADD COLUMN scratch_note text"))
        raise Boom


@pytest.mark.parametrize("transaction", ["write", "schema_change"])
def test_a_failed_write_leaves_nothing_behind_ddl_included(db, transaction):
    with pytest.raises(Boom):
        change_then_fail(db, transaction)

    with db.read() as conn:
        inspector = sa.inspect(conn)
        assert not inspector.has_table("scratch")
        assert "scratch_note" not in {c["name"] for c in inspector.get_columns("directus_roles")}
        assert conn.execute(sa.select(sa.func.count()).select_from(directus_roles)).scalar() == 0


def test_a_successful_write_is_committed(db):
    with db.write() as conn:
        conn.execute(sa.insert(directus_roles).values(id=str(uuid.uuid4()), name="Kept"))
    with db.read() as conn:
        assert conn.execute(sa.select(directus_roles.c.name)).scalars().all() == ["Kept"]


@pytest.mark.sqlite_only
def test_two_sqlite_writers_at_once_both_succeed(db):
    first_holds_lock = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with db.write() as conn:
            first_holds_lock.set()
            time.sleep(0.3)  # keep the write lock while the second writer starts
            conn.execute(sa.insert(directus_roles).values(id=str(uuid.uuid4()), name="first"))

    def second() -> None:
        first_holds_lock.wait()
        with db.write() as conn:
            conn.execute(sa.insert(directus_roles).values(id=str(uuid.uuid4()), name="second"))

    def guarded(target):
        def run() -> None:
            try:
                target()
            except BaseException as exc:
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guarded(f)) for f in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with db.read() as conn:
        names = conn.execute(sa.select(directus_roles.c.name)).scalars().all()
    assert sorted(names) == ["first", "second"]
