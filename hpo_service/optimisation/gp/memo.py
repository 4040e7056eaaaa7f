"""A bounded, thread-safe memo with single flight: one computation per key at a time.

Fits are pure functions of their inputs (history, space, options, seed), so caching them by a
content digest never changes an answer; it only saves work. While a value is being computed,
other threads asking for the same key wait for it instead of computing it again (concurrent
suggestions on one snapshot pay for one fit). An error is passed to every waiter and nothing
is cached, so the next request tries again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


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

    def peek(self, key: str) -> T | None:
        """The cached value for ``key``, or None (never computes, never waits)."""
        with self._lock:
            return self._done.get(key)

    def clear(self) -> None:
        """Forget every cached value (running computations finish undisturbed)."""
        with self._lock:
            self._done.clear()
