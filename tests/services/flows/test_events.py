"""Event triggers: filter hooks change or reject a write inside it, action hooks run after
the commit in the background; both fired by the items service for every item it writes."""

from __future__ import annotations

import pytest

from flow_helpers import flow_settings, runs, save_flow
from tessera.errors import TesseraError
from tessera.schema.overview import SchemaCache
from tessera.services.flows import active
from tessera.services.flows.service import FlowsService
from tessera.services.items import ItemsService

EVERY_WRITE = ["items.create", "items.update", "items.delete"]


@pytest.fixture
def flows(runner):
    service = FlowsService(runner)
    yield service
    service.background.wait(10)


@pytest.fixture
def writes(blog_db, admin, flows) -> ItemsService:
    """Writes as the admin, firing events."""
    return ItemsService(
        blog_db, SchemaCache(blog_db), flow_settings(), admin, events=flows.events.emitter()
    )


def event_flow(
    items, *operations, kind, scope=("items.create",), collections=("articles",), **options
):
    options = {"type": kind, "scope": list(scope), "collections": list(collections), **options}
    return save_flow(items, *operations, trigger="event", options=options, name=f"{kind} flow")


def article_titles(db):
    with db.read() as conn:
        return dict(conn.exec_driver_sql("SELECT id, title FROM articles ORDER BY id").all())


def tag_names(db):
    with db.read() as conn:
        return sorted(conn.exec_driver_sql("SELECT name FROM tags").scalars())


def trigger_of(run):
    return run["revision"]["data"]["$trigger"]


# --- filter hooks ---------------------------------------------------------------------------


def test_a_filter_hook_replaces_the_payload_with_what_the_flow_returns(items, writes, blog_db):
    flow = event_flow(
        items,
        {
            "key": "shout",
            "type": "transform",
            "options": {"json": {"title": "{{ $trigger.payload.title }}!"}},
        },
        kind="filter",
        **{"return": "$last"},
    )
    key = writes.create_one("articles", {"title": "Hi", "status": "draft"})
    assert article_titles(blog_db)[key] == "Hi!"
    [run] = runs(blog_db, flow)
    assert trigger_of(run) == {
        "payload": {"title": "Hi", "status": "draft"},
        "event": "articles.items.create",
        "collection": "articles",
    }
    assert run["revision"]["data"]["$accountability"]["user"] == writes.accountability.user


def test_a_filter_hook_without_return_leaves_the_payload(items, writes, blog_db):
    flow = event_flow(
        items, {"key": "note", "type": "log", "options": {"message": "seen"}}, kind="filter"
    )
    key = writes.create_one("articles", {"title": "As is"})
    assert article_titles(blog_db)[key] == "As is"
    assert len(runs(blog_db, flow)) == 1


def test_a_rejecting_filter_hook_cancels_the_write_with_the_flows_error(items, writes, blog_db):
    flow = event_flow(
        items,
        {
            "key": "no",
            "type": "throw-error",
            "options": {"code": "NO_ARTICLES", "status": 409, "message": "Not today"},
        },
        kind="filter",
        scope=EVERY_WRITE,
    )
    before = article_titles(blog_db)
    for write in (
        lambda: writes.create_many("articles", [{"title": "a"}, {"title": "b"}]),
        lambda: writes.update_one("articles", 1, {"title": "changed"}),
        lambda: writes.delete_one("articles", 1),
    ):
        with pytest.raises(TesseraError) as raised:
            write()
        assert (raised.value.code, raised.value.status, raised.value.message) == (
            "NO_ARTICLES",
            409,
            "Not today",
        )
    assert article_titles(blog_db) == before
    logged = runs(blog_db, flow)  # kept though the writes rolled back
    assert [trigger_of(run)["event"] for run in logged] == [
        "articles.items.create",
        "articles.items.update",
        "articles.items.delete",
    ]
    assert trigger_of(logged[1])["keys"] == [1]
    assert trigger_of(logged[2])["payload"] == [1]


def test_a_failing_condition_rejects_with_its_validation_error(items, writes, blog_db):
    event_flow(
        items,
        {
            "key": "check",
            "type": "condition",
            "options": {"filter": {"$trigger": {"payload": {"title": {"_nempty": True}}}}},
        },
        kind="filter",
    )
    with pytest.raises(TesseraError) as raised:
        writes.create_one("articles", {"title": ""})
    assert raised.value.code == "FAILED_VALIDATION"
    assert writes.create_one("articles", {"title": "fine"})


