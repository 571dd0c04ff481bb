"""The trigger operation: another flow run with a payload, one run per element of a list,
and a clear error when flows trigger each other in a cycle."""

from __future__ import annotations

import pytest

from flow_helpers import runs, save_flow


@pytest.fixture
def doubler(make_flow):
    """An operation-triggered flow returning twice its payload's ``n``."""
    return make_flow(
        {
            "key": "double",
            "type": "transform",
            "options": {"json": {"n": "{{ $trigger.n }}{{ $trigger.n }}"}},
        },
        trigger="operation",
        options={"return": "double.n"},
        name="doubler",
    )


@pytest.mark.parametrize("mode", ["serial", "batch", "parallel", None])
def test_a_list_payload_runs_the_flow_once_per_element_in_order(run_op, doubler, blog_db, mode):
    options = {
        "flow": doubler.id,
        "payload": [{"n": 1}, {"n": 2}, {"n": 3}],
        "iterationMode": mode,
        "batchSize": 2,
    }
    assert run_op("trigger", options) == ("resolve", ["11", "22", "33"])
    assert len(runs(blog_db, doubler.id)) == 3


def test_an_object_payload_runs_it_once_with_the_triggers_accountability(run_op, make_flow, admin):
    echo = make_flow(
        {
            "key": "who",
            "type": "transform",
            "options": {"json": {"u": "{{ $accountability.user }}"}},
        },
        trigger="operation",
        options={"return": "$last"},
        name="echo",
    )
    assert run_op("trigger", {"flow": echo.id, "payload": {"a": 1}}) == (
        "resolve",
        {"u": admin.user},
    )


def test_only_an_active_operation_flow_can_be_triggered(run_op, make_flow):
    webhook = make_flow(name="webhook")
    status, error = run_op("trigger", {"flow": webhook.id})
    assert status == "reject"
    assert "no active flow triggered by another flow" in error["message"]


def test_flows_triggering_each_other_in_a_cycle_stop_with_a_clear_error(
    make_runner, items, admin, blog_db
):
    runner = make_runner(flows_max_depth=4)
    pong = save_flow(
        items,
        {"key": "call", "type": "trigger", "options": {"flow": "set below"}},
        trigger="operation",
        name="pong",
    )
    ping = save_flow(
        items,
        {"key": "call", "type": "trigger", "options": {"flow": pong}},
        trigger="operation",
        name="ping",
    )
    call = runner.load(pong).operation.id
    items.update_one("directus_operations", call, {"options": {"flow": ping}})
    result = runner.run(runner.load(ping), None, admin)
    assert result.status == "reject"
    assert result.data["call"]["code"] == "UNPROCESSABLE_CONTENT"
    assert result.data["call"]["message"] == (
        "Flows trigger each other more than 4 deep (FLOWS_MAX_DEPTH), most likely in a cycle: "
        '"ping" → "pong" → "ping" → "pong" → "ping".'
    )
    assert len(runs(blog_db, ping)) + len(runs(blog_db, pong)) == 4


def test_a_timeout_cancels_the_flows_the_operation_triggered(make_runner, make_flow, admin):
    runner = make_runner(flows_operation_timeout="100ms")
    slow = make_flow(
        {"key": "nap", "type": "sleep", "options": {"milliseconds": 30_000}},
        trigger="operation",
        name="slow",
    )
    caller = make_flow({"key": "call", "type": "trigger", "options": {"flow": slow.id}})
    result = runner.run(caller, None, admin)
    assert result.data["call"]["code"] == "OUT_OF_TIME"
