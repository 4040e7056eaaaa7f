"""The worker loop: suggest -> train -> report, robust to signals, outages and lost leases.

- The lease is kept alive by the client's heartbeat thread while the model trains.
- A first SIGTERM / SIGINT lets the current trial finish and be reported, then the worker
  stops; a second one aborts training and reports the trial as failed.
- When the service is unreachable the worker waits with exponential backoff and carries on;
  a measured value is retried until the service takes it (reports are idempotent).
- 409 budget-exhausted while other trials are still out: the worker waits, because a trial
  whose worker died goes stale and is offered again; it stops once the study is completed,
  paused, or has nothing left to hand out.
- Every epoch's value is reported as an intermediate value, pipelined behind training
  (``curve_reports.py``); when the service answers that the trial should stop (the study's
  pruner), training stops and the trial ends as pruned.
- An error that is not about the configuration (missing data, a broken install) stops the
  worker with its message; the trial is left to its lease, which runs out and re-offers it,
  instead of being failed as if the configuration were at fault.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from hpo_service.client import (
    Client,
    RunningTrial,
    ServiceUnavailable,
    StudyHandle,
)
from hpo_service.domain import Study, StudyState, Trial, TrialState
from hpo_service.errors import (
    BudgetExhausted,
    HpoError,
    StudyNotRunning,
    TrialAlreadyFinished,
)
from trainer.curve_reports import PipelinedReports, curve_reporter, retry_policy
from trainer.environment import EnvironmentProblem
from trainer.objectives import DEFAULT_MAX_ITER, Problem, Result, get_problem
from trainer.objectives.registry import EpochCallback

log = logging.getLogger("trainer.worker")
UNFINISHED = (TrialState.PENDING, TrialState.RUNNING, TrialState.STALE)


class Aborted(BaseException):
    """A second stop signal: abandon the current trial (it is reported as failed)."""


class CannotTrain(HpoError):
    """This worker cannot train anything (missing data, broken install): it stops."""

    code = "worker-cannot-train"


@dataclass(frozen=True)
class WorkerConfig:
    """What one worker process needs: where, which study and problem, and how to train."""

    server: str
    study: str
    problem: str
    worker_id: str = ""
    folds: int = 5
    max_iter: int = DEFAULT_MAX_ITER
    seed: int = 0
    repeats: int = 1
    report_curve: bool = True
    pipeline_reports: bool = True  # per-epoch reports sent while the next epoch trains
    data_path: str | None = None
    max_backoff: float = 10.0
    parent_pid: int | None = None


@dataclass
class WorkerStats:
    """What a worker did: trials completed and failed by it."""

    completed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    pruned: list[int] = field(default_factory=list)


class StopSignal:
    """Counts SIGTERM / SIGINT: the first asks to stop after the trial, the second aborts it."""

    def __init__(self) -> None:
        self.received = 0
        self.event = threading.Event()

    @property
    def requested(self) -> bool:
        """True once a stop was asked for."""
        return self.event.is_set()

    def install(self, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> dict[int, Any]:
        """Handle the given signals in this (main) thread; return the previous handlers."""
        return {number: signal.signal(number, self._handle) for number in signals}

    def request(self) -> None:
        """Ask the worker to stop after its current trial."""
        self.event.set()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self.received += 1
        self.event.set()
        if self.received >= 2:
            raise Aborted(f"worker stopped by a second {signal.Signals(number).name}")
        log.warning("%s: finishing the current trial, then stopping", signal.Signals(number).name)


def default_worker_id() -> str:
    """host-pid: unique enough across machines and processes."""
    return f"{socket.gethostname()}-{os.getpid()}"


def run_worker(config: WorkerConfig, stop: StopSignal, client: Client | None = None) -> WorkerStats:
    """Work on the study until it is finished, not running, or a stop is requested."""
    own = client is None
    client = client or Client(config.server, max_backoff=config.max_backoff)
    loop = _Loop(client.study(config.study), get_problem(config.problem), config, stop)
    try:
        while not stop.requested and not _orphaned(config) and loop.step():
            pass
    finally:
        loop.study.release_ahead(loop.worker_id)  # a trial taken with the last report
        if own:
            client.close()
    return loop.stats


class _Loop:
    """One worker's state between trials: its study, problem, stop signal and outage count."""

    def __init__(
        self, study: StudyHandle, problem: Problem, config: WorkerConfig, stop: StopSignal
    ) -> None:
        self.study = study
        self.problem = problem
        self.config = config
        self.stop = stop
        self.stats = WorkerStats()
        self.outages = 0
        self.worker_id = config.worker_id or default_worker_id()

    def step(self) -> bool:
        """Work on one trial, or wait; False once the worker should stop."""
        try:
            trial = _work_one(self.study, self.problem, self.config, self.worker_id, self._more)
        except StudyNotRunning as exc:
            log.info("stopping: %s", exc)
            return False
        except BudgetExhausted as exc:
            return self._wait_for_stale(exc)
        except ServiceUnavailable as exc:
            self._back_off(exc)
            return True
        self.outages = 0
        if trial is not None:
            self._count(trial)
        return True

    def _more(self) -> bool:
        """Whether this worker goes on after the trial it reports (then the report takes
        the next trial in the same request; one taken when the loop stops after all, e.g.
        its parent died, is released on the way out)."""
        return not self.stop.requested

    def _count(self, trial: Trial) -> None:
        by_state = {TrialState.COMPLETE: self.stats.completed, TrialState.PRUNED: self.stats.pruned}
        by_state.get(trial.state, self.stats.failed).append(trial.number)

    def _wait_for_stale(self, exc: BudgetExhausted) -> bool:
        """Budget used: wait while other trials are out (they may go stale), else stop."""
        try:
            finished = _nothing_left(self.study)
        except ServiceUnavailable as error:
            self._back_off(error)
            return True
        if finished:
            log.info("stopping: %s", exc)
            return False
        self.stop.event.wait(_poll_interval(self.study))
        return True

    def _back_off(self, exc: ServiceUnavailable) -> None:
        wait = retry_policy(self.config.max_backoff).delay(self.outages)
        self.outages += 1
        log.warning("service unreachable (%s); trying again in %.1f s", exc, wait)
        self.stop.event.wait(wait)


