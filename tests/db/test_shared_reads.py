"""Reads sharing one transaction (``Database.shared_reads``) see what reads of their own would."""

import contextvars
import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tessera.db.system_tables import directus_roles


def role_names(db) -> list[str]:
    with db.read() as conn:
        return sorted(conn.execute(sa.select(directus_roles.c.name)).scalars())


def add_role(db, name: str) -> None:
    with db.write() as conn:
        conn.execute(sa.insert(directus_roles).values(id=str(uuid.uuid4()), name=name))


@pytest.fixture
def begins(db):
    """How many transactions the database's connections began."""
    count = [0]

    def counted(_conn):
        count[0] += 1

    event.listen(db.engine, "begin", counted)
    yield count
    event.remove(db.engine, "begin", counted)


def test_reads_in_the_scope_begin_one_transaction(db, begins):
    with db.shared_reads():
        for _ in range(3):
            assert role_names(db) == []
    assert begins[0] == 1


def test_a_read_after_a_write_in_the_scope_sees_it(db):
    with db.shared_reads():
        assert role_names(db) == []
        add_role(db, "Editor")
        assert role_names(db) == ["Editor"]


def test_reads_nested_in_a_read_see_a_write_made_inside_it(db):
    with db.shared_reads(), db.read() as outer:
        add_role(db, "Editor")
        assert role_names(db) == ["Editor"]
        outer.execute(sa.select(directus_roles.c.id)).all()  # the outer read goes on
    with db.shared_reads():
        assert role_names(db) == ["Editor"]


def test_a_read_during_a_write_sees_what_is_committed(db):
    add_role(db, "Before")
    with db.shared_reads():
        assert role_names(db) == ["Before"]
        with db.write() as conn:
            conn.execute(sa.insert(directus_roles).values(id=str(uuid.uuid4()), name="During"))
            assert role_names(db) == ["Before"]
        assert role_names(db) == ["Before", "During"]


def test_a_failed_read_does_not_break_the_next_one(db):
    with db.shared_reads():
        with pytest.raises(sa.exc.DBAPIError), db.read() as conn:
            conn.execute(sa.text("SELECT no_such_column FROM directus_roles"))
        assert role_names(db) == []


def test_ddl_after_reads_in_the_scope_does_not_wait_on_them(db):
    """On PostgreSQL a read holds its table's lock until its transaction ends; a shared
    transaction left open under a write would make ALTER TABLE wait on its own request."""
    with db.shared_reads():
        assert role_names(db) == []
        with db.schema_change() as conn:
            if db.is_postgres:
                conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
            assert role_names(db) == []  # a read while the change is open
            conn.execute(sa.text("ALTER TABLE directus_roles ADD COLUMN scratch_note text"))
        with db.read() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("directus_roles")}
    assert "scratch_note" in columns


def in_thread(target, *, context: bool = False):
    """Run ``target`` on another thread (with a copy of this context, as anyio's threads have)."""
    results = []

    def run() -> None:
        results.append(target())

    if context:
        thread = threading.Thread(target=contextvars.copy_context().run, args=(run,))
    else:
        thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return results[0]


def test_another_thread_reads_in_its_own_transaction_even_with_this_context(db):
    with db.shared_reads():
        assert role_names(db) == []  # this scope's snapshot is taken
        in_thread(lambda: add_role(db, "Editor"))
        assert in_thread(lambda: role_names(db), context=True) == ["Editor"]
