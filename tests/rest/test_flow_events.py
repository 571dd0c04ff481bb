"""Event flows fired by writes through REST: a filter hook's rejection is the answer, with
nothing written; an action hook runs after the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from asgi_client import serving
from flow_helpers import runs, save_flow
from tessera.app import create_app
from tessera.db.system_tables import directus_users
from tessera.schema.overview import SchemaCache
from tessera.services.bootstrap import bootstrap
from tessera.services.items import ItemsService

pytestmark = pytest.mark.anyio
TOKEN = "admin-static-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def setup(blog_db, settings) -> AsyncIterator[SimpleNamespace]:
    bootstrap(blog_db, settings)
    with blog_db.write() as conn:
        conn.execute(sa.update(directus_users).values(token=TOKEN))
    app = create_app(settings, blog_db)
    items = ItemsService(blog_db, SchemaCache(blog_db), settings, None)
    async with serving(app) as client:
        yield SimpleNamespace(client=client, app=app, items=items, db=blog_db)


def count(db, table):
    with db.read() as conn:
        return conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar()


async def test_a_rejecting_filter_hook_is_the_answer_and_nothing_is_written(setup):
    refuse = {"code": "CLOSED", "status": 423, "message": "Articles are closed"}
    save_flow(
        setup.items,
        {"key": "no", "type": "throw-error", "options": refuse},
        trigger="event",
        options={"type": "filter", "scope": ["items.create"], "collections": ["articles"]},
    )
    before = count(setup.db, "articles")
    answer = await setup.client.post("/items/articles", headers=AUTH, json={"title": "x"})
    assert answer.status_code == 423
    assert answer.json()["errors"] == [
        {"message": "Articles are closed", "extensions": {"code": "CLOSED"}}
    ]
    assert count(setup.db, "articles") == before


async def test_a_filter_hook_changes_what_rest_writes(setup):
    save_flow(
        setup.items,
        {"key": "set", "type": "transform", "options": {"json": {"title": "from the flow"}}},
        trigger="event",
        options={
            "type": "filter",
            "scope": ["items.update"],
            "collections": ["articles"],
            "return": "$last",
        },
    )
    answer = await setup.client.patch("/items/articles/1", headers=AUTH, json={"title": "mine"})
    assert answer.status_code == 200
    assert answer.json()["data"]["title"] == "from the flow"


async def test_an_action_hook_runs_for_a_rest_write(setup):
    flow = save_flow(
        setup.items,
        {"key": "note", "type": "log", "options": {"message": "{{ $trigger.key }}"}},
        trigger="event",
        options={"type": "action", "scope": ["items.create"], "collections": ["articles"]},
    )
    answer = await setup.client.post("/items/articles", headers=AUTH, json={"title": "x"})
    assert answer.status_code == 200
    setup.app.state.flows.background.wait(10)
    [run] = runs(setup.db, flow)
    assert run["revision"]["data"]["$trigger"]["key"] == answer.json()["data"]["id"]
