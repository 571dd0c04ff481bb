"""Shared fixtures: a real database per test, SQLite or PostgreSQL.

The backend is chosen by ``TESSERA_TEST_DATABASE_URL``: unset means SQLite files
in a temporary directory; a ``postgresql://`` URL (a server login able to create
databases) means every test gets its own PostgreSQL database. Migrated databases
are cloned from a template made once per run, so a test starts in milliseconds.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tessera.config import Settings, load_settings
from tessera.db import Database
from tessera.db.migrations import migrate

PG_URL = os.environ.get("TESSERA_TEST_DATABASE_URL", "")
BACKEND = "postgresql" if PG_URL else "sqlite"
_counter = itertools.count()


def pytest_report_header() -> str:
    return f"tessera test backend: {BACKEND}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("sqlite_only") and BACKEND != "sqlite":
            item.add_marker(pytest.mark.skip(reason="SQLite-only behaviour; backend is PostgreSQL"))
        if item.get_closest_marker("postgres_only") and BACKEND != "postgresql":
            # CI runs the whole suite a second time with the variable set (.ci/run).
            item.add_marker(pytest.mark.skip(reason="set TESSERA_TEST_DATABASE_URL to run"))
        if item.get_closest_marker("database_free") and BACKEND != "sqlite":
            item.add_marker(pytest.mark.skip(reason="uses no database; ran on the SQLite pass"))


def _pg_admin() -> sa.Engine:
    url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _pg_url(name: str) -> str:
    url = make_url(PG_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


class PgClones:
    """Copies of the migrated template, made ahead on a background thread.

    CREATE DATABASE takes about a third of a second; made while the previous test
    runs, it mostly costs the test nothing.
    """

    def __init__(self, template: str, ahead: int = 3) -> None:
        self.template = template
        self.ready: queue.Queue[str] = queue.Queue()
        self.slots = threading.Semaphore(ahead)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._fill, daemon=True)
        self.thread.start()

    def _fill(self) -> None:
        with _pg_admin().connect() as conn:
            while not self.stopping.is_set():
                if not self.slots.acquire(timeout=0.1):
                    continue
                name = f"tessera_t{os.getpid()}_{next(_counter)}"
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
                self.ready.put(name)

    def take(self) -> str:
        name = self.ready.get(timeout=60)
        self.slots.release()
        return name

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        with _pg_admin().connect() as conn:
            while not self.ready.empty():
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.ready.get()}"')


class DatabaseFactory:
    """Makes fresh databases for one test and removes them afterwards."""

    def __init__(self, tmp: Path, template: str, clones: PgClones | None) -> None:
        self.tmp = tmp
        self.template = template
        self.clones = clones
        self.made: list[tuple[str, Database | None]] = []

    def empty_url(self) -> str:
        """The URL of a new database with nothing in it."""
        return self._new(template=None)

    def migrated_url(self) -> str:
        """The URL of a new database with the system tables in place (not bootstrapped)."""
        return self._new(template=self.template)

    def copy_of(self, template: str) -> str:
        """The URL of a new copy of ``template`` (a file path on SQLite, a name on PostgreSQL)."""
        return self._new(template=template)

    def _new(self, template: str | None) -> str:
        n = next(_counter)
        if BACKEND == "sqlite":
            path = self.tmp / f"db{n}.db"
            if template:
                shutil.copy(template, path)
            url = f"sqlite+pysqlite:///{path}"
            self.made.append((url, None))
            return url
        if template == self.template and self.clones is not None:
            name = self.clones.take()
        else:
            name = f"tessera_t{os.getpid()}_{n}"
            clause = f' TEMPLATE "{template}"' if template else ""
            with _pg_admin().connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
        url = _pg_url(name)
        self.made.append((url, None))
        return url

    def settings_env(self, url: str) -> dict[str, str]:
        """Environment variables that point Tessera at ``url``."""
        parsed = make_url(url)
        if BACKEND == "sqlite":
            return {"DB_CLIENT": "sqlite3", "DB_FILENAME": str(parsed.database)}
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return {"DB_CLIENT": "pg", "DB_CONNECTION_STRING": plain}

    def cleanup(self) -> None:
        if BACKEND != "postgresql":
            return
        with _pg_admin().connect() as conn:
            for url, _ in self.made:
                name = make_url(url).database
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = Database(f"sqlite+pysqlite:///{path}")
        migrate(db)
        db.dispose()  # the last connection to close folds the WAL back into the file
        yield str(path)
        return
    name = f"tessera_tpl_{os.getpid()}"
    with _pg_admin().connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    migrate(db)
    db.dispose()
    yield name
    with _pg_admin().connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _clones(_template: str) -> Iterator[PgClones | None]:
    if BACKEND != "postgresql":
        yield None
        return
    clones = PgClones(_template)
    yield clones
    clones.close()


@pytest.fixture
def databases(
    tmp_path: Path, _template: str, _clones: PgClones | None
) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path, _template, _clones)
    yield factory
    factory.cleanup()


@pytest.fixture(scope="session")
def _blog_template(_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The blog schema of ``tests/blog.py`` with its rows, built once per run."""
    from blog import build_blog, fill_blog

    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("blog") / "blog.db"
        shutil.copy(_template, path)
        db = Database(f"sqlite+pysqlite:///{path}")
        build_blog(db)
        fill_blog(db)
        db.dispose()
        yield str(path)
        return
    name = f"tessera_blog_{os.getpid()}"
    with _pg_admin().connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{_template}"')
    db = Database(_pg_url(name))
    build_blog(db)
    fill_blog(db)
    db.dispose()
    yield name
    with _pg_admin().connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def blog_db(databases: DatabaseFactory, _blog_template: str) -> Iterator[Database]:
    """A fresh copy of the blog database (see ``tests/blog.py``), all to this test."""
    database = Database(databases.copy_of(_blog_template))
    yield database
    database.dispose()


@pytest.fixture
def db(databases: DatabaseFactory) -> Iterator[Database]:
    """A migrated database of the backend under test, all to this test."""
    database = Database(databases.migrated_url())
    yield database
    database.dispose()


@pytest.fixture
def settings(databases: DatabaseFactory, tmp_path: Path) -> Settings:
    """Settings pointing at a fresh, empty database, with no .env file read.

    The ``local`` storage location is a folder of the test's own, not ./uploads.
    """
    env = databases.settings_env(databases.empty_url())
    overrides = {key.lower(): value for key, value in env.items()}
    storage = {"local_root": str(tmp_path / "uploads")}
    secret = "test-secret-long-enough-for-hs256-keys"
    return load_settings(env_file=None, secret=secret, storage_options=storage, **overrides)
