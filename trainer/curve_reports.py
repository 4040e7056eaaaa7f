"""A trial's per-epoch reports: sent in step with training, or pipelined behind it.

The objective calls ``on_epoch(step, value)`` after every epoch and stops when it answers
True. ``curve_reporter`` sends each report and waits for the answer: the epoch after it
starts only once the service has answered, so every round trip is time the worker does not
train. ``PipelinedReports`` sends them from a thread of their own while the next epoch
trains: the answer to epoch k stops training at epoch k + 1 (k + 2 at worst, when the
service is slower than an epoch), and at most one report waits behind the one in flight, so
training never runs further ahead. Points after the service said stop are not sent: the
pruned trial's value stays the one the pruner judged.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from types import TracebackType

from hpo_service.client import RetryPolicy, RunningTrial, ServiceUnavailable
from hpo_service.errors import TrialAlreadyFinished

log = logging.getLogger("trainer.worker")
EpochCallback = Callable[[int, float], bool]


def retry_policy(max_backoff: float) -> RetryPolicy:
    """The client's retry policy (one backoff rule everywhere), capped at ``max_backoff``."""
    return RetryPolicy(max_backoff=max_backoff)


def curve_reporter(trial: RunningTrial, max_backoff: float) -> EpochCallback:
    """The objective's per-epoch callback: report the value, answer whether to stop.

    An outage does not stop training: the point is skipped after a few tries (the final
    value is what counts) and the trial trains on.
    """

    def report(step: int, value: float) -> bool:
        for attempt in range(3):
            try:
                return trial.report_intermediate(step, value)
            except ServiceUnavailable as exc:
                log.warning("trial %d: epoch %d not reported (%s)", trial.number, step, exc)
                time.sleep(retry_policy(max_backoff).delay(attempt))
            except TrialAlreadyFinished:
                return True  # finished elsewhere (a late duplicate): stop spending time on it
        return False

    return report


class PipelinedReports:
    """The per-epoch callback with the round trips off the training path (a context manager:
    leaving it waits until every report taken has been sent, so the trial's final report or
    prune comes after its whole curve)."""

    def __init__(self, send: EpochCallback, name: str = "curve-reports") -> None:
        self._send = send
        self._points: queue.Queue[tuple[int, float] | None] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def __call__(self, step: int, value: float) -> bool:
        """Queue the point (waiting while one report is in flight and one queued); answer
        whether an earlier report was told to stop."""
        if not self._stop.is_set():
            self._points.put((step, value))
        return self._stop.is_set()

    def _run(self) -> None:
        while (point := self._points.get()) is not None:
            if self._stop.is_set():
                continue  # told to stop: the later points are not sent
            try:
                if self._send(*point):
                    self._stop.set()
            except BaseException as exc:
                self._error = exc
                self._stop.set()

    def _finish(self) -> None:
        """Send what is queued, then end the thread."""
        self._points.put(None)
        self._thread.join()

    def close(self) -> None:
        """Send what is queued, then end the thread; re-raise what sending raised."""
        self._finish()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> PipelinedReports:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._finish()  # training failed: its error wins over one from sending
