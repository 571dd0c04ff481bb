"""Event flows of the running application: ``server.start`` and ``server.stop`` from its
lifespan, ``auth.login`` and ``auth.jwt`` through ``POST /auth/login``."""

from __future__ import annotations

import jwt
import pytest
import sqlalchemy as sa

from asgi_client import serving
from flow_helpers import runs, save_flow
from tessera.access.passwords import hash_password
from tessera.app import create_app
from tessera.db.system_tables import directus_users
from tessera.schema.overview import SchemaCache
from tessera.services.bootstrap import bootstrap
from tessera.services.items import ItemsService

pytestmark = pytest.mark.anyio
NOTE = {"key": "note", "type": "log", "options": {"message": "{{ $trigger.event }}"}}


def event_flow(items, *operations, kind, scope, **options):
    options = {"type": kind, "scope": [scope], **options}
    return save_flow(items, *operations, trigger="event", options=options, name=scope)


@pytest.fixture
def items(blog_db, settings) -> ItemsService:
    bootstrap(blog_db, settings)
    with blog_db.write() as conn:
        conn.execute(sa.update(directus_users).values(password=hash_password("pw-admin")))
    return ItemsService(blog_db, SchemaCache(blog_db), settings, None)


async def test_server_start_and_stop_flows_run_with_the_app(items, blog_db, settings):
    start = event_flow(items, NOTE, kind="action", scope="server.start")
    stop = event_flow(items, NOTE, kind="action", scope="server.stop")
    app = create_app(settings, blog_db)
    async with serving(app) as client:
        await client.get("/server/health")
        app.state.flows.background.wait(10)
        assert len(runs(blog_db, start)) == 1
        assert runs(blog_db, stop) == []
    [started] = runs(blog_db, start)
    [stopped] = runs(blog_db, stop)  # shutting down waited for it
    assert started["revision"]["data"]["$trigger"] == {"event": "server.start"}
    assert stopped["revision"]["data"]["$trigger"] == {"event": "server.stop"}
    assert stopped["revision"]["data"]["$accountability"] is None
    assert (stopped["user"], stopped["ip"]) == (None, None)


async def test_signing_in_through_rest_runs_the_auth_flows(items, blog_db, settings):
    claims = event_flow(
        items,
        {"key": "claims", "type": "transform", "options": {"json": {"tenant": "blue"}}},
        kind="filter",
        scope="auth.jwt",
        **{"return": "$last"},
    )
    seen = event_flow(items, NOTE, kind="action", scope="auth.login")
    app = create_app(settings, blog_db)
    async with serving(app) as client:
        answer = await client.post(
            "/auth/login",
            json={"email": settings.admin_email, "password": "pw-admin"},
            headers={"User-Agent": "rest-test"},
        )
        refused = await client.post(
            "/auth/login", json={"email": settings.admin_email, "password": "wrong"}
        )
        app.state.flows.background.wait(10)
    assert answer.status_code == 200
    assert refused.status_code == 401
    token = answer.json()["data"]["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["tenant"] == "blue"
    [signed] = runs(blog_db, claims)
    assert signed["revision"]["data"]["$trigger"]["type"] == "login"
    assert signed["user_agent"] == "rest-test"
    statuses = [run["revision"]["data"]["$trigger"]["status"] for run in runs(blog_db, seen)]
    assert sorted(statuses) == ["fail", "success"]