def _orphaned(config: WorkerConfig) -> bool:
    orphaned = config.parent_pid is not None and os.getppid() != config.parent_pid
    if orphaned:
        log.warning("the parent process is gone; stopping")
    return orphaned


def _nothing_left(study: StudyHandle) -> bool:
    summary = study.summary()
    if summary.study.state is not StudyState.RUNNING:
        return True
    return sum(summary.counts.get(s, 0) for s in UNFINISHED) == 0


def _poll_interval(study: StudyHandle) -> float:
    return max(0.2, min(2.0, study.definition.lease_seconds / 3.0))


ENVIRONMENT_ERRORS = (EnvironmentProblem, ImportError, MemoryError, OSError)
"""Exceptions that say the machine cannot train, whatever the configuration."""


def _work_one(
    study: StudyHandle,
    problem: Problem,
    config: WorkerConfig,
    worker_id: str,
    more: Callable[[], bool],
) -> Trial | None:
    """Suggest one trial (or take the one the last report took), train it and report;
    an objective error fails the trial. The report takes the next trial if ``more()``."""
    with study.trial(worker_id=worker_id) as trial:
        log.info("trial %d: training %s", trial.number, trial.params)
        try:
            result = _train(trial, problem, config)
        except ENVIRONMENT_ERRORS as exc:
            trial.abandon()
            raise CannotTrain(
                f"{type(exc).__name__}: {exc} (trial {trial.number} was not failed: its lease "
                "runs out and it is offered again once this is fixed)"
            ) from exc
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("trial %d failed: %s", trial.number, reason)
            _deliver(trial, lambda: trial.fail(reason), config.max_backoff)
            return trial.result
        if result.pruned:
            _deliver(trial, lambda: trial.prune(result.metrics), config.max_backoff)
            log.info("trial %d pruned after %s epochs", trial.number, result.metrics.get("epochs"))
            return trial.result
        try:
            values = study_values(study.definition, result.value, result.metrics)
        except ValueError as exc:
            unmeasured = str(exc)
            _deliver(trial, lambda: trial.fail(unmeasured), config.max_backoff)
            return trial.result
        if _deliver(trial, lambda: _report(trial, result.value, values, result.metrics, more()),
                    config.max_backoff):  # fmt: skip
            log.info("reported trial %d value=%r", trial.number, result.value)
    return trial.result


