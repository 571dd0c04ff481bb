"""Event triggers: filter hooks inside a write, action hooks after its commit.

The items service fires Directus's events for every item it creates, updates or deletes,
at every level of a call (nested items too), whichever door the call came through:
``items.<action>`` and ``<collection>.items.<action>`` for a user collection,
``<name without directus_>.<action>`` for a system collection. Event flows listen as
:mod:`.active` says.

- **filter** flows run when the write reaches the item, before anything of it is written
  (before permissions, presets and validation, as in Directus), inside the call's
  transaction and blocking it. ``$trigger`` is ``{payload, event, collection}`` (and
  ``keys`` for an update; a delete's payload is its keys). When the flow's ``return``
  option names a value, that value replaces the payload for the next flow and the write;
  a run that ends rejected cancels the whole call with the flow's error, and nothing is
  written. The flow's own item operations join the transaction, so they see what the call
  wrote so far and are undone with it; its run log is written after the transaction, kept
  even when it rolled back.
- **action** flows run after the commit, in the background: the caller's answer never
  waits for them and never sees their failures (they are logged). ``$trigger`` is
  ``{event, payload, key, collection}`` for a create, ``{event, payload, keys,
  collection}`` for an update — the payload as the filters and presets left it — and for a
  delete, whose payload is its keys (as a running Directus 12.4 shows them).

Events that are not an item's write (``auth.login``, ``auth.jwt``, ``server.start`` …,
see :mod:`.scopes`) go through :meth:`EventFlows.filter_event` and
:meth:`EventFlows.action_event` by name. A filter fired outside a write transaction runs
its flows on their own: their item operations write in transactions of their own and
their run logs are written at once. ``$trigger`` is ``{payload, event, **meta}`` for a
filter and ``{event, **meta}`` for an action, as Directus's emitter hands them to flows.

Flows write items without events unless their operation sets ``emitEvents``; with it, a
flow whose writes fire flows goes at most ``FLOWS_MAX_DEPTH`` deep, like flows that
trigger flows — where Directus loops until it runs out of memory.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.services.flows.active import ActiveFlows, event_names
from tessera.services.flows.background import BackgroundRuns
from tessera.services.flows.errors import FlowDepthError, run_error
from tessera.services.flows.model import Flow
from tessera.services.flows.runner import FlowRunner

log = logging.getLogger("tessera.flows")

Chain = tuple[str, ...]


class EventFlows:
    """The event triggers of one process: which flows listen, and running them."""

    def __init__(
        self,
        runner: FlowRunner,
        background: BackgroundRuns,
        active: ActiveFlows | None = None,
    ) -> None:
        self.runner = runner
        self.background = background
        self.active = active or ActiveFlows()
        runner.events = self

    def emitter(self, chain: Chain = ()) -> Emitter:
        """What an items service fires its events through, for a write ``chain`` deep in
        flows (none for a door's own write)."""
        return Emitter(self, chain)

    def filter(
        self,
        conn: Connection,
        who: Accountability | None,
        chain: Chain,
        collection: str,
        action: str,
        payload: Any,
        meta: dict[str, Any],
    ) -> Any:
        """The payload after the filter flows of the event, in the write transaction ``conn``."""
        for name in event_names(collection, action):
            payload = self.filter_event(name, payload, meta, who, conn=conn, chain=chain)
        return payload

    def announce(
        self,
        conn: Connection,
        who: Accountability | None,
        chain: Chain,
        collection: str,
        action: str,
        meta: Callable[[], dict[str, Any]],
    ) -> Callable[[], None] | None:
        """Starting the action flows of the event, for after the commit; None when none
        listens (``meta`` is only built when one does)."""
        index = self.active.get(conn)
        listening = [
            (name, flow)
            for name in event_names(collection, action)
            for flow in index.actions.get(name, ())
        ]
        if not listening:
            return None
        built = meta()

        def fire() -> None:
            for name, flow in listening:
                trigger = {"event": name, **built}
                self.background.start(functools.partial(self._act, flow, trigger, who, chain))

        return fire

    def filter_event(
        self,
        event: str,
        payload: Any,
        meta: dict[str, Any],
        who: Accountability | None,
        *,
        conn: Connection | None = None,
        chain: Chain = (),
    ) -> Any:
        """The payload after the filter flows of ``event``: in the write transaction
        ``conn`` when given (it must hold a :class:`~.pending.Pending`), else on its own."""
        for flow in self._listening(conn, "filter", event):
            self._deep_enough(flow, chain)
            trigger = {"payload": payload, "event": event, **meta}
            result = self.runner.run(flow, trigger, who, chain=chain, conn=conn)
            if result.status == "reject":
                raise run_error(result.error, result.data["$last"])
            returned = result.returned()
            if returned is not None:
                payload = returned
        return payload

    def action_event(
        self,
        event: str,
        meta: dict[str, Any],
        who: Accountability | None,
        chain: Chain = (),
    ) -> None:
        """Start the action flows of ``event`` in the background, fired outside a write."""
        for flow in self._listening(None, "action", event):
            trigger = {"event": event, **meta}
            self.background.start(functools.partial(self._act, flow, trigger, who, chain))

    def has_flows(self, kind: str, event: str) -> bool:
        """Whether an active ``filter`` or ``action`` flow listens to ``event``."""
        return bool(self._listening(None, kind, event))

    def _listening(self, conn: Connection | None, kind: str, event: str) -> tuple[Flow, ...]:
        """The active ``filter`` or ``action`` flows of ``event``."""
        if conn is None:
            with self.runner.db.read() as reading:
                index = self.active.get(reading)
        else:
            index = self.active.get(conn)
        return (index.filters if kind == "filter" else index.actions).get(event, ())

    def _act(self, flow: Flow, trigger: Any, who: Accountability | None, chain: Chain) -> None:
        try:
            self._deep_enough(flow, chain)
        except FlowDepthError as error:
            log.warning('Flow "%s" not run: %s', flow.id, error.message)
            return
        self.runner.run(flow, trigger, who, chain=chain)

    def _deep_enough(self, flow: Flow, chain: Chain) -> None:
        if len(chain) >= self.runner.max_depth:
            raise FlowDepthError((*chain, flow.name), self.runner.max_depth)


@dataclass(frozen=True)
class Emitter:
    """The process's event flows, as one items service fires them: ``chain`` holds the flows
    its writes are made by (empty for a door's own write)."""

    flows: EventFlows
    chain: Chain = ()
