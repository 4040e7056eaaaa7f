"""Suggest: hand out trials atomically per study, with the strategy's work outside the lock.

1. Snapshot (read transaction): the study and its trials become a History.
2. Outside any lock: ``strategy.prepare`` (a GP fit) on that snapshot, skipped when the
   snapshot shows enough stale or queued trials to hand out.
3. Locked write transaction (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite):
   expire leases, re-offer stale trials (retries), hand out queued ones, check the budget,
   then ask the proposer for the rest, conditioning on every configuration that is not in
   the snapshot's finished set, and insert the new trials.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from hpo_service.domain import History, Observation, Params, Study, StudyState, Trial, TrialState
from hpo_service.errors import BudgetExhausted, HpoError, StudyNotRunning
from hpo_service.objectives import slacks_of
from hpo_service.optimisation import Proposer, Strategy, build_strategy
from hpo_service.optimisation.gp.memo import ByIdentity
from hpo_service.optimisation.random_search import RandomStrategy, can_repeat
from hpo_service.persistence import Database, LockedStudy, Repository
from hpo_service.service import lifecycle
from hpo_service.service.history_cache import HistoryCache, View
from hpo_service.service.lifecycle import Event
from hpo_service.service.measures import values_of
from hpo_service.service.studies import complete_if_done
from hpo_service.service.trials import Clock, read_first

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A study and its history as read before taking the lock."""

    study: Study
    history: History
    finished: frozenset[int]
    reofferable: int
    seq: int
    unfinished: dict[int, Params] = dataclasses.field(default_factory=dict)  # by number


class PrunedAs:
    """How a pruned trial enters a strategy's history (see docs/pruning.md for the numbers)."""

    IGNORE = "ignore"  # kept out of the model, like a failed trial (never proposed again)
    WORST = "worst"  # observed at the worst complete value so far
    LAST = "last"  # observed at its last intermediate value, as if it were final


PRUNED_AS = PrunedAs.LAST
"""The default, by measurement: on synthetic curves ``last`` and ``worst`` are level, on
concrete ``worst`` branded a whole region hopeless from two early prunes (a trial stopped
at 5.7 MPa entered the model at 8.4) and the studies settled on worse networks."""


def history_of(study: Study, trials: Sequence[Trial], pruned_as: str = PRUNED_AS) -> History:
    """Complete trials become maximised observations; failed and unfinished are kept apart.

    A pruned trial's last value is not a final value, but it is what the trial measured: by
    default it is observed at that value, as if final (pessimistic for the trial itself, as
    its curve was still improving, without branding its neighbourhood with the study's worst
    result). A study with several objectives or constraints goes through ``outcome_history``.
    """
    if study.multi_objective or study.constraints:
        return outcome_history(study, trials)
    ended, failed, pending = _by_outcome(trials)
    worst = _worst(study, ended) if pruned_as == PrunedAs.WORST else None
    maximise = study.direction.to_maximise
    completed: list[Observation] = []
    for trial in ended:
        value = None if trial.value is None else maximise(trial.value)
        if trial.state is TrialState.PRUNED and pruned_as != PrunedAs.LAST:
            value = worst if pruned_as == PrunedAs.WORST else None
        if value is not None:
            completed.append(_observation(trial, value))
        elif trial.state is TrialState.PRUNED:
            failed.append(trial.params)
    return History(completed=tuple(completed), pending=tuple(pending), failed=tuple(failed))


def _by_outcome(trials: Sequence[Trial]) -> tuple[list[Trial], list[Params], list[Params]]:
    """In one pass (a suggest on a big study runs this on every trial): the complete and
    pruned trials in finishing order, the failed trials' and the unfinished trials'
    configurations in the given order."""
    ended: list[Trial] = []
    failed: list[Params] = []
    pending: list[Params] = []
    for trial in trials:
        state = trial.state
        if state is TrialState.COMPLETE or state is TrialState.PRUNED:
            ended.append(trial)
        elif state is TrialState.FAILED:
            failed.append(trial.params)
        else:
            pending.append(trial.params)
    ended.sort(key=_finished)
    return ended, failed, pending


def _observation(trial: Trial, value: float) -> Observation:
    """The trial observed at ``value``: the same object on every suggest while the trial is
    unchanged (the history cache keeps it), so what is derived from it is computed once."""
    found = _OBSERVED.get(trial, lambda t: Observation(t.params, value))
    return found if found.value == value else Observation(trial.params, value)


_OBSERVED: ByIdentity[Trial, Observation] = ByIdentity()


def _worst(study: Study, trials: Sequence[Trial]) -> float | None:
    """The worst complete value (maximised), or None without one."""
    values = [t.value for t in trials if t.state is TrialState.COMPLETE and t.value is not None]
    return min((study.direction.to_maximise(v) for v in values), default=None)