def test_a_delete_filter_may_narrow_the_keys(items, writes, blog_db):
    event_flow(
        items,
        {"key": "keep_one", "type": "transform", "options": {"json": [3]}},
        kind="filter",
        scope=["items.delete"],
        **{"return": "$last"},
    )
    assert writes.delete_many("articles", [2, 3]) == [3]
    assert 2 in article_titles(blog_db)
    assert 3 not in article_titles(blog_db)


def test_nested_items_fire_their_own_filter_hooks(items, writes, blog_db):
    flow = event_flow(
        items,
        {
            "key": "up",
            "type": "transform",
            "options": {"json": {"name": "{{ $trigger.payload.name }}-checked"}},
        },
        kind="filter",
        collections=["tags"],
        **{"return": "$last"},
    )
    writes.create_one("articles", {"title": "Tagged", "tags": [{"tags_id": {"name": "new"}}]})
    assert "new-checked" in tag_names(blog_db)
    assert trigger_of(runs(blog_db, flow)[0])["event"] == "tags.items.create"


def test_a_filter_flows_writes_join_the_write_and_roll_back_with_it(items, writes, blog_db):
    event_flow(
        items,
        {
            "key": "audit",
            "type": "item-create",
            "options": {"collection": "tags", "payload": {"name": "audit"}},
            "resolve": "check",
        },
        {
            "key": "check",
            "type": "condition",
            "options": {"filter": {"$trigger": {"payload": {"status": {"_eq": "published"}}}}},
        },
        kind="filter",
    )
    writes.create_one("articles", {"title": "ok", "status": "published"})
    assert tag_names(blog_db).count("audit") == 1
    with pytest.raises(TesseraError):
        writes.create_one("articles", {"title": "refused", "status": "draft"})
    assert tag_names(blog_db).count("audit") == 1
    assert "refused" not in article_titles(blog_db).values()


def test_system_collections_fire_their_short_event_names(items, writes, blog_db):
    flow = event_flow(
        items,
        {"key": "note", "type": "log", "options": {"message": "user"}},
        kind="filter",
        collections=["directus_users"],
    )
    writes.create_one("directus_users", {"email": "new@example.com"})
    assert trigger_of(runs(blog_db, flow)[0])["event"] == "users.create"


def test_writes_without_an_emitter_fire_nothing(items, blog_db):
    flow = event_flow(
        items, {"key": "note", "type": "log", "options": {"message": "x"}}, kind="filter"
    )
    items.create_one("articles", {"title": "quiet"})
    assert runs(blog_db, flow) == []


# --- action hooks ---------------------------------------------------------------------------


def test_an_action_hook_runs_after_the_commit_and_sees_the_committed_item(
    items, writes, flows, blog_db
):
    flow = event_flow(
        items,
        {
            "key": "read",
            "type": "item-read",
            "options": {
                "collection": "articles",
                "key": "{{ $trigger.key }}",
                "query": {"fields": ["title"]},
            },
        },
        kind="action",
        scope=EVERY_WRITE,
    )
    key = writes.create_one("articles", {"title": "Fresh"})
    flows.background.wait(10)
    writes.update_one("articles", key, {"title": "Fresher"})
    writes.delete_one("articles", key)
    flows.background.wait(10)
    logged = sorted(
        runs(blog_db, flow),
        key=lambda run: ["create", "update", "delete"].index(
            trigger_of(run)["event"].split(".")[-1]
        ),
    )
    assert trigger_of(logged[0]) == {
        "event": "articles.items.create",
        "payload": {"title": "Fresh"},
        "key": key,
        "collection": "articles",
    }
    assert logged[0]["revision"]["data"]["read"] == {"title": "Fresh"}
    assert trigger_of(logged[1])["payload"] == {"title": "Fresher"}
    assert trigger_of(logged[1])["keys"] == [key]
    assert trigger_of(logged[2])["payload"] == [key]
    assert trigger_of(logged[2])["keys"] == [key]


def test_an_action_hook_does_not_hold_up_the_write(items, writes, flows, blog_db):
    flow = event_flow(
        items, {"key": "wait", "type": "sleep", "options": {"milliseconds": 400}}, kind="action"
    )
    writes.create_one("articles", {"title": "quick"})
    assert runs(blog_db, flow) == []  # still sleeping: the caller did not wait for it
    flows.background.wait(10)
    assert len(runs(blog_db, flow)) == 1


