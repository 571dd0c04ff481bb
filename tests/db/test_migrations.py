import pytest
import sqlalchemy as sa
from alembic.operations import Operations

from tessera.db import Database
from tessera.db.migrations import Migration, discover, migrate, pending
from tessera.db.system_tables import directus_migrations, directus_settings, metadata

# directus_settings' mcp_* columns and their defaults in a database Directus 12.4 created.
DIRECTUS_MCP_DEFAULTS = {
    "mcp_enabled": False,
    "mcp_allow_deletes": False,
    "mcp_prompts_collection": None,
    "mcp_system_prompt_enabled": True,
    "mcp_system_prompt": None,
    "mcp_oauth_enabled": False,
    "mcp_oauth_dcr_enabled": False,
    "mcp_oauth_cimd_enabled": False,
}


@pytest.fixture
def fresh(databases):
    database = Database(databases.empty_url())
    yield database
    database.dispose()


def recorded(db):
    with db.read() as conn:
        rows = conn.execute(sa.select(directus_migrations.c.version, directus_migrations.c.name))
        return sorted(tuple(row) for row in rows)


def test_a_fresh_database_gets_every_system_table_and_records_every_migration(fresh):
    versions = [migration.version for migration in discover()]
    assert versions[0] == "T0001"
    assert pending(fresh) == versions

    assert migrate(fresh) == versions

    with fresh.read() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert set(metadata.tables) <= tables
    assert ("T0001", "Create system tables") in recorded(fresh)
    assert pending(fresh) == []


def test_migrating_again_applies_nothing(fresh):
    migrate(fresh)
    before = recorded(fresh)

    assert migrate(fresh) == []
    assert recorded(fresh) == before


def probe_migration(calls: list[str], fail: bool = False) -> Migration:
    def upgrade(op: Operations) -> None:
        calls.append("ran")
        op.create_table("tessera_probe", sa.Column("id", sa.Integer(), primary_key=True))
        if fail:
            raise RuntimeError("migration failed half-way")

    return Migration("T9001", "Add a probe table", upgrade)


def test_a_new_migration_runs_once_and_is_recorded(db):
    calls: list[str] = []
    migrations = [*discover(), probe_migration(calls)]

    assert migrate(db, migrations=migrations) == ["T9001"]
    assert migrate(db, migrations=migrations) == []

    assert calls == ["ran"]
    assert ("T9001", "Add a probe table") in recorded(db)
    with db.read() as conn:
        assert sa.inspect(conn).has_table("tessera_probe")


def test_a_failing_migration_leaves_no_trace(db):
    calls: list[str] = []
    with pytest.raises(RuntimeError):
        migrate(db, migrations=[*discover(), probe_migration(calls, fail=True)])

    assert calls == ["ran"]
    assert "T9001" not in {version for version, _ in recorded(db)}
    with db.read() as conn:
        assert not sa.inspect(conn).has_table("tessera_probe")


def test_settings_has_every_directus_mcp_column_with_its_default(db):
    with db.read() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("directus_settings")}
    assert {c for c in columns if c.startswith("mcp_")} == set(DIRECTUS_MCP_DEFAULTS)

    with db.write() as conn:
        conn.execute(sa.text("INSERT INTO directus_settings (id) VALUES (1)"))
    with db.read() as conn:
        query = sa.select(*(directus_settings.c[name] for name in DIRECTUS_MCP_DEFAULTS))
        row = conn.execute(query).mappings().one()
    assert dict(row) == DIRECTUS_MCP_DEFAULTS
