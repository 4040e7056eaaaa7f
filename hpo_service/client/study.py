"""A handle on one study: suggest, report, fail, heartbeat, queue, list, best, optimise."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hpo_service.client.running import MAX_REASON, TrialContext, TrialPruned
from hpo_service.domain import Params, ParetoFront, Study, StudySummary, Trial, TrialState
from hpo_service.errors import (
    BudgetExhausted,
    HpoError,
    InvalidRequest,
    InvalidValue,
    StudyNotRunning,
    TrialNotFound,
)
from hpo_service.wire import (
    decode_time,
    finite_value,
    pareto_from_json,
    study_from_json,
    trial_from_json,
)

if TYPE_CHECKING:
    from hpo_service.client.http import Http

log = logging.getLogger("hpo_service.client")

Objective = Callable[[Params], float | Mapping[str, float]]
MAX_AHEAD = 64  # the most trials a report may take ahead ("next")
StateFilter = TrialState | str | Iterable[TrialState | str] | None


def summary_from_json(data: Mapping[str, Any]) -> StudySummary:
    """Decode a study body with trial counts, best value and last activity."""
    counts = {TrialState(k): int(v) for k, v in (data.get("trial_counts") or {}).items()}
    return StudySummary(
        study=study_from_json(data),
        counts=counts,
        best_value=data.get("best_value"),
        best_number=data.get("best_trial"),
        last_activity=decode_time(data.get("last_activity")),
    )


@dataclass(frozen=True)
class Ranked:
    """A complete trial as ``GET .../ranking`` gives it: its value and the GP's posterior."""

    number: int
    value: float
    posterior_mean: float
    posterior_sd: float
    params: Params


@dataclass(frozen=True)
class StopDecision:
    """The answer to an intermediate report: stop now (then prune) or go on, and why."""

    should_stop: bool
    reason: str | None
    trial: Trial


def _states_query(state: StateFilter) -> str | None:
    if state is None:
        return None
    if isinstance(state, str):
        return TrialState(state).value
    return ",".join(TrialState(s).value for s in state)