def _train(trial: RunningTrial, problem: Problem, config: WorkerConfig) -> Result:
    """Train the trial's configuration, reporting its learning curve as configured."""

    def evaluate(on_epoch: EpochCallback | None) -> Result:
        return problem.evaluate(
            trial.params,
            folds=config.folds,
            seed=config.seed,
            max_iter=config.max_iter,
            data_path=config.data_path,
            repeats=config.repeats,
            on_epoch=on_epoch,
        )

    if not config.report_curve:
        return evaluate(None)
    send = curve_reporter(trial, config.max_backoff)
    if not config.pipeline_reports:
        return evaluate(send)
    with PipelinedReports(send, name=f"trial-{trial.number}-reports") as reports:
        return evaluate(reports)


def study_values(study: Study, value: float, metrics: Mapping[str, Any]) -> dict[str, float] | None:
    """For a study that measures several metrics: the first objective is the problem's
    value, every other objective or constrained metric is read from the recorded metrics
    by name (``fit_seconds``, ``n_weights``, ``roc_auc``, ...). None for one metric."""
    names = study.metric_names
    if len(names) == 1:
        return None
    first = study.objectives[0].name
    numeric = {
        k: float(v)
        for k, v in metrics.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    missing = [n for n in names if n != first and n not in numeric]
    if missing:
        raise ValueError(
            f"study {study.name!r} measures {missing}, which this trainer does not record; "
            f"it records {sorted(numeric)}"
        )
    return {n: float(value) if n == first else numeric[n] for n in names}


def _report(
    trial: RunningTrial,
    value: float,
    values: dict[str, float] | None,
    metrics: Any,
    take_next: bool,
) -> Trial:
    if values is None:
        return trial.report(value, metrics, take_next=take_next)
    return trial.report(metadata=metrics, values=values, take_next=take_next)


def _deliver(trial: RunningTrial, send: Callable[[], Trial], max_backoff: float) -> bool:
    """Send a report or failure until the service takes it (False: another outcome won)."""
    attempt = 0
    while True:
        try:
            send()
            return True
        except TrialAlreadyFinished as exc:
            trial.result = trial.study.get_trial(trial.number)
            log.warning("trial %d: %s", trial.number, exc)
            return False
        except ServiceUnavailable as exc:
            log.warning("trial %d: outcome not delivered (%s); retrying", trial.number, exc)
            time.sleep(retry_policy(max_backoff).delay(attempt))
            attempt += 1


def run_in_process(config: WorkerConfig, on_stop: Callable[[], None] | None = None) -> WorkerStats:
    """Run one worker in this process with signal handling (the ``--workers 1`` path)."""
    stop = StopSignal()
    previous = stop.install()
    try:
        return run_worker(config, stop)
    except Aborted as exc:
        log.warning("%s; the trial was reported as failed", exc)
        raise SystemExit(130) from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if on_stop is not None:
            on_stop()


def child_main(config: WorkerConfig, verbosity: int) -> None:
    """Entry of a worker process started by ``hpo-trainer work --workers N``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent forwards Ctrl-C as SIGTERM
    from trainer.logs import configure_logging

    configure_logging(verbosity)
    stop = StopSignal()
    stop.install((signal.SIGTERM,))
    try:
        stats = run_worker(config, stop)
    except Aborted as exc:
        log.warning("%s", exc)
        raise SystemExit(130) from None
    except HpoError as exc:
        log.error("worker stopped: %s", exc)
        raise SystemExit(2) from None
    log.info("worker done: %d complete, %d failed", len(stats.completed), len(stats.failed))
