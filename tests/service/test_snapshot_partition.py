"""The snapshot a suggest builds, checked against its definition written plainly.

``history_of`` and ``_snapshot`` run on every trial of a study at every suggest, so they
sort the trials into outcomes in one pass (a big study's suggest spends milliseconds
there). This pins what that pass must give: every state, pruned trials with and without a
value, trials finished at the same time and without a finish time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from hpo_service.domain import Params, Study, Trial, TrialState
from hpo_service.service.suggestions import PrunedAs, _snapshot, history_of
from hpo_service.wire import study_from_json
from tests.conftest import study_body

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_FINISHED = (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)


def _trials(seed: int, count: int = 60) -> list[Trial]:
    rng = random.Random(seed)
    trials = []
    for number in range(count):
        state = rng.choice(list(TrialState))
        finished = state in _FINISHED
        # few distinct times, so ties (broken by number) are common; some have none
        at = T0 + timedelta(seconds=rng.randrange(8)) if finished and rng.random() < 0.9 else None
        value = rng.random() if state is TrialState.COMPLETE else None
        if state is TrialState.PRUNED and rng.random() < 0.7:
            value = rng.random()  # its last intermediate value
        params: Params = {"x": rng.random()}
        trials.append(Trial("s", number, params, state, value=value, finished_at=at))
    return trials


def _study(direction: str) -> Study:
    return study_from_json(study_body(name="s", direction=direction, seed=0, state="running"))


Pair = tuple[Params, float]


def _reference(
    study: Study, trials: list[Trial], pruned_as: str
) -> tuple[list[Pair], list[Params], list[Params]]:
    """(completed as (params, value), failed, pending) by the definition."""
    ended = sorted(
        (t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)),
        key=lambda t: (t.finished_at is None, t.finished_at or T0, t.number),
    )
    sign = 1.0 if study.direction.value == "maximize" else -1.0
    complete = [
        sign * t.value for t in trials if t.value is not None and t.state is TrialState.COMPLETE
    ]
    completed: list[Pair] = []
    failed = [t.params for t in trials if t.state is TrialState.FAILED]
    for trial in ended:
        value = None if trial.value is None else sign * trial.value
        if trial.state is TrialState.PRUNED and pruned_as == PrunedAs.WORST:
            value = min(complete)
        if trial.state is TrialState.PRUNED and pruned_as == PrunedAs.IGNORE:
            value = None
        if value is not None:
            completed.append((trial.params, value))
        elif trial.state is TrialState.PRUNED:
            failed.append(trial.params)
    pending = [t.params for t in trials if t.state not in _FINISHED]
    return completed, failed, pending


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("direction", ["maximize", "minimize"])
@pytest.mark.parametrize("pruned_as", [PrunedAs.LAST, PrunedAs.WORST, PrunedAs.IGNORE])
def test_the_history_matches_its_definition(seed: int, direction: str, pruned_as: str) -> None:
    study, trials = _study(direction), _trials(seed)
    completed, failed, pending = _reference(study, trials, pruned_as)
    history = history_of(study, trials, pruned_as)
    assert [(o.params, o.value) for o in history.completed] == completed
    assert list(history.failed) == failed
    assert list(history.pending) == pending
    assert completed and failed and pending  # every kind is exercised


@pytest.mark.parametrize("seed", range(6))
def test_the_snapshot_counts_match_their_definition(seed: int) -> None:
    trials = _trials(seed)
    snapshot = _snapshot(_study("maximize"), trials, seq=7)
    assert snapshot.finished == {t.number for t in trials if t.state in _FINISHED}
    assert snapshot.unfinished == {t.number: t.params for t in trials if t.state not in _FINISHED}
    waiting = (TrialState.STALE, TrialState.PENDING)
    assert snapshot.reofferable == sum(t.state in waiting for t in trials) > 0
    assert snapshot.seq == 7
    assert all(t.state.finished == (t.state in _FINISHED) for t in trials)
