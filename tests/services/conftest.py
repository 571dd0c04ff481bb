"""Fixtures for the schema services: a context on the test database, and a picture of the
whole schema to prove that a failed change left nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.db import Database
from tessera.db.system_tables import directus_collections, directus_fields, directus_relations
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext


@pytest.fixture
def context(db: Database) -> SchemaContext:
    return SchemaContext(db, SchemaCache(db))


@pytest.fixture
def collections(context: SchemaContext) -> CollectionsService:
    return CollectionsService(context)


@pytest.fixture
def fields(context: SchemaContext) -> FieldsService:
    return FieldsService(context)


@pytest.fixture
def relations(context: SchemaContext) -> RelationsService:
    return RelationsService(context)


def schema_state(db: Database) -> dict[str, Any]:
    """Every table with its columns, indexes, keys and rows, and every metadata row."""
    state: dict[str, Any] = {}
    with db.read() as conn:
        inspector = sa.inspect(conn)
        state["tables"] = sorted(inspector.get_table_names())
        for table in state["tables"]:
            if table.startswith(("directus_", "tessera_")):
                continue
            columns = [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ]
            indexes = sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            )
            foreign = sorted(
                (
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                    (f.get("options") or {}).get("ondelete"),
                )
                for f in inspector.get_foreign_keys(table)
            )
            rows = sorted(
                (tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{table}"'))), key=repr
            )
            state[table] = {"columns": columns, "indexes": indexes, "fks": foreign, "rows": rows}
        for meta in (directus_collections, directus_fields, directus_relations):
            state[meta.name] = sorted((tuple(r) for r in conn.execute(sa.select(meta))), key=repr)
    return state


@pytest.fixture
def state(db: Database) -> Callable[[], dict[str, Any]]:
    """Call it before and after a change that must fail; the two results must be equal."""
    return lambda: schema_state(db)
