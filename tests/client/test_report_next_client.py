"""The client's report that takes the next trial: one request per trial, nothing left held."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from hpo_service.client import Client, StudyHandle
from hpo_service.domain import TrialState
from hpo_service.errors import InvalidTransition
from tests.client.conftest import FlakyTransport
from trainer import worker
from trainer.commands import create_problem_study
from trainer.objectives import Problem, Settings, register
from trainer.worker import StopSignal, WorkerConfig, run_worker

MakeStudy = Callable[..., StudyHandle]


def posts(transport: FlakyTransport, action: str) -> int:
    """How many POSTs ending in ``action`` reached the app."""
    return sum(1 for method, path in transport.reached_app if path.endswith(action))


def unfinished(study: StudyHandle) -> dict[TrialState, int]:
    counts = study.summary().counts
    return {s: counts.get(s, 0) for s in (TrialState.PENDING, TrialState.RUNNING)}


def test_a_report_with_next_feeds_the_workers_next_suggest_without_a_request(
    make_study: MakeStudy, transport: FlakyTransport
) -> None:
    study = make_study()
    (first,) = study.suggest(worker_id="w")
    done = study.report(first.number, 0.5, worker_id="w", next=2)
    assert done.state is TrialState.COMPLETE
    before = posts(transport, "/suggestions")
    ahead = study.suggest(worker_id="w")
    assert [t.number for t in ahead] == [1] and ahead[0].worker_id == "w"
    assert posts(transport, "/suggestions") == before  # taken from the report's answer
    assert [t.number for t in study.suggest(worker_id="other")] == [3]  # not another's
    assert study.release_ahead("w") == [2]
    assert study.get_trial(2).state is TrialState.PENDING
    assert study.release_ahead("w") == []
    assert [t.number for t in study.suggest(worker_id="w")] == [2]  # queued again


def test_release_is_refused_once_the_trial_has_started(make_study: MakeStudy) -> None:
    study = make_study()
    (trial,) = study.suggest(worker_id="w")
    study.report_intermediate(trial.number, 1, 0.3, worker_id="w")
    with pytest.raises(InvalidTransition, match="intermediate values"):
        study.release(trial.number, worker_id="w")


@pytest.mark.parametrize(("n_trials", "n_workers"), [(6, 1), (7, 2)])
def test_optimize_asks_once_per_worker_and_leaves_no_trial_held(
    make_study: MakeStudy, transport: FlakyTransport, n_trials: int, n_workers: int
) -> None:
    study = make_study(max_trials=None)
    finished = study.optimize(lambda p: p["lr"], n_trials=n_trials, n_workers=n_workers)
    assert len(finished) == n_trials
    assert all(t.state is TrialState.COMPLETE for t in finished)
    assert posts(transport, "/report") == n_trials
    assert posts(transport, "/suggestions") <= n_workers  # every other trial came with a report
    assert posts(transport, "/release") == 0  # tickets are taken before asking ahead
    assert unfinished(study) == {TrialState.PENDING: 0, TrialState.RUNNING: 0}


def test_optimize_falls_back_to_suggest_when_a_report_hands_out_nothing(
    make_study: MakeStudy, transport: FlakyTransport
) -> None:
    study = make_study(max_trials=4)
    finished = study.optimize(lambda p: p["lr"], n_trials=10)
    assert [t.number for t in finished] == [0, 1, 2, 3]
    assert posts(transport, "/suggestions") == 2  # the first, and the one told "budget used"
    assert study.summary().study.state.value == "completed"


def linear(params: Mapping[str, Any], settings: Settings) -> float:
    return float(params["x"])


X = {"name": "x", "type": "float", "low": 0, "high": 1}
LINEAR = register(Problem("test-linear", "minimize", "loss", (X,), linear), replace=True)


def config(study: str) -> WorkerConfig:
    return WorkerConfig(server="http://hpo.test", study=study, problem="test-linear",
                        worker_id="w", folds=3, max_iter=30)  # fmt: skip


def test_the_trainer_loop_takes_each_next_trial_with_its_report(
    hpo: Client, transport: FlakyTransport
) -> None:
    study = create_problem_study(hpo, LINEAR, "lin", {"name": "random"}, max_trials=5)
    stats = run_worker(config("lin"), StopSignal(), client=hpo)
    assert stats.completed == [0, 1, 2, 3, 4]
    assert posts(transport, "/suggestions") == 2  # the first, and the one told "budget used"
    assert study.summary().study.state.value == "completed"


def test_a_trial_taken_ahead_is_released_when_the_worker_stops(
    hpo: Client, transport: FlakyTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = create_problem_study(hpo, LINEAR, "stop", {"name": "random"}, max_trials=5)
    stop = StopSignal()
    report = worker._report

    def report_then_stop(*args: Any) -> Any:  # SIGTERM arrives right after the report
        answer = report(*args)
        stop.request()
        return answer

    monkeypatch.setattr(worker, "_report", report_then_stop)
    stats = run_worker(config("stop"), stop, client=hpo)
    assert stats.completed == [0]
    assert posts(transport, "/release") == 1
    assert study.get_trial(1).state is TrialState.PENDING
    assert unfinished(study) == {TrialState.PENDING: 1, TrialState.RUNNING: 0}


def test_a_report_retried_after_a_lost_answer_stands_once_and_hands_out_again(
    make_study: MakeStudy, transport: FlakyTransport
) -> None:
    study = make_study()
    (first,) = study.suggest(worker_id="w")
    transport.fail_next("lost", match="/report")  # recorded, then the answer is lost
    done = study.report(first.number, 0.25, worker_id="w", next=1)
    assert (done.state, done.value) == (TrialState.COMPLETE, 0.25)
    assert posts(transport, "/report") == 2  # the retry answered the same trial
    (ahead,) = study.suggest(worker_id="w")
    assert ahead.number == 2  # from the retry's answer
    lost = study.get_trial(1)  # the lost answer's trial: its lease runs out, then re-offered
    assert (lost.state, lost.worker_id) == (TrialState.RUNNING, "w")
