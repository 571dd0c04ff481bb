"""A flow as the runner walks it: the flow row and its operations linked into a tree.

``directus_flows.operation`` names the first operation; each operation names the next one on
success (``resolve``) and on failure (``reject``). Saving refuses links that leave the flow
or loop (see :mod:`tessera.services.flows.rules`); a database written by hand may still
hold them, so building the tree stops at a link it has already followed or cannot find.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.db.system_tables import directus_flows, directus_operations

#: The trigger kinds Directus knows.
TRIGGERS = ("event", "webhook", "schedule", "operation", "manual")
#: What a flow's ``accountability`` may be: activity and a revision, activity only, nothing.
ACCOUNTABILITY = ("all", "activity", None)


@dataclass(frozen=True)
class Operation:
    id: str
    key: str
    type: str
    options: dict[str, Any]
    resolve: Operation | None = None
    reject: Operation | None = None


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    status: str
    trigger: str | None
    accountability: str | None
    options: dict[str, Any] = field(default_factory=dict)
    operation: Operation | None = None


def load_flow(conn: Connection, flow_id: str) -> Flow | None:
    """The flow with its operations, or None when there is no such flow."""
    row = conn.execute(sa.select(directus_flows).where(directus_flows.c.id == flow_id)).first()
    if row is None:
        return None
    table = directus_operations
    rows = conn.execute(sa.select(table).where(table.c.flow == flow_id)).mappings().all()
    by_id = {str(op["id"]): op for op in rows}
    first = _tree(by_id, str(row.operation) if row.operation else None, set())
    return Flow(
        id=str(row.id),
        name=row.name,
        status=row.status,
        trigger=row.trigger,
        accountability=row.accountability,
        options=_object(row.options),
        operation=first,
    )


def _tree(rows: Mapping[str, Any], key: str | None, seen: set[str]) -> Operation | None:
    if key is None or key in seen or key not in rows:
        return None
    seen.add(key)
    row = rows[key]
    resolve = _tree(rows, str(row["resolve"]) if row["resolve"] else None, seen)
    reject = _tree(rows, str(row["reject"]) if row["reject"] else None, seen)
    return Operation(
        id=key,
        key=row["key"],
        type=row["type"],
        options=_object(row["options"]),
        resolve=resolve,
        reject=reject,
    )


def _object(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}