def in_finishing_order(trials: Sequence[Trial]) -> list[Trial]:
    """The complete and pruned trials in the order they finished (ties, and trials without a
    finish time, by number). A history in this order only grows at its end, so the prefixes
    the GP fits once and shares (checkpoints, warm starts) stay the same while stragglers
    finish; in number order every late trial shifted each prefix it fell in, and with many
    workers the shared base model was rebuilt on most suggestions."""
    return _by_outcome(trials)[0]


def _finished(trial: Trial) -> tuple[bool, float, int]:
    at = trial.finished_at
    return (at is None, 0.0 if at is None else at.timestamp(), trial.number)


def outcome_history(study: Study, trials: Sequence[Trial]) -> History:
    """Every objective (maximised) and constraint slack per complete trial, infeasible ones
    included (the constraint models learn from them). Pruning concerns the first objective
    only, so a pruned trial has no values: like a failed one it is only never proposed again.
    """
    completed: list[Observation] = []
    failed = [t.params for t in trials if t.state in (TrialState.FAILED, TrialState.PRUNED)]
    for trial in in_finishing_order(trials):
        values = values_of(study, trial) if trial.state is TrialState.COMPLETE else None
        if trial.state is TrialState.COMPLETE and values is None:
            failed.append(trial.params)  # cannot happen through the API; never re-proposed
        elif values is not None:
            maximised = tuple(o.to_maximise(values[o.name]) for o in study.objectives)
            slacks = slacks_of(values, study.constraints)
            completed.append(Observation(trial.params, maximised[0], maximised, slacks))
    reference = None
    if study.reference_point:
        reference = tuple(o.to_maximise(study.reference_point[o.name]) for o in study.objectives)
    pending = tuple(t.params for t in trials if not t.state.finished)
    return History(tuple(completed), pending, tuple(failed), reference)


def take_snapshot(
    database: Database, project: str, name: str, cache: HistoryCache | None = None
) -> Snapshot:
    """Read the study and its trials without locking (through the cache when given)."""
    with database.transaction() as session:
        study, trials, seq = (cache or HistoryCache()).read(Repository(session, project), name)
    return _snapshot(study, trials, seq)


def _snapshot(study: Study, trials: Sequence[Trial], seq: int) -> Snapshot:
    finished: list[int] = []
    unfinished: dict[int, Params] = {}
    reofferable = 0
    for trial in trials:
        state = trial.state
        if state.finished:
            finished.append(trial.number)
        else:
            unfinished[trial.number] = trial.params
            reofferable += state is TrialState.STALE or state is TrialState.PENDING
    return Snapshot(
        study=study,
        history=history_of(study, trials),
        finished=frozenset(finished),
        reofferable=reofferable,
        seq=seq,
        unfinished=unfinished,
    )


@dataclasses.dataclass
class Handout:
    """What one locked suggest transaction works with."""

    repo: Repository
    study: Study
    worker_id: str | None
    now: datetime
    handed_out: int  # trials the study has had so far (its next trial number)


@dataclasses.dataclass(frozen=True)
class Ask:
    """A request for trials: which study, for which worker, how many, and what the service
    answers it with (its database, clock and history cache)."""

    database: Database
    project: str
    name: str
    worker_id: str | None
    count: int
    clock: Clock
    cache: HistoryCache = dataclasses.field(default_factory=HistoryCache)

    @property
    def in_one_transaction(self) -> bool:
        """Whether this study's strategy suggests in one locked transaction."""
        return self.cache.strategy_of(self.project, self.name) in IN_ONE_TRANSACTION


def suggest(ask: Ask) -> list[Trial]:
    """Hand out ``ask.count`` trials: stale retries first, then queued, then new proposals."""
    handed = _suggest_in_one_transaction(ask) if ask.in_one_transaction else _on_snapshot(ask)
    if handed.refusal is not None:
        raise handed.refusal
    return handed.trials


def report_then_suggest(
    ask: Ask, report: Callable[[Repository, bool], Trial]
) -> tuple[Trial, list[Trial], HpoError | None]:
    """``report`` (under the study lock; its flag: read the trial before the lock, see
    ``trials.read_first``), then hand out up to ``ask.count`` trials: in the same locked
    transaction for the strategies of IN_ONE_TRANSACTION, else as a plain suggest once the
    report is committed (its snapshot then holds the reported value). The report stands
    whatever the hand-out does: why nothing was handed out is returned."""
    if ask.in_one_transaction:
        handed = read_first(
            lambda early: _suggest_in_one_transaction(ask, lambda repo: report(repo, early))
        )
        assert handed.first is not None
        return handed.first, handed.trials, handed.refusal

    def reported(early: bool) -> Trial:
        with ask.database.transaction(write=True) as session:
            return report(Repository(session, ask.project, ask.clock()), early)

    trial = read_first(reported)
    try:
        return trial, suggest(ask), None
    except HpoError as why:  # committed already; the worker asks again as usual
        return trial, [], why


