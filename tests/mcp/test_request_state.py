"""``requestState``: what comes back must be what this server signed, for this request, lately."""

from __future__ import annotations

import pytest

from tessera.mcp import request_state
from tessera.mcp.request_state import LIFETIME_SECONDS, StateError

SECRET = "a-secret-long-enough-for-hmac-sha256"
BINDING = "user-1|tools/call|confirm"


def test_a_state_round_trips() -> None:
    state = request_state.sign(SECRET, BINDING, {"round": 2, "name": "Ada"})
    assert request_state.verify(SECRET, BINDING, state) == {"round": 2, "name": "Ada"}


@pytest.mark.parametrize(
    ("secret", "binding", "now", "message"),
    [
        ("another-secret", BINDING, 0, "requestState integrity check failed"),
        (SECRET, "user-2|tools/call|confirm", 0, "requestState belongs to another request"),
        (SECRET, "user-1|prompts/get|confirm", 0, "requestState belongs to another request"),
        (
            SECRET,
            BINDING,
            LIFETIME_SECONDS + 1,
            "requestState has expired: start the request again",
        ),
    ],
)
def test_a_state_is_refused(secret: str, binding: str, now: float, message: str) -> None:
    state = request_state.sign(SECRET, BINDING, {"round": 1}, now=1_000_000)
    with pytest.raises(StateError) as raised:
        request_state.verify(secret, binding, state, now=1_000_000 + now)
    assert raised.value.message == message
    assert raised.value.code == -32602


@pytest.mark.parametrize("state", ["", "no-dot", "e30.", ".abc", "!!!.???"])
def test_garbage_is_refused(state: str) -> None:
    with pytest.raises(StateError):
        request_state.verify(SECRET, BINDING, state)
