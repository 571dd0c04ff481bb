import pytest
from starlette.applications import Starlette

from asgi_client import serving
from tessera.app import app_from_env, create_app
from tessera.config import ConfigError


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
