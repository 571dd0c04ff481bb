"""The audit trail: ``directus_activity`` rows, and ``directus_revisions`` of what changed.

A collection's ``accountability`` decides how much is kept, as in Directus: ``all``
records the activity and a revision (the item after the change, and the delta that
was written); ``activity`` only the activity; ``None`` nothing. Deletions get an
activity row and no revision. A flow's run is recorded the same way by the flow's own
``accountability``; its revision holds the run's steps and data chain. Every recording
happens in the caller's transaction, so an undone change leaves no trace either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.db.system_tables import directus_activity, directus_revisions

Action = Literal["create", "update", "delete", "login", "run"]
Tracking = Literal["all", "activity"] | None


@dataclass(frozen=True)
class Revision:
    """One item's change: its key, the item as it is afterwards, and what was written."""

    item: str | int
    data: dict[str, Any] | None = None
    delta: dict[str, Any] | None = None


def record(
    conn: Connection,
    accountability: Accountability | None,
    *,
    action: Action,
    collection: str,
    changes: Sequence[Revision],
    tracking: Tracking = "all",
) -> list[int]:
    """Write the activity (and, when tracked, the revisions) of ``changes``; return their ids."""
    if tracking is None or not changes:
        return []
    who = accountability or Accountability()
    rows = [
        {
            "action": action,
            "user": who.user,
            "ip": who.ip,
            "user_agent": who.user_agent,
            "origin": who.origin,
            "collection": collection,
            "item": str(change.item),
        }
        for change in changes
    ]
    ids = list(
        conn.execute(
            sa.insert(directus_activity).returning(
                directus_activity.c.id, sort_by_parameter_order=True
            ),
            rows,
        ).scalars()
    )
    if tracking == "all" and action in ("create", "update", "run"):
        conn.execute(
            sa.insert(directus_revisions),
            [
                {
                    "activity": activity_id,
                    "collection": collection,
                    "item": str(change.item),
                    "data": change.data,
                    "delta": change.delta,
                }
                for activity_id, change in zip(ids, changes, strict=True)
            ],
        )
    return ids
