"""The trial lifecycle in one place: an explicit transition table (pure: no database).

    pending --hand_out--> running --report--> complete          (end_reason reported)
       ^                    |  \\--fail----> failed             (end_reason failed)
       |                    |  \\--prune---> pruned             (end_reason pruned)
       |                    \\--expire--> stale --hand_out--> running (a retry)
       |                                   \\--give_up--> failed (end_reason lease_expired)
       \\--release-- running or stale, never started: a worker gives the trial back

A trial's *status* is its state plus, once finished, why it ended: ``failed`` by the
worker and ``failed`` because the lease ran out too often are different rows of the
table (a late report completes the second, never the first). The service modules ask
``check`` what an event does to a trial and build the new trial with ``moved``; nothing
parses ``failure_reason`` text.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeAlias

from hpo_service.domain import EndReason, Trial, TrialState
from hpo_service.errors import InvalidTransition, TrialAlreadyFinished


class Event(enum.StrEnum):
    """Something that happens to a trial."""

    HAND_OUT = "hand_out"  # suggest gives a queued or stale trial to a worker
    EXPIRE = "expire"  # its lease ran out
    GIVE_UP = "give_up"  # a stale trial ran out of retries
    RENEW = "renew"  # heartbeat or intermediate report: the worker is alive
    REPORT = "report"  # a final value
    FAIL = "fail"  # the worker says it failed
    PRUNE = "prune"  # the worker stopped it early
    RELEASE = "release"  # the worker gives back a trial it never started (queued again)


class Verdict(enum.Enum):
    """What the table says about an event in a status."""

    MOVE = "move"  # go to the rule's target state
    SAME = "same"  # an idempotent repeat: answer the trial as it is
    SAME_VALUE = "same_value"  # a repeat if the value is the stored one, else FINISHED
    FINISHED = "finished"  # refused: the trial already has an outcome
    UNSTARTED = "unstarted"  # refused: the trial was never handed out
    INVALID = "invalid"  # refused: the event makes no sense in this status


@dataclasses.dataclass(frozen=True)
class Rule:
    """One cell of the table: a verdict and, for MOVE, the target state and end reason."""

    verdict: Verdict
    target: TrialState | None = None
    end_reason: EndReason | None = None


Status: TypeAlias = tuple[TrialState, EndReason | None]

S, E, R = TrialState, Event, EndReason
PENDING: Status = (S.PENDING, None)
RUNNING: Status = (S.RUNNING, None)
STALE: Status = (S.STALE, None)
COMPLETE: Status = (S.COMPLETE, R.REPORTED)
FAILED: Status = (S.FAILED, R.FAILED)
GAVE_UP: Status = (S.FAILED, R.LEASE_EXPIRED)
PRUNED: Status = (S.PRUNED, R.PRUNED)

_RUN = Rule(Verdict.MOVE, S.RUNNING)
_QUEUE = Rule(Verdict.MOVE, S.PENDING)
_DONE = Rule(Verdict.MOVE, S.COMPLETE, R.REPORTED)
_FAIL = Rule(Verdict.MOVE, S.FAILED, R.FAILED)
_PRUNE = Rule(Verdict.MOVE, S.PRUNED, R.PRUNED)
_SAME = Rule(Verdict.SAME)
_FINISHED = Rule(Verdict.FINISHED)
_UNSTARTED = Rule(Verdict.UNSTARTED)

TABLE: dict[tuple[Status, Event], Rule] = {
    (PENDING, E.HAND_OUT): _RUN,
    (PENDING, E.RENEW): _UNSTARTED,
    (PENDING, E.REPORT): _UNSTARTED,
    (PENDING, E.FAIL): _FAIL,
    (PENDING, E.PRUNE): _UNSTARTED,
    (PENDING, E.RELEASE): _SAME,
    (RUNNING, E.EXPIRE): Rule(Verdict.MOVE, S.STALE),
    (RUNNING, E.RENEW): _RUN,
    (RUNNING, E.REPORT): _DONE,
    (RUNNING, E.FAIL): _FAIL,
    (RUNNING, E.PRUNE): _PRUNE,
    (RUNNING, E.RELEASE): _QUEUE,
    (STALE, E.HAND_OUT): _RUN,
    (STALE, E.GIVE_UP): Rule(Verdict.MOVE, S.FAILED, R.LEASE_EXPIRED),
    (STALE, E.RENEW): _RUN,
    (STALE, E.REPORT): _DONE,  # a late report is recorded
    (STALE, E.FAIL): _FAIL,
    (STALE, E.PRUNE): _PRUNE,
    (STALE, E.RELEASE): _QUEUE,
    (COMPLETE, E.RENEW): _FINISHED,
    (COMPLETE, E.REPORT): Rule(Verdict.SAME_VALUE),
    (COMPLETE, E.FAIL): _FINISHED,
    (COMPLETE, E.RELEASE): _FINISHED,
    (COMPLETE, E.PRUNE): _FINISHED,
    (FAILED, E.RENEW): _FINISHED,
    (FAILED, E.REPORT): _FINISHED,
    (FAILED, E.FAIL): _SAME,
    (FAILED, E.RELEASE): _FINISHED,
    (FAILED, E.PRUNE): _FINISHED,
    (GAVE_UP, E.RENEW): _FINISHED,
    (GAVE_UP, E.REPORT): _DONE,  # nothing measured is thrown away
    (GAVE_UP, E.FAIL): _SAME,
    (GAVE_UP, E.RELEASE): _FINISHED,
    (GAVE_UP, E.PRUNE): _PRUNE,  # a late prune keeps the curve and its last value
    (PRUNED, E.RENEW): _FINISHED,
    (PRUNED, E.REPORT): _DONE,  # a final value is never thrown away
    (PRUNED, E.FAIL): _FINISHED,
    (PRUNED, E.RELEASE): _FINISHED,
    (PRUNED, E.PRUNE): _SAME,
}

# Events only the worker holding the trial may send, in the states where it is held.
HOLDER_ONLY: dict[Event, frozenset[TrialState]] = {
    E.RENEW: frozenset({S.RUNNING, S.STALE}),
    E.FAIL: frozenset({S.RUNNING}),
    E.PRUNE: frozenset({S.RUNNING}),
    E.RELEASE: frozenset({S.RUNNING, S.STALE}),
}


def status(trial: Trial) -> Status:
    """A trial's row in the table: its state and, once finished, why it ended."""
    if not trial.state.finished:
        return (trial.state, None)
    reason = trial.end_reason
    if reason is None:  # rows written before end_reason existed
        reason = {S.COMPLETE: R.REPORTED, S.PRUNED: R.PRUNED}.get(trial.state, R.FAILED)
    return (trial.state, reason)


