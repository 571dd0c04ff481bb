"""Runs nobody waits for: async webhooks and manual flows answer at once and run here."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

log = logging.getLogger("tessera.flows")


class BackgroundRuns:
    """A small pool for flow runs started without waiting; :meth:`wait` lets tests (and a
    shutdown) see them through."""

    def __init__(self, workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flow")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def start(self, work: Callable[[], Any]) -> Future[Any]:
        future = self._pool.submit(work)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def wait(self, timeout: float | None = None) -> None:
        """Until every run started so far has ended, and every run those started (an action
        hook fired by a write of another run) too."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._pending)
            left = None if deadline is None else deadline - time.monotonic()
            if not pending or (left is not None and left <= 0):
                return
            wait(pending, timeout=left)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)
        error = future.exception()
        if error is not None:
            log.error("A flow run in the background failed", exc_info=error)
