"""Schedule triggers, ticked by hand with the time given: a cron that is due runs once per
tick however many instances tick on the database; one that is not due does not run."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from flow_helpers import runs, save_flow
from tessera.db.system_tables import tessera_flow_ticks
from tessera.services.flows.service import FlowsService

START = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


@pytest.fixture
def instances(make_runner):
    """Two instances' flows services on one database, each with its own ticker."""
    made = [FlowsService(make_runner()), FlowsService(make_runner())]
    yield made
    for service in made:
        service.background.wait(10)


def scheduled(items, cron, **kwargs):
    operation = {"key": "note", "type": "log", "options": {"message": "tick"}}
    return save_flow(items, operation, trigger="schedule", options={"cron": cron}, **kwargs)


def tick_all(instances, when, *, reverse=False):
    order = list(reversed(instances)) if reverse else instances
    started = [service.ticker.tick(when) for service in order]
    for service in instances:
        service.background.wait(10)
    return started


def test_each_tick_runs_once_across_two_tickers(items, instances, blog_db):
    flow = scheduled(items, "*/5 * * * * *")
    assert tick_all(instances, at(0)) == [[], []]  # the first tick only starts the clock
    assert tick_all(instances, at(3)) == [[], []]  # not due
    assert tick_all(instances, at(5)) == [[flow], []]
    assert tick_all(instances, at(10), reverse=True) == [[flow], []]
    assert tick_all(instances, at(11)) == [[], []]
    assert len(runs(blog_db, flow)) == 2
    with blog_db.read() as conn:  # older claims go
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(tessera_flow_ticks)).scalar() == 1
        )


def test_a_five_field_cron_is_due_on_its_minute_only(items, instances, blog_db):
    flow = scheduled(items, "0 * * * *")
    one = instances[0].ticker
    one.tick(at(0))
    assert one.tick(at(30 * 60)) == []
    assert one.tick(at(59 * 60 + 59)) == []
    assert one.tick(at(60 * 60)) == [flow]
    assert one.tick(at(60 * 60 + 1)) == []


def test_a_ticker_that_fell_behind_runs_a_missed_flow_once(items, instances, blog_db):
    flow = scheduled(items, "* * * * * *")
    one = instances[0].ticker
    one.tick(at(0))
    assert one.tick(at(3600)) == [flow]
    instances[0].background.wait(10)
    assert len(runs(blog_db, flow)) == 1


def test_a_schedule_run_has_no_trigger_and_no_accountability(items, instances, blog_db):
    flow = scheduled(items, "* * * * * *")
    tick_all(instances, at(0))
    tick_all(instances, at(1))
    [run] = runs(blog_db, flow)
    assert run["user"] is None
    assert run["revision"]["data"]["$trigger"] is None
    assert run["revision"]["data"]["$accountability"] is None


def test_only_active_schedules_run_and_changes_are_seen_at_the_next_tick(items, instances, blog_db):
    flow = scheduled(items, "* * * * * *", status="inactive")
    one = instances[0].ticker
    one.tick(at(0))
    assert one.tick(at(1)) == []
    items.update_one("directus_flows", flow, {"status": "active"})
    assert one.tick(at(2)) == [flow]
    items.update_one("directus_flows", flow, {"options": {"cron": "0 0 * * * *"}})
    assert one.tick(at(3)) == []
