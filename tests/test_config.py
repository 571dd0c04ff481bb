import logging
import stat

import pytest
from sqlalchemy.engine import make_url

from tessera.config import ConfigError, Settings, ensure_secret, load_settings

SETTING_NAMES = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No Tessera variable from the outside, and an empty working folder (so no .env)."""
    monkeypatch.chdir(tmp_path)
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_directus_defaults():
    settings = load_settings()
    # Directus 12.4's @directus/env defaults for the variables both read.
    assert settings.host == "0.0.0.0"
    assert settings.port == 8055
    assert settings.public_url == "/"
    assert settings.query_limit_default == 100
    assert settings.query_limit_cap is None  # Directus: QUERY_LIMIT_MAX unset, no cap
    assert settings.db_exclude_tables == "spatial_ref_sys,sysdiagrams"
    assert settings.excluded_tables == {"spatial_ref_sys", "sysdiagrams"}
    assert settings.mcp_enabled is True  # the environment allows it; the settings row decides
    assert settings.log_level == "info"
    assert settings.db_port == 5432
    assert settings.secret is None
    assert settings.admin_password is None
    assert settings.admin_token is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "0"),
        ("PORT", "http"),
        ("DB_PORT", "70000"),
        ("DB_CLIENT", "mysql"),
        ("QUERY_LIMIT_DEFAULT", "0"),
        ("QUERY_LIMIT_MAX", "0"),
        ("MCP_ENABLED", "perhaps"),
        ("LOG_LEVEL", "loud"),
        ("DB_CONNECTION_STRING", "mysql://me@db/app"),
        ("ADMIN_EMAIL", "nobody"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name} must be ")
    assert repr(value) in message
    assert "\n" not in message


def test_the_env_file_is_read_and_the_environment_wins(clean_env, tmp_path):
    (tmp_path / ".env").write_text("PORT=9000\nPUBLIC_URL=https://data.example.com\n")
    clean_env.setenv("PUBLIC_URL", "https://api.example.com")

    settings = load_settings()

    assert settings.port == 9000
    assert settings.public_url == "https://api.example.com"


def test_a_named_env_file_is_read(tmp_path):
    (tmp_path / "prod.env").write_text("QUERY_LIMIT_MAX=500\n")
    assert load_settings(env_file=tmp_path / "prod.env").query_limit_cap == 500


def test_sqlite_url_from_db_filename(clean_env):
    clean_env.setenv("DB_FILENAME", "/srv/tessera/data.db")
    settings = load_settings()
    assert settings.is_sqlite
    assert settings.database_url == "sqlite+pysqlite:////srv/tessera/data.db"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_connection_string_becomes_a_psycopg_url(clean_env, scheme):
    clean_env.setenv("DB_CLIENT", "pg")
    clean_env.setenv("DB_CONNECTION_STRING", f"{scheme}://me:pw@db.internal:6543/app")
    assert load_settings().database_url == "postgresql+psycopg://me:pw@db.internal:6543/app"


def test_db_variables_make_a_url_with_the_password_escaped(clean_env):
    for name, value in {
        "DB_CLIENT": "postgres",
        "DB_HOST": "db.internal",
        "DB_PORT": "6543",
        "DB_DATABASE": "app",
        "DB_USER": "me",
        "DB_PASSWORD": "p@ss/w:rd",
    }.items():
        clean_env.setenv(name, value)

    settings = load_settings()

    assert settings.db_client == "pg"
    url = make_url(settings.database_url)
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password) == ("me", "p@ss/w:rd")
    assert (url.host, url.port, url.database) == ("db.internal", 6543, "app")


def test_db_variables_without_a_password(clean_env):
    clean_env.setenv("DB_CLIENT", "pg")
    assert load_settings().database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/tessera"


def test_ensure_secret_returns_a_set_secret_and_writes_nothing(clean_env, tmp_path):
    clean_env.setenv("SECRET", "from-env")
    clean_env.setenv("DB_FILENAME", str(tmp_path / "t.db"))
    settings = load_settings()
    assert ensure_secret(settings) == "from-env"
    assert not settings.secret_path.exists()


def test_ensure_secret_generates_persists_privately_and_reuses(clean_env, tmp_path, caplog):
    clean_env.setenv("DB_FILENAME", str(tmp_path / "t.db"))

    with caplog.at_level(logging.WARNING, logger="tessera.config"):
        first = load_settings()
        generated = ensure_secret(first)
        again = ensure_secret(load_settings())

    assert len(generated) >= 32
    assert first.secret == generated
    assert again == generated
    path = tmp_path / "t.db.secret"
    assert path.read_text().strip() == generated
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    warnings = [r for r in caplog.records if r.name == "tessera.config"]
    assert len(warnings) == 1
    assert "SECRET" in warnings[0].getMessage()


def test_a_generated_secret_for_postgresql_is_named_after_the_database_in_use(clean_env):
    clean_env.setenv("DB_CLIENT", "pg")
    clean_env.setenv("DB_CONNECTION_STRING", "postgresql://me@db.internal/shop")
    assert str(load_settings().secret_path) == "data/shop.secret"
    clean_env.delenv("DB_CONNECTION_STRING")
    clean_env.setenv("DB_DATABASE", "blog")
    assert str(load_settings().secret_path) == "data/blog.secret"