def rule(trial: Trial, event: Event) -> Rule:
    """The table's cell for this trial and event (INVALID where the table has none)."""
    return TABLE.get((status(trial), event), Rule(Verdict.INVALID))


def check(trial: Trial, event: Event, worker_id: str | None = None, value: Any = None) -> Rule:
    """The rule that applies, or raise the error a refused event deserves.

    Returns a MOVE rule (build the new trial with ``moved``) or SAME (answer as is).
    """
    where = f"trial {trial.number} of {trial.study!r}"
    found = rule(trial, event)
    if found.verdict is Verdict.SAME_VALUE:
        if _same_outcome(trial, value):
            return _SAME
        stored = trial.value if not isinstance(value, Mapping) else trial.values
        raise TrialAlreadyFinished(
            f"{where} is already complete with value {stored}; "
            f"a different value ({value}) cannot replace it"
        )
    if found.verdict is Verdict.FINISHED:
        raise TrialAlreadyFinished(_finished_message(where, trial, event))
    if found.verdict is Verdict.UNSTARTED:
        raise InvalidTransition(
            f"{where} is queued and was never handed out; ask for it with POST "
            ".../suggestions, or record results with POST .../trials"
        )
    if found.verdict is Verdict.INVALID:
        raise InvalidTransition(f"{where} is {trial.state.value}; it cannot {event.value}")
    _check_holder(trial, event, worker_id, where)
    return found


def _same_outcome(trial: Trial, value: Any) -> bool:
    """Whether a repeated report carries the stored outcome (values by name, or the value)."""
    if not isinstance(value, Mapping):
        return bool(trial.value == value)
    if trial.values is None:  # a row written before values existed: {metric: value}
        return len(value) == 1 and trial.value == next(iter(value.values()))
    return bool(dict(trial.values) == dict(value))


def _finished_message(where: str, trial: Trial, event: Event) -> str:
    if trial.state is S.COMPLETE:
        return f"{where} is already complete with value {trial.value}; stop working on it"
    if trial.state is S.PRUNED:
        return f"{where} was already pruned at step {trial.pruned_step}; stop working on it"
    if event is E.REPORT:
        return (
            f"{where} was reported failed ({trial.failure_reason}); "
            "record a new evaluation with POST .../trials instead"
        )
    return f"{where} is already {trial.state.value}; stop working on it"


def _check_holder(trial: Trial, event: Event, worker_id: str | None, where: str) -> None:
    states = HOLDER_ONLY.get(event, frozenset())
    other = trial.worker_id
    if worker_id and other and worker_id != other and trial.state in states:
        raise InvalidTransition(
            f"{where} is held by worker {other!r}, not {worker_id!r} (it was handed out "
            "again after a lease ran out or a release); only the worker holding it can do "
            "that, but a report from either is still recorded"
        )


def moved(trial: Trial, found: Rule, now: datetime, **changes: Any) -> Trial:
    """The trial after a MOVE rule: new state, end reason and ``changes``.

    Finishing clears the lease and stamps ``finished_at``; ``changes`` win over both.
    """
    assert found.verdict is Verdict.MOVE and found.target is not None
    fields: dict[str, Any] = {"state": found.target, "end_reason": found.end_reason}
    if found.target.finished:
        fields.update(finished_at=now, lease_expires_at=None)
    fields.update(changes)
    return dataclasses.replace(trial, **fields)
