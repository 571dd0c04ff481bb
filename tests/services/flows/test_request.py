"""The request operation against a real server on loopback (allowed for these tests only),
and the guard it shares with file imports refusing loopback by default."""

from __future__ import annotations

import json
import socket

import pytest

from flow_helpers import save_flow
from http_servers import Route, local_server
from tessera.errors import InvalidPayloadError

OPEN = {"import_ip_deny_list": "", "import_ip_deny_internal": False}


@pytest.fixture
def server():
    with local_server() as running:
        yield running


@pytest.fixture
def request_op(make_runner, make_flow, admin):
    """Run one request operation: ``(status, value)``; loopback allowed unless ``guarded``."""

    def run(options, *, guarded=False, trigger=None):
        runner = make_runner() if guarded else make_runner(**OPEN)
        flow = make_flow({"key": "call", "type": "request", "options": options})
        result = runner.run(flow, trigger, admin)
        return result.steps[0]["status"], result.data["call"]

    return run


def test_a_json_answer_comes_back_parsed(server, request_op):
    server.routes["/hello"] = Route(b'{"hi": 1}', headers={"Content-Type": "application/json"})
    status, value = request_op({"url": server.url("/hello")})
    assert status == "resolve"
    assert value["status"] == 200
    assert value["statusText"] == "OK"
    assert value["data"] == {"hi": 1}
    assert value["headers"]["content-type"] == "application/json"
    assert server.received[0][0] == "GET"


def test_an_object_body_is_sent_as_json_with_the_headers_given(server, request_op):
    server.routes["/in"] = Route(b"thanks")
    status, value = request_op(
        {
            "url": server.url("/in"),
            "method": "POST",
            "headers": [{"header": "X-Token", "value": "{{ $trigger.token }}"}],
            "body": {"title": "{{ $trigger.title }}"},
        },
        trigger={"token": "abc", "title": "Hi"},
    )
    assert (status, value["data"]) == ("resolve", "thanks")
    method, _path, headers, body = server.received[0]
    assert method == "POST"
    assert json.loads(body) == {"title": "Hi"}
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Token"] == "abc"


def test_a_text_body_is_sent_as_it_is(server, request_op):
    server.routes["/in"] = Route(b"")
    request_op({"url": server.url("/in"), "method": "PUT", "body": "plain words"})
    method, _path, headers, body = server.received[0]
    assert (method, body) == ("PUT", b"plain words")
    assert "Content-Type" not in headers


def test_an_error_status_rejects_with_the_answer(server, request_op):
    server.routes["/missing"] = Route(b'{"errors": ["gone"]}', status=404)
    status, value = request_op({"url": server.url("/missing")})
    assert status == "reject"
    assert value["status"] == 404
    assert value["data"] == {"errors": ["gone"]}


def test_a_post_redirected_with_303_goes_on_as_a_get(server, request_op):
    server.routes["/old"] = Route(status=303, headers={"Location": "/new"})
    server.routes["/new"] = Route(b'"moved"')
    status, value = request_op({"url": server.url("/old"), "method": "POST", "body": {"a": 1}})
    assert (status, value["data"]) == ("resolve", "moved")
    assert [(method, path, body) for method, path, _, body in server.received] == [
        ("POST", "/old", b'{"a":1}'),
        ("GET", "/new", b""),
    ]


def test_loopback_is_refused_by_default(server, request_op):
    server.routes["/secret"] = Route(b"internal")
    status, value = request_op({"url": server.url("/secret")}, guarded=True)
    assert status == "reject"
    assert value["name"] == "Error"
    assert "IMPORT_IP_DENY" in value["message"]
    assert server.received == []


def test_a_request_needs_a_url(items):
    with pytest.raises(InvalidPayloadError, match="url"):
        save_flow(items, {"key": "call", "type": "request", "options": {"method": "GET"}})


def test_a_request_past_import_timeout_rejects(make_runner, make_flow, admin):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        runner = make_runner(import_timeout="200ms", **OPEN)
        flow = make_flow({"key": "call", "type": "request", "options": {"url": url}})
        result = runner.run(flow, None, admin)
    assert result.steps[0]["status"] == "reject"
    assert result.data["call"]["name"] == "Error"
    assert "timeout" in result.data["call"]["message"].lower()
