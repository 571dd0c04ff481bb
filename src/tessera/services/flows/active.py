"""The active event and schedule flows of the database, loaded once per change of flows.

Every write asks which flows listen to its events, and the ticker asks which flows run on
a schedule, so the answer is kept per process and rebuilt only when the
:data:`~tessera.db.counters.FLOWS` counter moved: saving a flow or an operation bumps it in
its transaction (see :mod:`tessera.services.item_writes`). Reading the counter is free in
a write transaction, which reads every counter at once.

An event flow listens to the names Directus's flow manager registers: its ``scope`` list,
where ``items.create``, ``items.update`` and ``items.delete`` stand for that action on each
of its ``collections`` — ``<collection>.items.<action>`` for a user collection,
``<name without directus_>.<action>`` for a system collection (``users.create``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.db.counters import FLOWS, read_counter
from tessera.db.system_tables import directus_flows
from tessera.services.flows.model import Flow, load_flow

#: The scopes that stand for one event per collection.
ITEM_SCOPES = ("items.create", "items.update", "items.delete")
SYSTEM_PREFIX = "directus_"


@dataclass(frozen=True)
class ActiveIndex:
    """Active event flows by the event names they listen to, and active schedule flows."""

    filters: Mapping[str, tuple[Flow, ...]] = field(default_factory=dict)
    actions: Mapping[str, tuple[Flow, ...]] = field(default_factory=dict)
    schedules: tuple[Flow, ...] = ()


class ActiveFlows:
    """One process's :class:`ActiveIndex`, rebuilt when flows change in any process."""

    def __init__(self) -> None:
        self._version = -1
        self._index = ActiveIndex()
        self._lock = threading.Lock()

    def get(self, conn: Connection) -> ActiveIndex:
        version = read_counter(conn, FLOWS)
        if version == self._version:
            return self._index
        index = load_index(conn)
        with self._lock:
            self._version, self._index = version, index
        return index


def load_index(conn: Connection) -> ActiveIndex:
    table = directus_flows
    rows = conn.execute(
        sa.select(table.c.id).where(
            table.c.status == "active", table.c.trigger.in_(("event", "schedule"))
        )
    )
    filters: dict[str, list[Flow]] = {}
    actions: dict[str, list[Flow]] = {}
    schedules: list[Flow] = []
    for flow_id in sorted(str(row.id) for row in rows):
        flow = load_flow(conn, flow_id)
        if flow is None:
            continue
        if flow.trigger == "schedule":
            schedules.append(flow)
            continue
        kind = flow.options.get("type")
        listeners = filters if kind == "filter" else actions if kind == "action" else None
        if listeners is None:
            continue
        for name in listened(flow.options):
            listeners.setdefault(name, []).append(flow)
    return ActiveIndex(
        {name: tuple(found) for name, found in filters.items()},
        {name: tuple(found) for name, found in actions.items()},
        tuple(schedules),
    )


def listened(options: Mapping[str, Any]) -> list[str]:
    """The event names an event flow's ``scope`` and ``collections`` stand for."""
    names: list[str] = []
    for scope in as_names(options.get("scope")):
        if scope not in ITEM_SCOPES:
            names.append(scope)
            continue
        action = scope.split(".")[1]
        for collection in as_names(options.get("collections")):
            if collection.startswith(SYSTEM_PREFIX):
                names.append(f"{collection[len(SYSTEM_PREFIX) :]}.{action}")
            else:
                names.append(f"{collection}.{scope}")
    return names


def event_names(collection: str, action: str) -> tuple[str, ...]:
    """The names a write of ``action`` on ``collection`` fires, as Directus's items service
    fires them."""
    if collection.startswith(SYSTEM_PREFIX):
        return (f"{collection[len(SYSTEM_PREFIX) :]}.{action}",)
    return (f"items.{action}", f"{collection}.items.{action}")


def as_names(value: Any) -> list[str]:
    """Directus's ``toArray``: a comma-separated string or a list."""
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    if isinstance(value, list):
        return [name for name in value if isinstance(name, str)]
    return []
