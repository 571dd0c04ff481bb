"""Flows on the blog database: a runner, an admin, and a way to save a flow in one call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from flow_helpers import flow_settings, save_flow
from tessera.access.accountability import Accountability
from tessera.db import Database
from tessera.db.system_tables import directus_users
from tessera.schema.overview import SchemaCache
from tessera.services.flows.model import Flow
from tessera.services.flows.runner import FlowRunner
from tessera.services.items import ItemsService

ADMIN_ID = "a0000000-0000-4000-8000-000000000001"


@pytest.fixture
def admin(blog_db: Database) -> Accountability:
    """An admin user that exists (notifications and activity point at it)."""
    with blog_db.write() as conn:
        conn.execute(sa.insert(directus_users).values(id=ADMIN_ID, email="admin@example.com"))
    return Accountability(user=ADMIN_ID, admin=True, app=True, ip="10.0.0.1")


@pytest.fixture
def make_runner(blog_db: Database) -> Callable[..., FlowRunner]:
    def make(env: dict[str, str] | None = None, **settings: Any) -> FlowRunner:
        return FlowRunner(blog_db, SchemaCache(blog_db), flow_settings(**settings), env=env or {})

    return make


@pytest.fixture
def runner(make_runner: Callable[..., FlowRunner]) -> FlowRunner:
    return make_runner()


@pytest.fixture
def items(blog_db: Database, admin: Accountability) -> ItemsService:
    return ItemsService(blog_db, SchemaCache(blog_db), flow_settings(), admin)


@pytest.fixture
def make_flow(items: ItemsService, runner: FlowRunner) -> Callable[..., Flow]:
    """Save a flow (see :func:`flow_helpers.save_flow`) and load it for the runner."""

    def make(*operations: dict[str, Any], **options: Any) -> Flow:
        found = runner.load(save_flow(items, *operations, **options))
        assert found is not None
        return found

    return make


@pytest.fixture
def run_op(
    runner: FlowRunner, make_flow: Callable[..., Flow], admin: Accountability
) -> Callable[..., Any]:
    """Run a flow of one operation; ``(status, value)`` of that operation."""

    def run(
        type_: str,
        options: dict[str, Any],
        trigger: Any = None,
        accountability: Accountability | str | None = "admin",
    ) -> tuple[str, Any]:
        flow = make_flow({"key": "op", "type": type_, "options": options})
        who = admin if accountability == "admin" else accountability
        assert not isinstance(who, str)
        result = runner.run(flow, trigger, who)
        return result.steps[0]["status"], result.data["op"]

    return run