def test_no_action_hook_for_a_write_that_rolled_back(items, writes, flows, blog_db):
    flow = event_flow(
        items, {"key": "note", "type": "log", "options": {"message": "x"}}, kind="action"
    )
    with pytest.raises(TesseraError):
        writes.create_many("articles", [{"title": "first"}, {"title": {"not": "text"}}])
    flows.background.wait(10)
    assert runs(blog_db, flow) == []


def test_a_failing_action_hook_never_reaches_the_caller(items, writes, flows, blog_db):
    flow = event_flow(
        items,
        {"key": "boom", "type": "throw-error", "options": {"message": "broken"}},
        kind="action",
    )
    key = writes.create_one("articles", {"title": "saved"})
    flows.background.wait(10)
    assert article_titles(blog_db)[key] == "saved"
    [run] = runs(blog_db, flow)
    assert run["revision"]["data"]["boom"]["message"] == "broken"


def test_one_run_per_created_item_and_nested_items_after_their_parent(
    items, writes, flows, blog_db
):
    flow = event_flow(
        items,
        {"key": "note", "type": "log", "options": {"message": "x"}},
        kind="action",
        collections=["articles", "tags"],
    )
    writes.create_many(
        "articles", [{"title": "one"}, {"title": "two", "tags": [{"tags_id": {"name": "t"}}]}]
    )
    flows.background.wait(10)
    events = sorted(trigger_of(run)["event"] for run in runs(blog_db, flow))
    assert events == ["articles.items.create", "articles.items.create", "tags.items.create"]


# --- flows writing items, and loops -----------------------------------------------------------


def test_a_flows_item_operations_fire_events_only_with_emit_events(items, writes, flows, blog_db):
    watcher = event_flow(
        items,
        {"key": "note", "type": "log", "options": {"message": "x"}},
        kind="action",
        collections=["tags"],
    )
    for emit in (False, True):
        writer = event_flow(
            items,
            {
                "key": "tag",
                "type": "item-create",
                "options": {
                    "collection": "tags",
                    "payload": {"name": f"emit {emit}"},
                    "emitEvents": emit,
                },
            },
            kind="action",
        )
        writes.create_one("articles", {"title": f"emit {emit}"})
        flows.background.wait(10)
        items.update_one("directus_flows", writer, {"status": "inactive"})
    assert [trigger_of(run)["payload"]["name"] for run in runs(blog_db, watcher)] == ["emit True"]


def test_an_action_flow_that_fires_itself_stops_at_flows_max_depth(make_runner, admin, blog_db):
    runner = make_runner(flows_max_depth=3)
    flows = FlowsService(runner)
    saver = ItemsService(blog_db, SchemaCache(blog_db), flow_settings(), admin)
    flow = event_flow(
        saver,
        {
            "key": "again",
            "type": "item-create",
            "options": {"collection": "articles", "payload": {"title": "echo"}, "emitEvents": True},
        },
        kind="action",
    )
    writes = ItemsService(
        blog_db, SchemaCache(blog_db), flow_settings(), admin, events=flows.events.emitter()
    )
    before = len(article_titles(blog_db))
    writes.create_one("articles", {"title": "start"})
    flows.background.wait(10)
    assert len(runs(blog_db, flow)) == 3
    assert len(article_titles(blog_db)) == before + 1 + 3


def test_a_filter_flow_that_fires_itself_is_refused_at_flows_max_depth(items, writes, blog_db):
    event_flow(
        items,
        {
            "key": "again",
            "type": "item-create",
            "options": {"collection": "articles", "payload": {"title": "echo"}, "emitEvents": True},
        },
        kind="filter",
    )
    before = article_titles(blog_db)
    with pytest.raises(TesseraError) as raised:
        writes.create_one("articles", {"title": "start"})
    assert "FLOWS_MAX_DEPTH" in raised.value.message
    assert article_titles(blog_db) == before


# --- cost -----------------------------------------------------------------------------------


def test_event_flows_are_loaded_once_per_change_of_flows(items, writes, monkeypatch):
    loads = []
    real = active.load_index
    monkeypatch.setattr(active, "load_index", lambda conn: loads.append(1) or real(conn))
    for title in ("a", "b", "c"):
        writes.create_one("articles", {"title": title})
    assert len(loads) == 1
    event_flow(items, {"key": "note", "type": "log", "options": {"message": "x"}}, kind="filter")
    writes.create_one("articles", {"title": "d"})
    writes.create_one("articles", {"title": "e"})
    assert len(loads) == 2
