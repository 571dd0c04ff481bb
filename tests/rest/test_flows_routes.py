"""``/flows``, ``/operations`` and ``/flows/trigger/:id`` over HTTP (checked against a running
Directus 12.4: raw answers, 204 for nothing, FORBIDDEN for a flow that cannot be triggered
that way)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from asgi_client import serving
from callers import grant, make_caller
from flow_helpers import runs, save_flow
from tessera.app import create_app
from tessera.db.system_tables import directus_users
from tessera.schema.overview import SchemaCache
from tessera.services.bootstrap import bootstrap
from tessera.services.items import ItemsService

pytestmark = pytest.mark.anyio
ADMIN_TOKEN = "admin-static-token"
MEMBER_TOKEN = "member-static-token"


@pytest.fixture
async def setup(blog_db, settings) -> AsyncIterator[SimpleNamespace]:
    """An admin, a member who may read article 1 only, and the app."""
    bootstrap(blog_db, settings)
    member = make_caller(
        blog_db, [grant("articles", "read", rule={"id": {"_eq": 1}})], email="m@example.com"
    )
    with blog_db.write() as conn:
        users = directus_users
        conn.execute(sa.update(users).where(users.c.id != member.user).values(token=ADMIN_TOKEN))
        conn.execute(sa.update(users).where(users.c.id == member.user).values(token=MEMBER_TOKEN))
        admin = conn.execute(sa.select(users.c.id).where(users.c.id != member.user)).scalar()
    app = create_app(settings, blog_db)
    items = ItemsService(blog_db, SchemaCache(blog_db), settings, None)
    async with serving(app) as client:
        yield SimpleNamespace(client=client, app=app, items=items, admin=admin, db=blog_db)


def auth(token=ADMIN_TOKEN):
    return {"Authorization": f"Bearer {token}"}


def code(response):
    return response.json()["errors"][0]["extensions"]["code"]


async def test_flows_and_operations_crud_in_the_directus_envelope(setup):
    client = setup.client
    created = await client.post(
        "/flows",
        headers=auth(),
        json={"name": "hook", "trigger": "webhook", "options": {"method": "POST"}},
    )
    assert created.status_code == 200
    flow = created.json()["data"]
    assert flow["status"] == "active"
    assert flow["accountability"] == "all"
    assert flow["user_created"] == setup.admin
    assert flow["operations"] == []
    op = await client.post(
        "/operations",
        headers=auth(),
        json={
            "flow": flow["id"],
            "key": "echo",
            "type": "transform",
            "position_x": 1,
            "position_y": 1,
            "options": {"json": {"got": "{{ $trigger.body.x }}"}},
        },
    )
    assert op.status_code == 200
    patched = await client.patch(
        f"/flows/{flow['id']}",
        headers=auth(),
        params={"fields": "operation,operations.key"},
        json={"operation": op.json()["data"]["id"]},
    )
    assert patched.json() == {
        "data": {"operation": op.json()["data"]["id"], "operations": [{"key": "echo"}]}
    }
    listed = await client.get("/operations", headers=auth(), params={"fields": "key,flow"})
    assert listed.json() == {"data": [{"key": "echo", "flow": flow["id"]}]}
    assert (await client.delete(f"/flows/{flow['id']}", headers=auth())).status_code == 204
    assert (await client.get("/operations", headers=auth())).json() == {"data": []}


async def test_a_bad_cron_is_refused_on_save(setup):
    refused = await setup.client.post(
        "/flows",
        headers=auth(),
        json={"name": "tick", "trigger": "schedule", "options": {"cron": "every minute"}},
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "message": 'Invalid payload. "options.cron" "every minute" is no cron expression: '
        "it needs 5 fields, or 6 with seconds first.",
        "extensions": {
            "code": "INVALID_PAYLOAD",
            "reason": '"options.cron" "every minute" is no cron expression: '
            "it needs 5 fields, or 6 with seconds first",
        },
    }
    assert (await setup.client.get("/flows", headers=auth())).json() == {"data": []}


async def test_flows_are_admin_only_by_default(setup):
    answer = await setup.client.get("/flows", headers=auth(MEMBER_TOKEN))
    assert answer.status_code == 403
    assert code(answer) == "FORBIDDEN"


def echo_flow(setup, **options):
    return save_flow(
        setup.items,
        {
            "key": "echo",
            "type": "transform",
            "options": {"json": {"x": "{{ $trigger.body.x }}", "q": "{{ $trigger.query.q }}"}},
        },
        trigger="webhook",
        options=options,
    )


async def test_a_webhook_answers_with_its_last_value_raw(setup):
    flow = echo_flow(setup, method="POST")
    answer = await setup.client.post(
        f"/flows/trigger/{flow}", params={"q": "hi"}, json={"x": 3}, headers=auth()
    )
    assert answer.status_code == 200
    assert answer.json() == {"x": 3, "q": "hi"}
    (logged,) = runs(setup.db, flow)
    assert logged["user"] == setup.admin
    trigger = logged["revision"]["data"]["$trigger"]
    assert trigger["path"] == f"/trigger/{flow}"
    assert trigger["method"] == "POST"
    assert trigger["headers"]["authorization"] == "--redacted--"


async def test_a_get_webhook_runs_for_the_public_and_answers_what_return_names(setup):
    flow = echo_flow(setup, **{"return": "echo.q"})
    answer = await setup.client.get(f"/flows/trigger/{flow}", params={"q": "a", "access_token": ""})
    assert answer.json() == "a"
    (logged,) = runs(setup.db, flow)
    assert logged["user"] is None


async def test_a_webhook_answers_only_to_its_method_and_while_active(setup):
    flow = echo_flow(setup, method="POST")
    assert code(await setup.client.get(f"/flows/trigger/{flow}")) == "FORBIDDEN"
    await setup.client.patch(f"/flows/{flow}", headers=auth(), json={"status": "inactive"})
    assert code(await setup.client.post(f"/flows/trigger/{flow}", json={})) == "FORBIDDEN"
    unknown = "00000000-0000-4000-8000-000000000000"
    assert code(await setup.client.post(f"/flows/trigger/{unknown}")) == "FORBIDDEN"
    assert code(await setup.client.post("/flows/trigger/not-a-uuid")) == "ROUTE_NOT_FOUND"


async def test_an_async_webhook_answers_at_once_and_runs_in_the_background(setup):
    flow = echo_flow(setup, method="POST", **{"async": True})
    answer = await setup.client.post(f"/flows/trigger/{flow}", json={"x": 1})
    assert answer.status_code == 204
    setup.app.state.flows.background.wait(timeout=10)
    (logged,) = runs(setup.db, flow)
    assert logged["revision"]["data"]["echo"] == {"x": 1, "q": None}


async def test_nothing_to_answer_is_204(setup):
    flow = save_flow(
        setup.items, {"key": "note", "type": "log", "options": {"message": "hi"}}, trigger="webhook"
    )
    assert (await setup.client.get(f"/flows/trigger/{flow}")).status_code == 204


async def test_error_on_reject_answers_with_the_errors_code_and_status(setup):
    flow = save_flow(
        setup.items,
        {
            "key": "fail",
            "type": "throw-error",
            "options": {
                "code": "MY_CODE",
                "status": "418",
                "message": "boom {{ $trigger.body.x }}",
            },
        },
        trigger="webhook",
        options={"method": "POST", "error_on_reject": True},
    )
    answer = await setup.client.post(f"/flows/trigger/{flow}", json={"x": 2})
    assert answer.status_code == 418
    assert answer.json() == {"errors": [{"message": "boom 2", "extensions": {"code": "MY_CODE"}}]}
    check = save_flow(
        setup.items,
        {
            "key": "c",
            "type": "condition",
            "options": {"filter": {"$trigger": {"body": {"x": {"_eq": 1}}}}},
        },
        trigger="webhook",
        options={"method": "POST", "error_on_reject": True},
        name="check",
    )
    answer = await setup.client.post(f"/flows/trigger/{check}", json={"x": 2})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"] == {
        "code": "FAILED_VALIDATION",
        "field": "$trigger",
        "path": ["body", "x"],
        "type": "in",
        "valid": [1, "1"],
    }


def manual_flow(setup, **options):
    return save_flow(
        setup.items,
        {
            "key": "touch",
            "type": "item-update",
            "options": {
                "collection": "{{ $trigger.body.collection }}",
                "key": "{{ $trigger.body.keys }}",
                "payload": {"status": "{{ $trigger.body.status }}"},
            },
        },
        trigger="manual",
        options={"collections": ["articles"], **options},
    )


async def test_a_manual_flow_runs_on_the_selected_items_with_the_callers_rights(setup):
    flow = manual_flow(setup)
    body = {"collection": "articles", "keys": [1, 2], "status": "archived"}
    answer = await setup.client.post(f"/flows/trigger/{flow}", json=body, headers=auth())
    assert answer.status_code == 200
    assert answer.json() == [1, 2]
    statuses = await setup.client.get(
        "/items/articles", headers=auth(), params={"fields": "status", "filter[id][_in]": "1,2"}
    )
    assert statuses.json()["data"] == [{"status": "archived"}] * 2


async def test_a_manual_flow_refuses_what_directus_refuses(setup):
    flow = manual_flow(setup)
    post = setup.client.post
    cases = [
        ({"collection": "authors", "keys": [1]}, auth()),
        ({"collection": "articles"}, auth()),
        ({"collection": "articles", "keys": []}, auth()),
        ({"collection": "articles", "keys": [1]}, {}),
        ({"collection": "articles", "keys": [1, 2]}, auth(MEMBER_TOKEN)),
    ]
    for body, headers in cases:
        answer = await post(f"/flows/trigger/{flow}", json=body, headers=headers)
        assert (answer.status_code, code(answer)) == (403, "FORBIDDEN"), body
    assert code(await setup.client.get(f"/flows/trigger/{flow}", headers=auth())) == "FORBIDDEN"


async def test_a_member_may_trigger_on_items_they_can_read(setup):
    flow = manual_flow(setup)
    body = {"collection": "articles", "keys": [1], "status": "x"}
    answer = await setup.client.post(
        f"/flows/trigger/{flow}", json=body, headers=auth(MEMBER_TOKEN)
    )
    assert answer.status_code == 200
    assert answer.json()["code"] == "FORBIDDEN"  # the run used the member's own rights
    (logged,) = runs(setup.db, flow)
    assert logged["revision"]["data"]["touch"]["code"] == "FORBIDDEN"
