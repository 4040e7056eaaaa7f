"""hpo-trainer workers on studies with several objectives: accuracy (or R^2) against
training time on both shipped problems, names read from the metrics the trainer records."""

from __future__ import annotations

import pytest

from hpo_service.client import Client
from trainer.commands import create_problem_study
from trainer.objectives import get_problem
from trainer.worker import StopSignal, WorkerConfig, run_worker


@pytest.mark.parametrize("problem_name", ["breast-cancer", "concrete"])
def test_worker_optimises_the_score_against_fit_seconds(hpo: Client, problem_name: str) -> None:
    problem = get_problem(problem_name)
    objectives = [
        {"name": problem.metric, "direction": problem.direction},
        {"name": "fit_seconds", "direction": "minimize"},
    ]
    study = create_problem_study(
        hpo, problem, "tradeoff", {"name": "random"}, objectives=objectives, max_trials=2
    )
    config = WorkerConfig(
        server="http://hpo.test", study="tradeoff", problem=problem_name, worker_id="w",
        folds=2, max_iter=5,
    )  # fmt: skip
    stats = run_worker(config, StopSignal(), client=hpo)
    assert stats.completed == [0, 1]
    for trial in study.trials():
        assert trial.values is not None and set(trial.values) == {problem.metric, "fit_seconds"}
        assert trial.values["fit_seconds"] == trial.metadata["fit_seconds"]
        assert trial.values[problem.metric] == trial.value
    assert study.pareto().trials


def test_a_metric_the_trainer_does_not_record_fails_the_trial_saying_so(hpo: Client) -> None:
    problem = get_problem("breast-cancer")
    objectives = [
        {"name": problem.metric, "direction": "maximize"},
        {"name": "watts", "direction": "minimize"},
    ]
    study = create_problem_study(
        hpo, problem, "watts", {"name": "random"}, objectives=objectives, max_trials=1
    )
    config = WorkerConfig(
        server="http://hpo.test", study="watts", problem="breast-cancer", worker_id="w",
        folds=2, max_iter=5,
    )  # fmt: skip
    run_worker(config, StopSignal(), client=hpo)
    trial = study.get_trial(0)
    assert trial.state.value == "failed"
    assert trial.failure_reason is not None and "watts" in trial.failure_reason