class StudyHandle:
    """Operations on one study by name; every call is one HTTP request (with retries)."""

    def __init__(self, http: Http, name: str, summary: StudySummary | None = None) -> None:
        self._http = http
        self.name = name
        self._summary = summary
        self._path = f"/api/v1/studies/{quote(name, safe='')}"
        self._ahead: dict[str | None, list[Trial]] = {}  # handed out with a report, per worker
        self._ahead_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"StudyHandle({self.name!r})"

    @property
    def definition(self) -> Study:
        """The study's definition (fetched once, then cached)."""
        if self._summary is None:
            self.summary()
        assert self._summary is not None
        return self._summary.study

    def summary(self) -> StudySummary:
        """Fetch the study now: definition, state, trial counts per state, best value."""
        self._summary = summary_from_json(self._http.request("GET", self._path))
        return self._summary

    def set_state(self, state: str) -> StudySummary:
        """Pause, resume or complete the study (``paused`` | ``running`` | ``completed``)."""
        body = self._http.request("PATCH", self._path, json={"state": state})
        self._summary = summary_from_json(body)
        return self._summary

    def suggest(self, count: int = 1, worker_id: str | None = None) -> list[Trial]:
        """Hand out up to ``count`` trials (raises BudgetExhausted / StudyNotRunning on 409).

        Retried like a safe request: if a retried suggest had succeeded server-side, that
        trial is never worked on, its lease runs out, and it is re-offered as stale.
        Trials a report already handed to this worker (``report(..., next=N)``) come
        first, without a request.
        """
        handed = self._take_ahead(worker_id, count)
        if len(handed) == count:
            return handed
        body: dict[str, Any] = {"count": count - len(handed)}
        if worker_id:
            body["worker_id"] = worker_id
        try:
            answer = self._http.request("POST", f"{self._path}/suggestions", json=body)
        except HpoError:
            if handed:
                return handed
            raise
        return handed + [trial_from_json(t) for t in answer["trials"]]

    def _take_ahead(self, worker_id: str | None, count: int) -> list[Trial]:
        """Up to ``count`` trials a report already handed to this worker (``next``)."""
        with self._ahead_lock:
            waiting = self._ahead.get(worker_id, [])
            taken, self._ahead[worker_id] = waiting[:count], waiting[count:]
        return taken

    def release(self, number: int, worker_id: str | None = None) -> Trial:
        """Give back a handed-out trial that was never started: the service queues it
        again for the next worker (idempotent; refused once it has intermediate values)."""
        body = {"worker_id": worker_id} if worker_id else {}
        return self._trial_post(number, "release", body)

    def release_ahead(self, worker_id: str | None = None) -> list[int]:
        """Release every trial a report handed to this worker ahead (``next``) that it has
        not taken; call it when the worker stops. Returns their numbers; a trial that
        cannot be released (the service is unreachable...) keeps its lease, which runs out."""
        released = []
        for trial in self._take_ahead(worker_id, MAX_AHEAD):
            try:
                released.append(self.release(trial.number, worker_id).number)
            except HpoError as exc:
                log.warning("could not release trial %d: %s", trial.number, exc)
        return released

    def report(
        self,
        number: int,
        value: float | None = None,
        metadata: Mapping[str, Any] | None = None,
        worker_id: str | None = None,
        *,
        values: Mapping[str, float] | None = None,
        next: int = 0,
    ) -> Trial:
        """Record a trial's value, or ``values`` by objective / constrained metric name;
        idempotent on the server, so retries never double-count.

        ``next=N`` also hands up to N trials to ``worker_id`` in the same request; the next
        ``suggest`` for that worker (or ``with study.trial()``) takes them first, and
        ``release_ahead`` gives back those not taken. A report retried after a lost answer
        hands out again: the first ones run out their lease and are offered again.
        """
        body = _outcome(value, values)
        if metadata:
            body["metadata"] = dict(metadata)
        if worker_id:
            body["worker_id"] = worker_id
        if next:
            body["next"] = next
        path = f"{self._path}/trials/{number}/report"
        answer = self._http.request("POST", path, json=body)
        if answer.get("next"):
            with self._ahead_lock:
                waiting = self._ahead.setdefault(worker_id, [])
                waiting += [trial_from_json(t) for t in answer["next"]]
        return trial_from_json(answer)

    def fail(self, number: int, reason: str, worker_id: str | None = None) -> Trial:
        """Mark a trial failed with a reason (idempotent; refused if another worker holds it)."""
        body: dict[str, Any] = {"reason": reason}
        if worker_id:
            body["worker_id"] = worker_id
        return self._trial_post(number, "fail", body)

    def report_intermediate(
        self, number: int, step: int, value: float, worker_id: str | None = None
    ) -> StopDecision:
        """Record a value at a training step (renews the lease); answer whether to stop.

        Idempotent: a retried report of the same step and value gets the same kind of
        answer. Raises StepConflict (same step, other value), StepOutOfOrder (a step
        below the last one), TrialAlreadyFinished or InvalidValue (not finite).
        """
        body: dict[str, Any] = {"step": step, "value": finite_value(value, "intermediate value")}
        if worker_id:
            body["worker_id"] = worker_id
        path = f"{self._path}/trials/{number}/intermediate"
        answer = self._http.request("POST", path, json=body)
        return StopDecision(
            bool(answer.get("should_stop")), answer.get("reason"), trial_from_json(answer)
        )

    def prune(
        self,
        number: int,
        worker_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Trial:
        """End a trial as pruned: its value is its last intermediate value (idempotent);
        ``metadata`` (e.g. epochs trained) is merged into the trial's."""
        body: dict[str, Any] = {"worker_id": worker_id} if worker_id else {}
        if metadata:
            body["metadata"] = dict(metadata)
        return self._trial_post(number, "prune", body)

    def set_pruner(self, pruner: Mapping[str, Any]) -> StudySummary:
        """Change the study's pruner, e.g. ``{"name": "median", "n_startup_trials": 5}``."""
        body = self._http.request("PATCH", self._path, json={"pruner": dict(pruner)})
        self._summary = summary_from_json(body)
        return self._summary

    def heartbeat(
        self, number: int, worker_id: str | None = None, retries: int | None = None
    ) -> datetime | None:
        """Extend a trial's lease; return the new expiry (server clock)."""
        body = {"worker_id": worker_id} if worker_id else {}
        path = f"{self._path}/trials/{number}/heartbeat"
        answer = self._http.request("POST", path, json=body, retries=retries)
        return decode_time(answer.get("lease_expires_at"))

    def enqueue(self, params: Mapping[str, Any]) -> Trial:
        """Queue a configuration to be handed out before any new proposal."""
        return self._add({"params": dict(params)})

    def record(
        self,
        params: Mapping[str, Any],
        value: float | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        values: Mapping[str, float] | None = None,
    ) -> Trial:
        """Record a configuration evaluated elsewhere, with its value (or ``values`` by
        name), as a complete trial."""
        body: dict[str, Any] = {"params": dict(params), **_outcome(value, values)}
        if metadata:
            body["metadata"] = dict(metadata)
        return self._add(body)

    def annotate(self, number: int, metadata: Mapping[str, Any]) -> Trial:
        """Merge keys into a trial's metadata (PATCH; idempotent, so retried safely)."""
        path = f"{self._path}/trials/{number}"
        return trial_from_json(self._http.request("PATCH", path, json={"metadata": dict(metadata)}))

    def ask(self, worker_id: str | None = None) -> Trial:
        """Optuna-style: one running trial to evaluate; its configuration is ``trial.params``."""
        return self.suggest(1, worker_id=worker_id)[0]

    def tell(
        self, trial: Trial | int, value: float | None = None, state: str = "complete"
    ) -> Trial:
        """Optuna-style: finish an asked trial with its value, or ``state="fail"`` (no value)."""
        number = trial if isinstance(trial, int) else trial.number
        if state == "fail":
            return self.fail(number, "told failed")
        if state != "complete" or value is None:
            raise InvalidValue("tell needs a value, or state='fail' for a failed evaluation")
        return self.report(number, value)

    def get_trial(self, number: int) -> Trial:
        """One trial by number (raises TrialNotFound)."""
        return trial_from_json(self._http.request("GET", f"{self._path}/trials/{number}"))

    def trials(self, state: StateFilter = None, page_size: int = 100) -> Iterator[Trial]:
        """Every trial in number order (optionally only some states), page by page."""
        after: int | None = None
        while True:
            query: dict[str, Any] = {"limit": page_size}
            states = _states_query(state)
            if states:
                query["state"] = states
            if after is not None:
                query["after"] = after
            page = self._http.request("GET", f"{self._path}/trials", params=query)
            yield from (trial_from_json(t) for t in page["trials"])
            after = page.get("next_after")
            if after is None:
                return

    def best(self, by: str = "value") -> Trial | None:
        """The best feasible trial, or None. ``by``: ``value`` (best observed, the default),
        ``posterior`` (best GP posterior mean among evaluated configurations: the
        recommendation of a noisy study), ``rescore`` (hpo-trainer rescore's best), or
        ``recommended`` (the re-score if any, else the posterior mean). A study with several
        objectives has a front, not one best: use ``pareto()``."""
        try:
            answer = self._http.request("GET", f"{self._path}/best", params={"by": by})
        except TrialNotFound:
            return None
        if "hypervolume" in answer:
            raise InvalidRequest(
                f"study {self.name!r} has several objectives, so no single best trial; "
                "use pareto() for its Pareto front"
            )
        return trial_from_json(answer)

    def pareto(self) -> ParetoFront:
        """The feasible complete trials no other dominates, their hypervolume, the reference
        point and the hypervolume after each feasible trial."""
        return pareto_from_json(self._http.request("GET", f"{self._path}/pareto"))

    def ranking(self, limit: int = 10) -> list[Ranked]:
        """The complete trials ranked by the GP's posterior mean, best first (``limit``)."""
        answer = self._http.request("GET", f"{self._path}/ranking", params={"limit": limit})
        return [
            Ranked(int(t["number"]), float(t["value"]), float(t["posterior_mean"]),
                   float(t["posterior_sd"]), dict(t["params"]))
            for t in answer["trials"]
        ]  # fmt: skip

    def trial(
        self, worker_id: str | None = None, heartbeat_interval: float | None = None
    ) -> TrialContext:
        """Context manager: suggest one trial, heartbeat while the body runs, fail it on error."""
        return TrialContext(self, worker_id, heartbeat_interval)

    def optimize(
        self, objective: Objective, n_trials: int, n_workers: int = 1, worker_id: str = "optimize"
    ) -> list[Trial]:
        """Evaluate up to ``n_trials`` trials on ``n_workers`` threads; return the finished ones."""
        run = _Optimization(self, objective, n_trials)
        if n_workers <= 1:
            run.work(worker_id)
        else:
            with ThreadPoolExecutor(n_workers, thread_name_prefix="hpo-optimize") as pool:
                futures = [pool.submit(run.work, f"{worker_id}-{i}") for i in range(n_workers)]
                for future in futures:
                    future.result()
        return sorted(run.finished, key=lambda t: t.number)

    def _trial_post(self, number: int, action: str, body: Mapping[str, Any]) -> Trial:
        path = f"{self._path}/trials/{number}/{action}"
        return trial_from_json(self._http.request("POST", path, json=body))

    def _add(self, body: Mapping[str, Any]) -> Trial:
        answer = self._http.request("POST", f"{self._path}/trials", json=body, safe=False)
        return trial_from_json(answer)


def _outcome(value: float | None, values: Mapping[str, float] | None) -> dict[str, Any]:
    """The body of a report: ``value`` or ``values`` (checked finite here, by name there)."""
    if (value is None) == (values is None):
        raise InvalidValue("give a value (one objective) or values (by name), exactly one")
    if values is not None:
        return {"values": {str(k): finite_value(v, f"values[{k!r}]") for k, v in values.items()}}
    return {"value": finite_value(value)}


class _Optimization:
    """Shared state of one ``optimize`` call: a ticket counter and the finished trials."""

    def __init__(self, study: StudyHandle, objective: Objective, n_trials: int) -> None:
        self.study = study
        self.objective = objective
        self.left = n_trials
        self.finished: list[Trial] = []
        self._lock = threading.Lock()

    def _take(self) -> bool:
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True

    def work(self, worker_id: str) -> None:
        """Run trials until the tickets, the budget or the study's running state run out.

        A report that leaves a ticket for this worker takes its next trial in the same
        request; one taken but not run (the study stopped meanwhile) is released.
        """
        ticket = self._take()
        try:
            while ticket:
                try:
                    result, ticket = self._one(worker_id)
                except (BudgetExhausted, StudyNotRunning):
                    return
                if result is not None:
                    with self._lock:
                        self.finished.append(result)
        finally:
            self.study.release_ahead(worker_id)

    def _one(self, worker_id: str) -> tuple[Trial | None, bool]:
        """One trial; whether this worker holds a ticket for another."""
        ticket = False
        with self.study.trial(worker_id=worker_id) as trial:
            try:
                value = self.objective(trial.params)
            except TrialPruned:
                trial.prune()
            except Exception as exc:
                log.warning("trial %d failed in optimize: %s", trial.number, exc)
                trial.fail(f"{type(exc).__name__}: {exc}"[:MAX_REASON])
            else:
                ticket = self._take()
                if isinstance(value, Mapping):
                    trial.report(values=value, take_next=ticket)
                else:
                    trial.report(value, take_next=ticket)
        return trial.result, ticket or self._take()
