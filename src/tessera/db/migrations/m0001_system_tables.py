"""Baseline: every system table Tessera knows, created where missing."""

from alembic.operations import Operations

from tessera.db.system_tables import metadata

NAME = "Create system tables"


def upgrade(op: Operations) -> None:
    metadata.create_all(op.get_bind(), checkfirst=True)
