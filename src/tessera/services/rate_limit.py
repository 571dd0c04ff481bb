"""Counting failed sign-ins: a sliding window per key, and a run of failures per key.

Both live in this process's memory, as Directus's default ``memory`` store does:
each Tessera process (each ``--workers`` worker, each instance behind a load
balancer) counts on its own, so a limit of N allows up to N per process. They are
safe to share between threads. Time comes from an injected clock (seconds, never
going backwards), so tests move time instead of waiting for it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]


class SlidingWindow:
    """At most ``limit`` events per key within any ``window`` seconds.

    Only the newest ``limit`` events of a key matter, so that is all a key keeps;
    keys whose events have all left the window are dropped once per window, so
    memory follows the keys active lately rather than every key ever seen.
    """

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a window needs a limit of at least 1 and a positive length")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = clock()

    def wait(self, key: str) -> float:
        """Seconds until one more event for ``key`` would fit; 0.0 when it fits now."""
        with self._lock:
            events = self._events.get(key)
            if events is None or len(events) < self.limit:
                return 0.0
            return max(0.0, events[0] + self.window - self._clock())

    def add(self, key: str) -> None:
        """Count one event for ``key`` now."""
        with self._lock:
            now = self._clock()
            if now - self._swept >= self.window:
                self._sweep(now)
            self._events.setdefault(key, deque(maxlen=self.limit)).append(now)

    def reset(self, key: str) -> None:
        """Forget every event of ``key``."""
        with self._lock:
            self._events.pop(key, None)

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._events)

    def _sweep(self, now: float) -> None:
        self._events = {
            key: events for key, events in self._events.items() if events[-1] > now - self.window
        }
        self._swept = now


class FailureRun:
    """How many times in a row each key failed, until it succeeds (no time limit).

    Directus's ``auth_login_attempts`` counts this way: only a successful sign-in
    (or a suspension) starts an account's count again.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, key: str) -> int:
        with self._lock:
            return self._counts.get(key, 0)

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def reset(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
