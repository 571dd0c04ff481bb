"""Running flows: the data chain, resolve and reject paths, unknown types, timeouts, and the
run log each flow's ``accountability`` asks for."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flow_helpers import runs
from tessera.access.accountability import Accountability
from tessera.db.system_tables import directus_operations
from tessera.errors import TesseraError

pytestmark = pytest.mark.usefixtures("admin")


def test_each_operation_sees_the_chain_and_leaves_its_value(runner, make_flow, admin):
    flow = make_flow(
        {
            "key": "first",
            "type": "transform",
            "options": {"json": {"got": "{{ $trigger.x }}"}},
            "resolve": "second",
        },
        {
            "key": "second",
            "type": "transform",
            "options": {
                "json": {
                    "last": "{{ $last }}",
                    "first": "{{ first.got }}",
                    "who": "{{ $accountability.user }}",
                }
            },
        },
    )
    result = runner.run(flow, {"x": 7}, admin)
    assert result.status == "resolve"
    assert result.data["first"] == {"got": 7}
    assert result.data["second"] == {"last": {"got": 7}, "first": 7, "who": admin.user}
    assert result.data["$last"] is result.data["second"]
    assert result.data["$trigger"] == {"x": 7}
    assert result.data["$accountability"] == {
        "role": None,
        "user": admin.user,
        "roles": [],
        "admin": True,
        "app": True,
        "ip": "10.0.0.1",
        "userAgent": None,
        "origin": None,
    }
    assert [step["key"] for step in result.steps] == ["first", "second"]


def test_a_failure_takes_the_reject_path_with_the_error_as_value(runner, make_flow, admin):
    flow = make_flow(
        {
            "key": "check",
            "type": "condition",
            "options": {"filter": {"$trigger": {"status": {"_eq": "published"}}}},
            "resolve": "yes",
            "reject": "no",
        },
        {"key": "yes", "type": "transform", "options": {"json": ["yes"]}},
        {"key": "no", "type": "transform", "options": {"json": {"why": "{{ check[0].message }}"}}},
    )
    passed = runner.run(flow, {"status": "published"}, admin)
    assert passed.data["$last"] == ["yes"]
    assert passed.data["check"] is None
    failed = runner.run(flow, {"status": "draft"}, admin)
    assert failed.status == "resolve"
    assert [step["status"] for step in failed.steps] == ["reject", "resolve"]
    assert failed.data["check"] == [
        {
            "name": "DirectusError",
            "message": 'Validation failed for field "$trigger" at "status". '
            'Value has to be "published".',
            "extensions": {
                "field": "$trigger",
                "path": ["status"],
                "type": "eq",
                "valid": "published",
            },
            "code": "FAILED_VALIDATION",
            "status": 400,
        }
    ]
    assert failed.data["no"] == {"why": failed.data["check"][0]["message"]}


def test_a_rejected_operation_without_a_reject_path_ends_the_run_rejected(runner, make_flow, admin):
    flow = make_flow(
        {"key": "boom", "type": "throw-error", "options": {"code": "NOPE", "status": 409}},
        {"key": "never", "type": "log", "options": {"message": "not reached"}},
    )
    result = runner.run(flow, None, admin)
    assert result.status == "reject"
    assert [step["key"] for step in result.steps] == ["boom"]
    assert isinstance(result.error, TesseraError)
    assert result.error.code == "NOPE"


def test_a_flow_without_operations_returns_its_trigger(runner, make_flow, admin):
    flow = make_flow()
    result = runner.run(flow, {"a": 1}, admin)
    assert result.status == "unknown"
    assert result.returned("$last") == {"a": 1}


def test_an_unknown_operation_type_ends_the_run_as_unknown(runner, make_flow, admin, blog_db):
    flow = make_flow(
        {"key": "one", "type": "transform", "options": {"json": 1}, "resolve": "two"},
        {"key": "two", "type": "log", "options": {}, "resolve": "three"},
        {"key": "three", "type": "transform", "options": {"json": 3}},
    )
    with blog_db.write() as conn:  # a type saved by a Directus with extensions
        conn.execute(
            sa.update(directus_operations)
            .where(directus_operations.c.key == "two")
            .values(type="my-extension")
        )
    result = runner.run(runner.load(flow.id), None, admin)
    assert result.status == "unknown"
    assert [(step["key"], step["status"]) for step in result.steps] == [
        ("one", "resolve"),
        ("two", "unknown"),
    ]
    assert result.data["$last"] is None


def test_an_operation_that_takes_too_long_rejects_with_out_of_time(make_runner, make_flow, admin):
    runner = make_runner(flows_operation_timeout="50ms")
    flow = make_flow(
        {"key": "wait", "type": "sleep", "options": {"milliseconds": 30_000}, "reject": "after"},
        {"key": "after", "type": "transform", "options": {"json": {"code": "{{ wait.code }}"}}},
    )
    result = runner.run(flow, None, admin)
    assert [step["status"] for step in result.steps] == ["reject", "resolve"]
    assert result.data["after"] == {"code": "OUT_OF_TIME"}
    assert result.data["wait"]["message"] == (
        'Operation "wait" did not finish within 0.05s (FLOWS_OPERATION_TIMEOUT).'
    )


def test_env_holds_only_the_allowed_variables(make_runner, make_flow, admin):
    runner = make_runner(
        env={"PUBLIC_URL": "https://x.test", "SECRET_KEY": "s3cr3t-value"},
        flows_env_allow_list="PUBLIC_URL,SECRET_KEY,UNSET",
    )
    flow = make_flow(
        {"key": "t", "type": "transform", "options": {"json": "{{ $env }}"}},
    )
    result = runner.run(flow, None, admin)
    assert result.data["t"] == {"PUBLIC_URL": "https://x.test", "SECRET_KEY": "s3cr3t-value"}


def test_a_run_is_logged_as_activity_and_revision(runner, make_flow, admin, blog_db):
    flow = make_flow(
        {"key": "echo", "type": "transform", "options": {"json": {"t": "{{ $trigger.title }}"}}},
    )
    runner.run(flow, {"title": "Hi", "headers": {"authorization": "Bearer abc"}}, admin)
    (logged,) = runs(blog_db, flow.id)
    assert logged["collection"] == "directus_flows"
    assert logged["user"] == admin.user
    assert logged["ip"] == "10.0.0.1"
    operation = flow.operation
    assert operation is not None
    assert logged["revision"] == {
        "steps": [
            {
                "operation": operation.id,
                "key": "echo",
                "status": "resolve",
                "options": {"json": {"t": "Hi"}},
            }
        ],
        "data": {
            "$trigger": {"title": "Hi", "headers": {"authorization": "--redacted--"}},
            "$last": {"t": "Hi"},
            "$accountability": logged["revision"]["data"]["$accountability"],
            "$env": {},
            "echo": {"t": "Hi"},
        },
    }


def test_accountability_activity_logs_no_revision_and_null_logs_nothing(
    runner, make_flow, admin, blog_db
):
    only_activity = make_flow(accountability="activity", name="a")
    untracked = make_flow(accountability=None, name="b")
    runner.run(only_activity, None, admin)
    runner.run(untracked, None, admin)
    (logged,) = runs(blog_db, only_activity.id)
    assert logged["revision"] is None
    assert runs(blog_db, untracked.id) == []


def test_env_values_are_redacted_from_the_run_log(make_runner, make_flow, admin, blog_db):
    runner = make_runner(env={"API_KEY": "k-123"}, flows_env_allow_list="API_KEY")
    flow = make_flow(
        {"key": "t", "type": "transform", "options": {"json": {"k": "key={{ $env.API_KEY }}"}}},
    )
    runner.run(flow, None, admin)
    (logged,) = runs(blog_db, flow.id)
    assert logged["revision"]["data"]["t"] == {"k": "key=--redacted:API_KEY--"}
    assert logged["revision"]["data"]["$env"] == {"API_KEY": "--redacted:API_KEY--"}


def test_a_run_without_accountability_is_logged_without_a_user(runner, make_flow, blog_db):
    flow = make_flow()
    result = runner.run(flow, None, None)
    assert result.data["$accountability"] is None
    (logged,) = runs(blog_db, flow.id)
    assert logged["user"] is None


def test_public_accountability_is_shown_as_directus_shows_it(runner, make_flow):
    flow = make_flow()
    result = runner.run(flow, None, Accountability(ip="1.2.3.4", user_agent="curl"))
    assert result.data["$accountability"]["userAgent"] == "curl"
    assert result.data["$accountability"]["user"] is None
