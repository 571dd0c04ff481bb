"""The MCP OAuth tables (clients, consents, codes, grants), as Directus 12 has them.

``directus_sessions.oauth_client`` is in the baseline already. It has no foreign key to
the clients (adding one to an existing SQLite table means rebuilding it): removing a
client removes its sessions in the same transaction (``services/oauth/clients.py``).
"""

from alembic.operations import Operations

from tessera.db.system_tables import (
    directus_oauth_clients,
    directus_oauth_codes,
    directus_oauth_consents,
    directus_oauth_tokens,
)

NAME = "Create the MCP OAuth tables"


def upgrade(op: Operations) -> None:
    bind = op.get_bind()
    for table in (
        directus_oauth_clients,
        directus_oauth_consents,
        directus_oauth_codes,
        directus_oauth_tokens,
    ):
        table.create(bind, checkfirst=True)
