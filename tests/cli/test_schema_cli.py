"""`tessera schema snapshot` and `tessera schema apply`, through the command line."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from tessera.cli.schema import schema
from tessera.db import Database
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.schema_change import SchemaContext
from tessera.services.snapshot import take_snapshot


@pytest.fixture
def point_at(monkeypatch, tmp_path, databases):
    """Point the CLI's configuration at a database URL."""
    monkeypatch.chdir(tmp_path)

    def _point(url: str) -> None:
        for key in ("DB_CLIENT", "DB_FILENAME", "DB_CONNECTION_STRING"):
            monkeypatch.delenv(key, raising=False)
        for key, value in databases.settings_env(url).items():
            monkeypatch.setenv(key, value)

    return _point


def make_source(url: str) -> None:
    db = Database(url)
    CollectionsService(SchemaContext(db, SchemaCache(db))).create(
        {
            "collection": "notes",
            "schema": {},
            "meta": {"icon": "note"},
            "fields": [{"field": "text", "type": "text"}],
        }
    )
    db.dispose()


def test_snapshot_then_apply_to_another_database(databases, point_at, tmp_path):
    source_url, target_url = databases.migrated_url(), databases.empty_url()
    make_source(source_url)
    runner = CliRunner()

    point_at(source_url)
    result = runner.invoke(schema, ["snapshot", "--format", "json", "model.json"])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "model.json").read_text())
    assert [c["collection"] for c in document["collections"]] == ["notes"]

    point_at(target_url)
    result = runner.invoke(schema, ["apply", "model.json", "--yes"])
    assert result.exit_code == 0, result.output
    assert "create" in result.output
    assert "notes" in result.output

    target = Database(target_url)
    snapshot = take_snapshot(SchemaContext(target, SchemaCache(target)))
    assert [c["collection"] for c in snapshot["collections"]] == ["notes"]
    assert {f["field"] for f in snapshot["fields"]} == {"id", "text"}

    again = runner.invoke(schema, ["apply", "model.json", "--yes"])
    assert again.exit_code == 0
    assert "Nothing to do" in again.output


def test_snapshot_to_stdout_is_yaml(databases, point_at):
    url = databases.migrated_url()
    make_source(url)
    point_at(url)
    result = CliRunner().invoke(schema, ["snapshot"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["collections"][0]["collection"] == "notes"


def test_apply_asks_first_and_a_no_changes_nothing(databases, point_at, tmp_path):
    source_url, target_url = databases.migrated_url(), databases.migrated_url()
    make_source(source_url)
    point_at(source_url)
    runner = CliRunner()
    assert runner.invoke(schema, ["snapshot", "model.yaml"]).exit_code == 0

    point_at(target_url)
    result = runner.invoke(schema, ["apply", "model.yaml"], input="n\n")
    assert result.exit_code == 1
    assert "Apply 1 changes?" in result.output
    dry = runner.invoke(schema, ["apply", "model.yaml", "--dry-run"])
    assert dry.exit_code == 0
    target = Database(target_url)
    assert take_snapshot(SchemaContext(target, SchemaCache(target)))["collections"] == []


def test_apply_refuses_a_file_that_is_not_a_snapshot(databases, point_at, tmp_path):
    point_at(databases.migrated_url())
    (tmp_path / "bad.yaml").write_text("collections: [\n")
    (tmp_path / "wrong.json").write_text(json.dumps({"version": 7}))
    runner = CliRunner()
    bad = runner.invoke(schema, ["apply", "bad.yaml", "--yes"])
    assert bad.exit_code == 1
    assert "not valid JSON or YAML" in bad.output
    wrong = runner.invoke(schema, ["apply", "wrong.json", "--yes"])
    assert wrong.exit_code == 1
    assert '"version" must be 1' in wrong.output
