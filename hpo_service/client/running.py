"""A trial being worked on: its lease kept alive by a background heartbeat thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from hpo_service.domain import Params, Trial
from hpo_service.errors import Conflict, HpoError

log = logging.getLogger("hpo_service.client")


class Heartbeat:
    """A daemon thread that calls ``beat()`` every ``interval`` seconds until stopped."""

    def __init__(self, beat: Callable[[], object], interval: float, name: str) -> None:
        self.interval = interval
        self.beats = 0
        self.errors = 0
        self.lost: HpoError | None = None
        self._beat = beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start beating."""
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to stop and wait a little for it (it is a daemon either way)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._beat()
                self.beats += 1
            except Conflict as exc:
                # Finished, or handed to another worker after our lease ran out: a report
                # from us is still recorded, so keep working but stop extending the lease.
                self.lost = exc
                log.warning("heartbeat stopped: %s", exc)
                return
            except HpoError as exc:
                self.errors += 1
                log.warning("heartbeat failed (will try again): %s", exc)


class TrialPruned(Exception):
    """Raise inside ``with study.trial() as trial`` to end the trial as pruned."""


class RunningTrial:
    """A handed-out trial inside ``with study.trial() as trial``: read params, then report."""

    def __init__(self, study: Any, trial: Trial, worker_id: str | None) -> None:
        self.study = study
        self.trial = trial
        self.worker_id = worker_id
        self.result: Trial | None = None
        self.heartbeat: Heartbeat | None = None
        self.stop_reason: str | None = None
        self.abandoned = False
        self._should_stop = False

    @property
    def number(self) -> int:
        """The trial's number within its study."""
        return self.trial.number

    @property
    def params(self) -> Params:
        """The configuration to evaluate."""
        return self.trial.params

    @property
    def lease_expires_at(self) -> datetime | None:
        """When the lease ran out as of the suggestion (server clock)."""
        return self.trial.lease_expires_at

    @property
    def finished(self) -> bool:
        """True once the trial was reported, failed or pruned through this handle."""
        return self.result is not None

    @property
    def should_stop(self) -> bool:
        """True once the service answered that this trial should stop (it stays True)."""
        return self._should_stop

    def report_intermediate(self, step: int, value: float) -> bool:
        """Report a value at a training step (renews the lease); True means stop now.

        Stopping is up to the caller: end the ``with`` body without reporting (or raise
        TrialPruned) and the trial ends as pruned; a final report still completes it.
        """
        decision = self.study.report_intermediate(self.number, step, value, self.worker_id)
        self.trial = decision.trial
        if decision.should_stop and not self._should_stop:
            self._should_stop = True
            self.stop_reason = decision.reason
        return self._should_stop

    def prune(self, metadata: Mapping[str, Any] | None = None) -> Trial:
        """End the trial as pruned at its last intermediate value and stop the heartbeat."""
        self._stop_heartbeat()
        self.result = self.study.prune(self.number, self.worker_id, metadata)
        return self.result

    def abandon(self) -> None:
        """Stop the heartbeat and leave the trial as it is: its lease runs out and the
        service offers it again (for a worker that cannot train, whatever the configuration)."""
        self._stop_heartbeat()
        self.abandoned = True

    def report(
        self,
        value: float | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        values: Mapping[str, float] | None = None,
        take_next: bool = False,
    ) -> Trial:
        """Report the trial's value, or ``values`` by name (idempotent, retried), and stop
        the heartbeat. ``take_next``: the same request hands this worker its next trial,
        which the next ``with study.trial()`` of this worker starts without asking."""
        self._stop_heartbeat()
        self.result = self.study.report(
            self.number, value, metadata, self.worker_id, values=values, next=int(take_next)
        )
        return self.result

    def fail(self, reason: str) -> Trial:
        """Report the trial as failed with a reason and stop the heartbeat."""
        self._stop_heartbeat()
        self.result = self.study.fail(self.number, reason, self.worker_id)
        return self.result

    def _stop_heartbeat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()


class TrialContext:
    """``with study.trial(worker_id=...) as trial``: suggest, heartbeat, fail on error.

    A body that ends without reporting after ``should_stop`` was answered, or that
    raises TrialPruned (which is then swallowed), ends the trial as pruned.
    """

    def __init__(self, study: Any, worker_id: str | None, interval: float | None) -> None:
        self.study = study
        self.worker_id = worker_id
        self.interval = interval
        self.running: RunningTrial | None = None

    def __enter__(self) -> RunningTrial:
        # The lease length first: nothing may fail between the suggest and the heartbeat.
        interval = self.interval or max(0.1, self.study.definition.lease_seconds / 3.0)
        handed = self.study.suggest(1, worker_id=self.worker_id)[0]
        running = RunningTrial(self.study, handed, self.worker_id)
        number, worker = handed.number, self.worker_id
        running.heartbeat = Heartbeat(
            lambda: self.study.heartbeat(number, worker_id=worker, retries=0),
            interval,
            name=f"hpo-heartbeat-{self.study.name}-{number}",
        )
        running.heartbeat.start()
        self.running = running
        return running

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> bool:
        running = self.running
        assert running is not None
        running._stop_heartbeat()
        pruned = isinstance(exc, TrialPruned)
        if running.finished or running.abandoned:
            return pruned
        try:
            if pruned or (exc is None and running.should_stop):
                running.prune()
            else:
                running.fail(_reason(exc))
        except HpoError as error:
            log.warning("could not end trial %d: %s", running.number, error)
        return pruned


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "the trial body ended without reporting a value"
    return f"{type(exc).__name__}: {exc}"[:MAX_REASON]


MAX_REASON = 10_000
