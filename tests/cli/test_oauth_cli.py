"""``tessera oauth clients list|show|revoke`` and ``tessera oauth cleanup``."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from tessera.db.system_tables import directus_activity, directus_oauth_clients
from tessera.services.oauth.clients import register


def _client(tessera, name="Claude"):
    body = {"client_name": name, "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]}
    with tessera.db.write() as conn:
        return register(conn, body, tessera.settings)["client_id"]


def test_list_show_and_revoke(tessera):
    client_id = _client(tessera)
    listed = tessera.ok("oauth", "clients", "list")
    assert client_id in listed
    assert "Claude" in listed
    shown = json.loads(tessera.ok("oauth", "clients", "show", client_id))
    assert shown["client_name"] == "Claude"
    assert shown["grants"] == 0
    assert "client_secret_hash" not in shown
    result = tessera("oauth", "clients", "revoke", client_id)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"Revoked {client_id}"
    assert json.loads(tessera.ok("oauth", "clients", "list", "--json")) == []
    with tessera.db.read() as conn:
        origin = conn.execute(
            sa.select(directus_activity.c.origin).where(directus_activity.c.item == client_id)
        ).scalar()
    assert origin == "cli"


def test_unknown_clients_fail_with_one_line(tessera):
    assert tessera.fails("oauth", "clients", "show", "nope") == "Error: No OAuth client nope"
    assert tessera.fails("oauth", "clients", "revoke", "nope") == "Error: No OAuth client nope"


def test_cleanup_removes_clients_nobody_used(tessera):
    client_id = _client(tessera)
    two_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with tessera.db.write() as conn:
        conn.execute(sa.update(directus_oauth_clients).values(date_created=two_days_ago))
    result = tessera("oauth", "cleanup")
    assert result.exit_code == 0, result.output
    assert "1 clients" in result.stderr
    assert client_id not in tessera.ok("oauth", "clients", "list")
