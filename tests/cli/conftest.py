"""A ``tessera`` command line over a migrated, bootstrapped database, for the access commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result

from tessera.cli import main
from tessera.config import Settings, load_settings
from tessera.db import Database
from tessera.schema.overview import SchemaCache
from tessera.services.bootstrap import bootstrap
from tessera.services.collections import CollectionsService
from tessera.services.schema_change import SchemaContext

SETTING_NAMES = [name.upper() for name in Settings.model_fields]


@dataclass
class Tessera:
    """Runs ``tessera`` against one database; ``db`` and ``settings`` look at it directly."""

    env: dict[str, str]
    db: Database
    settings: Settings

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env)

    def ok(self, *args: str) -> str:
        """Standard output of a command that must succeed."""
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    def fails(self, *args: str) -> str:
        """The one line on standard error of a command that must fail with exit code 1."""
        result = self(*args)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.stdout == ""
        (line,) = result.stderr.strip().splitlines()
        return line

    def collection(self, name: str, *fields: str) -> None:
        """A user collection with an integer key and string ``fields``."""
        CollectionsService(SchemaContext(self.db, SchemaCache(self.db))).create(
            {
                "collection": name,
                "schema": {},
                "meta": {},
                "fields": [{"field": field, "type": "string"} for field in fields],
            }
        )


@pytest.fixture
def tessera(databases, monkeypatch, tmp_path) -> Iterator[Tessera]:
    """``tessera`` over a database set up as ``tessera init`` does, with admin@example.com."""
    monkeypatch.chdir(tmp_path)
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    url = databases.migrated_url()
    env = {**databases.settings_env(url), "SECRET": "test-secret-of-32-bytes-or-more!"}
    settings = load_settings(
        env_file=None,
        login_stall_time=0,
        **{key.lower(): value for key, value in env.items()},
    )
    db = Database(url)
    bootstrap(db, settings)
    yield Tessera(env, db, settings)
    db.dispose()
