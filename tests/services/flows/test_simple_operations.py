"""transform, log, sleep and throw-error."""

from __future__ import annotations

import logging

import pytest


def test_transform_gives_its_json_with_templates_rendered(run_op):
    options = {"json": {"sum": "{{ $trigger.a }}", "text": "a={{ $trigger.a }}"}}
    assert run_op("transform", options, {"a": 2}) == ("resolve", {"sum": 2, "text": "a=2"})
    assert run_op("transform", {"json": '{"parsed": [1, 2]}'}) == ("resolve", {"parsed": [1, 2]})
    status, error = run_op("transform", {"json": "not json"})
    assert status == "reject"
    assert error["extensions"]["reason"] == '"json" has to be JSON'


def test_log_writes_its_message_with_secrets_redacted(run_op, caplog):
    caplog.set_level(logging.INFO, logger="tessera.flows")
    trigger = {"payload": {"password": "pw", "name": "n"}}
    options = {"message": "got {{ $trigger }}"}
    assert run_op("log", options, trigger) == ("resolve", None)
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "tessera.flows"]
    assert logged == 'got {"payload":{"password":"--redacted--","name":"n"}}'


def test_sleep_waits_its_milliseconds(run_op):
    assert run_op("sleep", {"milliseconds": 1}) == ("resolve", None)
    assert run_op("sleep", {"milliseconds": "{{ $trigger.ms }}"}, {"ms": "2"}) == ("resolve", None)
    status, error = run_op("sleep", {"milliseconds": "{{ $trigger.ms }}"}, {"ms": "soon"})
    assert status == "reject"
    assert "milliseconds" in error["message"]


@pytest.mark.parametrize(
    ("options", "code", "status", "message"),
    [
        (
            {"code": "MY_CODE", "status": "418", "message": "boom {{ $trigger.x }}"},
            "MY_CODE",
            418,
            "boom 2",
        ),
        ({}, "INTERNAL_SERVER_ERROR", 500, "An unexpected error occurred."),
        ({"code": "X", "status": "{{ $trigger.s }}"}, "X", 500, "An unexpected error occurred."),
    ],
)
def test_throw_error_rejects_with_the_code_status_and_message(
    run_op, options, code, status, message
):
    result, error = run_op("throw-error", options, {"x": 2})
    assert result == "reject"
    assert error == {
        "name": "DirectusError",
        "message": message,
        "extensions": {},
        "code": code,
        "status": status,
    }