def _on_snapshot(ask: Ask) -> Handed:
    """Prepare the strategy on a snapshot outside the lock, then hand out under it."""
    snapshot = take_snapshot(ask.database, ask.project, ask.name, ask.cache)
    if snapshot.study.state is not StudyState.RUNNING:
        return Handed([], not_running(snapshot.study))
    strategy = build_strategy(snapshot.study.strategy)
    prepared = _prepare(strategy, snapshot) if snapshot.reofferable < ask.count else None

    def propose(out: Handout, need: int) -> list[Trial]:
        proposer = prepared or _prepare(strategy, snapshot)
        pending = _pending_since(out.repo, ask.name, snapshot)
        return _propose(out, proposer, pending, need, snapshot.history)

    return _hand_out(ask, propose)


# Strategies whose preparation costs less than a second transaction would: their history is
# read under the lock, so a suggest is one transaction (the study's strategy never changes;
# a study seen for the first time takes the two-transaction path once). Random search in a
# space with a float reads no history at all: its next point is the next in the sequence.
IN_ONE_TRANSACTION = frozenset({"random"})


def _suggest_in_one_transaction(
    ask: Ask, first: Callable[[Repository], Trial] | None = None
) -> Handed:
    """Suggest as one locked transaction: the history, if needed, is read (incrementally)
    under the lock, after ``first`` (a report) if given."""
    views: list[View] = []

    def propose(out: Handout, need: int) -> list[Trial]:
        study = out.study
        if not can_repeat(study.space):  # the position in the sequence is all it needs
            sequence = RandomStrategy().at(study.space, study.seed, out.handed_out)
            return _propose(out, sequence, [], need, History())
        views.append(ask.cache.view(out.repo, ask.name))
        snapshot = _snapshot(views[0].study, views[0].ordered(), views[0].seq)
        proposer = _prepare(build_strategy(study.strategy), snapshot)
        return _propose(out, proposer, list(snapshot.history.pending), need, snapshot.history)

    def committed() -> None:
        if views:  # only a committed history is safe to remember
            ask.cache.keep(ask.project, ask.name, views[0])

    return _hand_out(ask, propose, committed, first)


@dataclasses.dataclass(frozen=True)
class Handed:
    """What a suggest handed out, or why nothing (``refusal``, raised or answered by the
    caller once the transaction is over); ``first``: what ran first under the lock."""

    trials: list[Trial]
    refusal: HpoError | None = None
    first: Trial | None = None


def _hand_out(
    ask: Ask,
    propose: Callable[[Handout, int], list[Trial]],
    committed: Callable[[], None] | None = None,
    first: Callable[[Repository], Trial] | None = None,
) -> Handed:
    """The locked transaction of every suggest: lock the study (``first`` runs right after,
    e.g. a report), expire leases, re-offer stale and queued trials, then ``propose`` what
    the budget still allows; ``committed`` runs once the transaction has committed. A
    refusal writes nothing of its own, so ``first`` commits with or without a hand-out."""
    with ask.database.transaction(write=True) as session:
        now = ask.clock()
        repo = Repository(session, ask.project, now)
        before = first(repo) if first is not None else None
        locked = repo.lock_study(ask.name)
        handed: list[Trial] = []
        refusal: HpoError | None = None
        if locked.study.state is not StudyState.RUNNING:
            refusal = not_running(locked.study)
        else:
            out = Handout(repo, locked.study, ask.worker_id, now, locked.next_number)
            handed = _reoffer(out, ask.count)
            need = _within_budget(locked, ask.count - len(handed))
            if need > 0:
                handed += propose(out, need)
            if not handed:
                unfinished = _finish_if_done(out)
                message = _exhausted_message(locked, unfinished)
                refusal = BudgetExhausted(message, unfinished=unfinished)
    if committed is not None:
        committed()
    return Handed(handed, refusal, before)


def _finish_if_done(out: Handout) -> int:
    """With nothing handed out: complete the study if it is done; the unfinished count."""
    unfinished = out.repo.count_unfinished(out.study.name)
    complete_if_done(out.repo, out.study.name, out.now)
    return unfinished


def _exhausted_message(locked: LockedStudy, unfinished: int) -> str:
    study = locked.study
    if study.strategy.get("name") == "grid":
        used = f"every combination of study {study.name!r}'s grid has been handed out"
    else:
        used = f"study {study.name!r} has used its budget of {study.max_trials} trials"
    if unfinished:
        return (
            f"{used}; {unfinished} of them are still unfinished and one whose lease runs out "
            "is offered again, so retry later (or raise max_trials with PATCH)"
        )
    return f"{used}; raise max_trials with PATCH to continue"


