"""Saving flows in one call, and reading their run log back, for the flows tests."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tessera.config import Settings, load_settings
from tessera.db import Database
from tessera.db.system_tables import directus_activity, directus_revisions
from tessera.services.items import ItemsService


def flow_settings(**overrides: Any) -> Settings:
    return load_settings(env_file=None, secret="s", db_filename="unused.db", **overrides)


def save_flow(
    items: ItemsService,
    *operations: dict[str, Any],
    trigger: str = "webhook",
    options: dict[str, Any] | None = None,
    accountability: str | None = "all",
    name: str = "flow",
    status: str = "active",
) -> str:
    """Save a flow and its operations through ``items``; its id. The first operation listed
    runs first; ``resolve`` and ``reject`` name other operations by key."""
    flow_id = items.create_one(
        "directus_flows",
        {
            "name": name,
            "trigger": trigger,
            "status": status,
            "options": options or {},
            "accountability": accountability,
        },
    )
    ids = {op["key"]: str(uuid.uuid4()) for op in operations}
    rows = [
        {
            "id": ids[op["key"]],
            "key": op["key"],
            "type": op["type"],
            "options": op.get("options", {}),
            "resolve": ids.get(op.get("resolve", "")),
            "reject": ids.get(op.get("reject", "")),
            "position_x": position * 20,
            "position_y": 1,
            "flow": flow_id,
        }
        for position, op in enumerate(operations)
    ]
    if rows:  # the last first, so that every link points at an operation that exists
        items.create_many("directus_operations", list(reversed(rows)))
        items.update_one("directus_flows", flow_id, {"operation": rows[0]["id"]})
    return str(flow_id)


def runs(db: Database, flow_id: str) -> list[dict[str, Any]]:
    """The flow's run activity, oldest first, each with its revision's data (or None)."""
    act, rev = directus_activity, directus_revisions
    with db.read() as conn:
        rows = conn.execute(
            sa.select(act, rev.c.data.label("revision"))
            .outerjoin(rev, rev.c.activity == act.c.id)
            .where(act.c.action == "run", act.c.item == flow_id)
            .order_by(act.c.id)
        )
        return [dict(row._mapping) for row in rows]
