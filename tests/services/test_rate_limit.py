"""The sliding window and the failure run behind sign-in limits, on a clock the test moves."""

from __future__ import annotations

import pytest

from tessera.services.rate_limit import FailureRun, SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_window_lets_limit_events_through_then_says_how_long_to_wait(clock):
    window = SlidingWindow(3, 60, clock)
    for _ in range(3):
        assert window.wait("k") == 0.0
        window.add("k")
        clock.advance(10)
    # Events at 0, 10 and 20 s; now is 30 s: the first leaves the window at 60 s.
    assert window.wait("k") == pytest.approx(30)
    clock.advance(29.5)
    assert window.wait("k") == pytest.approx(0.5)
    clock.advance(0.5)
    assert window.wait("k") == 0.0


def test_the_window_slides_rather_than_resetting_at_fixed_times(clock):
    window = SlidingWindow(2, 60, clock)
    window.add("k")
    clock.advance(50)
    window.add("k")
    clock.advance(15)  # the first event has left; the second is still in
    assert window.wait("k") == 0.0
    window.add("k")
    # A fixed window starting at the first event would have reset at 60 s and allowed this.
    assert window.wait("k") == pytest.approx(45)


def test_keys_are_counted_apart_and_reset_forgets_one(clock):
    window = SlidingWindow(1, 60, clock)
    window.add("203.0.113.9")
    window.add("ada@example.com")
    assert window.wait("203.0.113.9") == pytest.approx(60)
    assert window.wait("198.51.100.1") == 0.0
    window.reset("ada@example.com")
    assert window.wait("ada@example.com") == 0.0
    assert window.wait("203.0.113.9") == pytest.approx(60)
    window.reset("never-seen")  # nothing to forget is fine


def test_keys_whose_events_all_left_the_window_are_dropped(clock):
    window = SlidingWindow(5, 60, clock)
    for n in range(100):
        window.add(f"10.0.0.{n}")
    assert len(window) == 100
    clock.advance(61)
    window.add("10.0.1.1")
    assert len(window) == 1  # memory follows recent keys, not every key ever seen


@pytest.mark.parametrize(("limit", "length"), [(0, 60), (1, 0), (3, -1)])
def test_a_window_needs_a_limit_and_a_length(limit, length):
    with pytest.raises(ValueError, match="limit"):
        SlidingWindow(limit, length)


def test_a_failure_run_counts_until_reset_whatever_the_time():
    run = FailureRun()
    assert run.count("user-1") == 0
    for _ in range(3):
        run.add("user-1")
    run.add("user-2")
    assert (run.count("user-1"), run.count("user-2")) == (3, 1)
    run.reset("user-1")
    assert (run.count("user-1"), run.count("user-2")) == (0, 1)
