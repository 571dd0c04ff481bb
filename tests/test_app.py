import asyncio

import pytest
from starlette.applications import Starlette

from asgi_client import serving
from tessera.app import app_from_env, create_app
from tessera.config import ConfigError, load_settings
from tessera.storage import LocalDriver, StorageLocations


def test_app_holds_settings_and_database(db, settings):
    app = create_app(settings, db)
    assert app.state.settings is settings
    assert app.state.db is db


def test_app_opens_the_configured_database_when_given_none(settings):
    app = create_app(settings)
    assert app.state.db.url.database == settings.db_filename or not settings.is_sqlite
    app.state.db.dispose()


@pytest.mark.anyio
async def test_shutdown_disposes_the_engine(db, settings):
    pool = db.engine.pool
    async with serving(create_app(settings, db)) as client:
        await client.get("/server/health")
    assert db.engine.pool is not pool


@pytest.mark.anyio
async def test_storage_is_the_configured_locations_released_at_shutdown(db, settings, tmp_path):
    app = create_app(settings, db)
    storage = app.state.storage
    assert isinstance(storage, StorageLocations)
    assert storage.default_name == "local"
    assert storage.default.root == tmp_path / "uploads"

    closed = []

    class Tracked(LocalDriver):
        async def close(self) -> None:
            closed.append(self.root)

    given = StorageLocations({"a": Tracked(tmp_path / "a"), "b": Tracked(tmp_path / "b")})
    async with serving(create_app(settings, db, storage=given)) as client:
        await client.get("/server/health")
        assert closed == []
    assert closed == [tmp_path / "a", tmp_path / "b"]


@pytest.mark.anyio
async def test_the_schedule_ticker_runs_while_the_app_serves(db, settings):
    app = create_app(settings, db)
    ticker = app.state.flows.ticker
    assert not ticker.running
    async with serving(app) as client:
        await client.get("/server/health")
        await asyncio.sleep(0)  # the ticker's task gets its first turn
        assert ticker.running
    assert not ticker.running  # stopped with the app


def test_a_bad_storage_option_stops_the_app_before_it_serves(db, settings):
    bad = load_settings(
        env_file=None,
        **{**settings.model_dump(), "storage_options": {"local_driver": "ftp"}},
    )
    with pytest.raises(ConfigError, match="STORAGE_LOCAL_DRIVER"):
        create_app(bad, db)


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("SECRET", "DB_CONNECTION_STRING", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DB_CLIENT", "sqlite3")
    monkeypatch.setenv("DB_FILENAME", str(tmp_path / "app.db"))
    return monkeypatch


def test_app_from_env_reads_the_environment_and_ensures_a_secret(env, tmp_path):
    app = app_from_env()

    assert isinstance(app, Starlette)
    assert app.state.settings.db_filename == str(tmp_path / "app.db")
    assert app.state.settings.secret
    assert (tmp_path / "app.db.secret").read_text().strip() == app.state.settings.secret
    app.state.db.dispose()


def test_app_from_env_refuses_a_bad_setting(env):
    env.setenv("PORT", "eighty")
    with pytest.raises(ConfigError, match="PORT"):
        app_from_env()
