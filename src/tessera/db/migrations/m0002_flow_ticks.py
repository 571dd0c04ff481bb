"""The table where instances claim schedule ticks (see services/flows/ticker.py)."""

from alembic.operations import Operations

from tessera.db.system_tables import tessera_flow_ticks

NAME = "Create tessera_flow_ticks"


def upgrade(op: Operations) -> None:
    tessera_flow_ticks.create(op.get_bind(), checkfirst=True)