def not_running(study: Study) -> StudyNotRunning:
    """The refusal of a study that is paused or completed."""
    hint = (
        'resume it with PATCH {"state": "running"}'
        if (study.state is StudyState.PAUSED)
        else "it hands out no more trials"
    )
    return StudyNotRunning(f"study {study.name!r} is {study.state.value}; {hint}")


def _lease(study: Study, now: datetime) -> datetime:
    return now + timedelta(seconds=study.lease_seconds)


def _reoffer(out: Handout, count: int) -> list[Trial]:
    """Hand out stale trials (as retries, up to max_retries) and then queued ones (the
    leases that ran out are persisted as stale first)."""
    handed: list[Trial] = []
    waiting = out.repo.waiting(out.study.name, out.now)
    waiting.sort(key=lambda t: (t.state is not TrialState.STALE, t.number))
    for trial in waiting:
        if len(handed) == count:
            break
        if trial.state is TrialState.STALE and trial.retries >= out.study.max_retries:
            _give_up(out, trial)
        else:
            handed.append(_hand_again(out, trial))
    return handed


def _give_up(out: Handout, trial: Trial) -> None:
    """A stale trial out of retries fails (lease_expired); a late report can still complete it."""
    found = lifecycle.check(trial, Event.GIVE_UP)
    reason = f"the lease expired {trial.retries + 1} times without a report"
    out.repo.save_trial(lifecycle.moved(trial, found, out.now, failure_reason=reason), out.now)


def _hand_again(out: Handout, trial: Trial) -> Trial:
    """Give a stale (retry) or queued trial to this worker with a fresh lease."""
    found = lifecycle.check(trial, Event.HAND_OUT)
    running = lifecycle.moved(
        trial,
        found,
        out.now,
        worker_id=out.worker_id,
        started_at=out.now,
        lease_expires_at=_lease(out.study, out.now),
        retries=trial.retries + int(trial.state is TrialState.STALE),
    )
    return out.repo.save_trial(running, out.now)


def _within_budget(locked: LockedStudy, need: int) -> int:
    """How many new trials the budget still allows (at most ``need``)."""
    budget = locked.study.max_trials
    if budget is None or need <= 0:
        return max(need, 0)
    return max(0, min(need, budget - locked.next_number))


def _pending_since(repo: Repository, name: str, snapshot: Snapshot) -> list[Params]:
    """Every configuration not in the snapshot's finished set, as it is now, in number order.

    Only the trials changed since the snapshot are read under the lock (an indexed query on
    ``updated_seq``); the snapshot's unfinished trials stay pending even if they finished
    since (the model has not seen their values). Reading every unfinished trial instead
    made the lock hold grow with the size of the fleet.
    """
    pending = dict(snapshot.unfinished)
    for trial in repo.outcomes(name, changed_after=snapshot.seq):
        if trial.number not in snapshot.finished:
            pending[trial.number] = trial.params
    return [pending[number] for number in sorted(pending)]


def _prepare(strategy: Strategy, snapshot: Snapshot) -> Proposer:
    """Prepare the study's strategy; if it breaks unexpectedly, log why and go random."""
    study = snapshot.study
    try:
        return strategy.prepare(study.space, snapshot.history, study.seed)
    except HpoError:
        raise
    except Exception:
        log.exception(
            "strategy %s failed for study %r; proposing at random",
            study.strategy.get("name"),
            study.name,
        )
        return RandomStrategy().prepare(study.space, snapshot.history, study.seed)


def _propose(
    out: Handout, proposer: Proposer, pending: list[Params], need: int, history: History
) -> list[Trial]:
    """Ask the proposer for ``need`` configurations and insert them as running trials."""
    try:
        configs = _safe_propose(proposer, pending, need, out.study, history)
    except BudgetExhausted:
        return []
    study = out.study
    return [
        out.repo.insert_trial(
            Trial(
                study=study.name,
                number=-1,
                params=study.space.check(params),
                state=TrialState.RUNNING,
                worker_id=out.worker_id,
                started_at=out.now,
                lease_expires_at=_lease(study, out.now),
            ),
            out.now,
        )
        for params in configs
    ]


def _safe_propose(
    proposer: Proposer, pending: list[Params], need: int, study: Study, history: History
) -> list[Params]:
    """Propose; an unexpected failure is logged and answered by random search instead."""
    try:
        return proposer.propose(pending, need)
    except HpoError:
        raise
    except Exception:
        log.exception("proposer failed for study %r; proposing at random", study.name)
        fallback = RandomStrategy().prepare(study.space, history, study.seed)
        return fallback.propose(pending, need)
