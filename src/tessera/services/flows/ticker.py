"""Schedule triggers: a ticker that runs each flow whose cron came due, once per tick.

Every instance runs a ticker (started with the app). Each second it looks at the active
schedule flows (:mod:`.active`, rebuilt only when flows change) and, for each whose cron
fired since its previous tick, claims that fire time by inserting ``(flow, tick)`` into
``tessera_flow_ticks``: the primary key lets one insert win, on SQLite and PostgreSQL
alike, and only the instance that won runs the flow — so however many instances share the
database, each tick runs once. The run goes to the background, with no accountability and
``$trigger`` null, as in Directus. A ticker that fell behind (a paused process) runs a
missed flow once, at its latest fire time, not once per tick missed.

The clock is injectable and :meth:`Ticker.tick` takes the time, so tests tick by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import time

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from tessera.db.system_tables import tessera_flow_ticks
from tessera.services.flows.active import ActiveFlows
from tessera.services.flows.background import BackgroundRuns
from tessera.services.flows.runner import Clock, FlowRunner
from tessera.services.flows.schedule import last_fire

log = logging.getLogger("tessera.flows")


class Ticker:
    """One instance's schedule ticker."""

    def __init__(
        self,
        runner: FlowRunner,
        background: BackgroundRuns,
        active: ActiveFlows,
        clock: Clock | None = None,
    ) -> None:
        self.runner = runner
        self.background = background
        self.active = active
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        #: The time of the previous tick; nothing fires at or before it.
        self.last: dt.datetime | None = None
        #: Whether :meth:`run` is ticking (from the app's start until its shutdown).
        self.running = False

    def tick(self, now: dt.datetime | None = None) -> list[str]:
        """Run the schedule flows due since the previous tick that no other instance
        claimed; the ids of those this instance started. The first tick only starts the
        clock."""
        now = (now or self.clock()).replace(microsecond=0)
        last, self.last = self.last, now
        if last is None or now <= last:
            return []
        db = self.runner.db
        with db.read() as conn:
            schedules = self.active.get(conn).schedules
        started = []
        for flow in schedules:
            cron = str(flow.options.get("cron") or "")
            try:
                due = last_fire(cron, now)
            except (ValueError, KeyError) as error:
                log.warning('Flow "%s": cron "%s" does not parse: %s', flow.id, cron, error)
                continue
            if due <= last:
                continue
            with db.write() as conn:
                if not claim(conn, flow.id, due):
                    continue
            self.background.start(functools.partial(self.runner.run, flow, None, None))
            started.append(flow.id)
        return started

    async def run(self) -> None:
        """Tick at the start of every second until cancelled."""
        self.running = True
        try:
            while True:
                await asyncio.sleep(1 - time.time() % 1)
                try:
                    await asyncio.to_thread(self.tick)
                except Exception:
                    log.exception("The schedule ticker failed; it goes on next second")
        finally:
            self.running = False


def claim(conn: Connection, flow_id: str, tick: dt.datetime) -> bool:
    """Whether this transaction is the first to claim ``tick`` of the flow; the flow's
    older claims go, so the table holds one row per schedule flow."""
    table = tessera_flow_ticks
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(flow=flow_id, tick=tick).on_conflict_do_nothing()
    if conn.execute(statement.returning(table.c.flow)).first() is None:
        return False
    conn.execute(sa.delete(table).where(table.c.flow == flow_id, table.c.tick < tick))
    return True
