"""A bounded, thread-safe memo with single flight: one computation per key at a time.

Fits are pure functions of their inputs (history, space, warp, seed), so caching them by a
content digest never changes an answer; it only saves work. While a value is being computed,
other threads asking for the same key wait for it instead of computing it again (concurrent
suggestions on one snapshot pay for one fit). An error is passed to every waiter and nothing
is cached, so the next request tries again.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

from hpo_service.domain import Observation

T = TypeVar("T")
logger = logging.getLogger(__name__)
# Background computations run in threads of this name. They are not daemons: a daemon thread
# still inside LAPACK when the interpreter exits aborts the process, so exit waits for them.
BACKGROUND = "gp-background"


def join_background(timeout: float | None = None) -> None:
    """Wait for this process's background computations to finish (tests, orderly exits)."""
    for thread in threading.enumerate():
        if thread.name == BACKGROUND:
            thread.join(timeout)


def content_digests(
    observations: Sequence[Observation], key: str = "", ends: Sequence[int] | None = None
) -> list[str]:
    """Digests of ``key`` and the first ``end`` observations for each of the increasing
    ``ends`` (default: all of them), in one pass over the observations."""
    running, start, out = hashlib.sha256(key.encode()), 0, []
    for end in [len(observations)] if ends is None else ends:
        for o in observations[start:end]:
            running.update(repr((sorted(o.params.items()), o.value)).encode())
        out.append(running.copy().hexdigest())
        start = end
    return out


class SingleFlight(Generic[T]):
    """The last ``size`` values by key, each computed once even under concurrent requests."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._done: OrderedDict[str, T] = OrderedDict()
        self._running: dict[str, Future[T]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], T]) -> T:
        """The value for ``key``: cached, awaited from another thread, or computed now."""
        with self._lock:
            found = self._done.get(key)
            running = self._running.get(key)
            if found is None and running is None:
                self._running[key] = Future()
        if found is not None:
            return found
        if running is not None:
            return running.result()  # another thread is computing this very value
        try:
            value = compute()
        except BaseException as error:
            with self._lock:
                self._running.pop(key).set_exception(error)
            raise
        with self._lock:
            self._done[key] = value
            while len(self._done) > self.size:
                self._done.popitem(last=False)
            self._running.pop(key).set_result(value)
        return value

    def prefetch(self, key: str, compute: Callable[[], T]) -> None:
        """Start computing ``key`` in a background thread, unless it is cached or running;
        a later ``get`` waits for that computation instead of starting its own."""
        with self._lock:
            if key in self._done or key in self._running:
                return
        # in a copy of the caller's context: the build sees the request's fit store
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(self._quietly, key, compute), name=BACKGROUND
        ).start()

    def _quietly(self, key: str, compute: Callable[[], T]) -> None:
        try:
            self.get(key, compute)
        except Exception:  # the request that needs it will compute it again and see why
            logger.exception("background computation failed")

    def peek(self, key: str) -> T | None:
        """The cached value for ``key``, or None (never computes, never waits)."""
        with self._lock:
            return self._done.get(key)

    def clear(self) -> None:
        """Forget every cached value (running computations finish undisturbed)."""
        with self._lock:
            self._done.clear()
