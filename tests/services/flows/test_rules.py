"""Saving flows and operations: what cannot work is refused with INVALID_PAYLOAD and
nothing is written; deletes unlink what led to the deleted rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from callers import grant, make_caller
from flow_helpers import flow_settings, save_flow
from tessera.db.system_tables import directus_flows, directus_operations
from tessera.errors import ForbiddenError, InvalidPayloadError
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService


def count(db, table):
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def op(flow_id, key="a", type_="log", **fields):
    return {"flow": flow_id, "key": key, "type": type_, "position_x": 1, "position_y": 1, **fields}


@pytest.mark.parametrize(
    ("flow", "reason"),
    [
        (
            {"trigger": "sometimes"},
            '"trigger" has to be one of "event", "webhook", "schedule", '
            '"operation", "manual", not "sometimes"',
        ),
        ({"status": "paused"}, '"status" has to be one of "active", "inactive", not "paused"'),
        ({"accountability": "some"}, '"accountability" has to be "all", "activity" or null'),
        (
            {"trigger": "schedule", "options": {}},
            'A schedule needs "options.cron", a cron expression',
        ),
        (
            {"trigger": "schedule", "options": {"cron": "61 * * * *"}},
            '"options.cron" "61 * * * *" is no cron expression: [61 * * * *] is not acceptable, '
            "out of range",
        ),
        (
            {"trigger": "schedule", "options": {"cron": "0 0 31 2 *"}},
            '"options.cron" "0 0 31 2 *" is no cron expression: it never fires',
        ),
        (
            {"trigger": "webhook", "options": {"method": "PUT"}},
            '"options.method" has to be one of "GET", "POST", not "PUT"',
        ),
        (
            {"trigger": "webhook", "options": {"async": "yes"}},
            '"options.async" has to be true or false',
        ),
        (
            {"trigger": "manual", "options": {"collections": [1]}},
            '"options.collections" has to be a list of names',
        ),
        (
            {"trigger": "event", "options": {"type": "later"}},
            '"options.type" has to be one of "filter", "action", not "later"',
        ),
        (
            {"trigger": "event", "options": {"type": "filter", "scope": ["items.sort"]}},
            '"options.scope" "items.sort" is no filter event Tessera fires (it fires '
            "items.create, items.update, items.delete, auth.login, auth.jwt, email.send, and "
            "the per-collection names items events expand to)",
        ),
        (
            {"trigger": "event", "options": {"type": "filter", "scope": "server.start"}},
            '"options.scope" "server.start" is no filter event Tessera fires (it fires '
            "items.create, items.update, items.delete, auth.login, auth.jwt, email.send, and "
            "the per-collection names items events expand to)",
        ),
        (
            {"trigger": "event", "options": {"type": "action", "scope": ["auth.jwt"]}},
            '"options.scope" "auth.jwt" is no action event Tessera fires (it fires '
            "items.create, items.update, items.delete, files.upload, auth.login, server.start, "
            "server.stop, and the per-collection names items events expand to)",
        ),
        (
            {"trigger": "event", "options": {"type": "action", "scope": ["flow_ticks.create"]}},
            '"options.scope" "flow_ticks.create" is no action event Tessera fires (it fires '
            "items.create, items.update, items.delete, files.upload, auth.login, server.start, "
            "server.stop, and the per-collection names items events expand to)",
        ),
        (
            {"trigger": "event", "options": {"type": "action", "scope": ["auth.create"]}},
            '"options.scope" "auth.create" is no action event Tessera fires (it fires '
            "items.create, items.update, items.delete, files.upload, auth.login, server.start, "
            "server.stop, and the per-collection names items events expand to)",
        ),
    ],
)
def test_a_flow_that_cannot_work_is_refused(items, blog_db, flow, reason):
    with pytest.raises(InvalidPayloadError) as refused:
        items.create_one("directus_flows", {"name": "f", **flow})
    assert refused.value.extensions["reason"] == reason
    assert count(blog_db, directus_flows) == 0


@pytest.mark.parametrize("cron", ["*/5 * * * *", "*/10 * * * * *", "@daily", "0 9 * * MON-FRI"])
def test_a_schedule_whose_cron_parses_is_saved(items, cron):
    assert items.create_one(
        "directus_flows", {"name": "s", "trigger": "schedule", "options": {"cron": cron}}
    )


@pytest.mark.parametrize(
    ("kind", "scope"),
    [
        ("filter", ["auth.login", "auth.jwt", "email.send", "items.create"]),
        ("action", ["auth.login", "server.start", "server.stop", "files.upload"]),
        ("action", ["articles.items.update", "users.create", "files.delete"]),
    ],
)
def test_an_event_flow_listening_to_events_tessera_fires_is_saved(items, kind, scope):
    options = {"type": kind, "scope": scope, "collections": ["articles"]}
    assert items.create_one("directus_flows", {"name": "e", "trigger": "event", "options": options})


def test_an_inactive_flow_may_keep_a_scope_tessera_never_fires(items, blog_db):
    """As a flow a Directus database holds may: it is switched off as it is, and only
    switching it on asks for scopes Tessera fires."""
    options = {"type": "action", "scope": ["items.sort"], "collections": ["articles"]}
    flow = items.create_one(
        "directus_flows",
        {"name": "sorted", "trigger": "event", "status": "inactive", "options": options},
    )
    with pytest.raises(InvalidPayloadError, match=r'"items\.sort" is no action event'):
        items.update_one("directus_flows", flow, {"status": "active"})
    with blog_db.read() as conn:
        status = conn.execute(
            sa.select(directus_flows.c.status).where(directus_flows.c.id == flow)
        ).scalar()
    assert status == "inactive"


def test_an_update_is_judged_as_the_flow_ends_up(items, blog_db):
    key = items.create_one("directus_flows", {"name": "s", "trigger": "webhook"})
    with pytest.raises(InvalidPayloadError):
        items.update_one("directus_flows", key, {"trigger": "schedule"})
    items.update_one("directus_flows", key, {"trigger": "schedule", "options": {"cron": "@hourly"}})
    with pytest.raises(InvalidPayloadError):
        items.update_one("directus_flows", key, {"options": {"cron": "nope"}})
    with blog_db.read() as conn:
        saved = conn.execute(sa.select(directus_flows.c.options)).scalar()
    assert saved == {"cron": "@hourly"}


@pytest.mark.parametrize(
    ("operation", "reason"),
    [
        ({"type": "exec"}, '"type" "exec" is no operation Tessera runs'),
        ({"key": "$last"}, '"key" "$last" has to be a name that does not start with "$"'),
        ({"type": "sleep", "options": {"milliseconds": -1}}, '"milliseconds" has to be a number'),
        ({"type": "item-read", "options": {}}, '"options.collection" is required'),
        (
            {"type": "json-web-token", "options": {"operation": "encrypt"}},
            '"options.operation" has to be one of "sign", "verify", "decode", not "encrypt"',
        ),
        (
            {"type": "trigger", "options": {"flow": "x", "iterationMode": "random"}},
            '"options.iterationMode" has to be one of "serial", "batch", "parallel"',
        ),
        ({"type": "trigger", "options": {"flow": "x", "batchSize": 0}}, '"batchSize" has to be'),
        ({"type": "notification", "options": {"subject": "s"}}, '"options.recipient" is required'),
        ({"type": "throw-error", "options": {"status": 99}}, '"options.status" has to be'),
        ({"type": "condition", "options": {"filter": 3}}, '"options.filter" has to be a filter'),
        (
            {"type": "item-create", "options": {"collection": "a", "permissions": 1}},
            '"options.permissions" has to be',
        ),
    ],
)
def test_an_operation_that_cannot_work_is_refused(items, blog_db, operation, reason):
    flow = save_flow(items)
    with pytest.raises(InvalidPayloadError) as refused:
        items.create_one("directus_operations", {**op(flow), **operation})
    assert refused.value.extensions["reason"].startswith(reason)
    assert count(blog_db, directus_operations) == 0


def test_a_template_is_left_for_the_run_to_judge(items):
    flow = save_flow(items)
    options = {"milliseconds": "{{ $trigger.ms }}"}
    assert items.create_one("directus_operations", op(flow, type_="sleep", options=options))


def test_links_stay_in_the_flow_and_make_a_tree(items, blog_db):
    one, other = save_flow(items, name="one"), save_flow(items, name="other")
    a = items.create_one("directus_operations", op(one, "a"))
    elsewhere = items.create_one("directus_operations", op(other, "x"))
    with pytest.raises(InvalidPayloadError, match='is no operation of flow "one"'):
        items.update_one("directus_operations", a, {"resolve": elsewhere})
    with pytest.raises(InvalidPayloadError, match='is no operation of flow "one"'):
        items.update_one("directus_flows", one, {"operation": elsewhere})
    b = items.create_one("directus_operations", op(one, "b", resolve=a))
    with pytest.raises(InvalidPayloadError, match='"a" of flow "one" leads back to itself'):
        items.update_one("directus_operations", a, {"reject": b})
    with pytest.raises(InvalidPayloadError, match='Two operations of flow "one" have the key "a"'):
        items.create_one("directus_operations", op(one, "a"))
    c = items.create_one("directus_operations", op(one, "c"))
    with pytest.raises(InvalidPayloadError, match='Operation "a" is reached twice'):
        items.update_one("directus_operations", c, {"reject": a})
    items.update_one("directus_flows", one, {"operation": b})


def test_a_flow_and_its_operations_saved_in_one_call(items, runner):
    flow = items.create_one(
        "directus_flows",
        {
            "name": "nested",
            "trigger": "manual",
            "options": {"collections": ["articles"]},
            "operations": [op(None, "a"), op(None, "b")],
        },
    )
    found = runner.load(flow)
    assert found is not None
    assert found.trigger == "manual"


def test_deleting_operations_unlinks_what_led_to_them(items, blog_db, runner):
    flow = save_flow(
        items,
        {"key": "a", "type": "log", "resolve": "b"},
        {"key": "b", "type": "log", "reject": "c"},
        {"key": "c", "type": "log"},
    )
    loaded = runner.load(flow)
    first = loaded.operation
    items.delete_many("directus_operations", [first.id, first.resolve.reject.id])
    reloaded = runner.load(flow)
    assert reloaded.operation is None
    with blog_db.read() as conn:
        left = conn.execute(sa.select(directus_operations.c.key, directus_operations.c.reject))
        assert left.all() == [("b", None)]


def test_deleting_a_flow_deletes_its_operations(items, blog_db):
    flow = save_flow(
        items, {"key": "a", "type": "log", "resolve": "b"}, {"key": "b", "type": "log"}
    )
    items.delete_one("directus_flows", flow)
    assert count(blog_db, directus_operations) == 0


def test_only_admins_may_read_or_write_flows_unless_granted(blog_db, items):
    save_flow(items)
    member = make_caller(blog_db, [grant("articles", "read")])
    theirs = ItemsService(blog_db, SchemaCache(blog_db), flow_settings(), member)
    with pytest.raises(ForbiddenError):
        theirs.read_by_query("directus_flows")
    with pytest.raises(ForbiddenError):
        theirs.create_one("directus_flows", {"name": "x"})
    reader = make_caller(blog_db, [grant("directus_flows", "read")])
    allowed = ItemsService(blog_db, SchemaCache(blog_db), flow_settings(), reader)
    assert len(allowed.read_by_query("directus_flows").data) == 1
