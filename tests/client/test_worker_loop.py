"""The trainer's worker loop in-process against the real app: budget, waiting, stopping."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from hpo_service.client import Client, StudyHandle
from hpo_service.domain import StudyState, TrialState
from tests.client.test_trial_context import wait_for
from trainer.cli import _parser, worker_config
from trainer.commands import create_problem_study, resolve_problem
from trainer.data import DataError
from trainer.objectives import ObjectiveError, Problem, Result, Settings, get_problem, register
from trainer.worker import CannotTrain, StopSignal, WorkerConfig, WorkerStats, run_worker


def flaky(params: Mapping[str, Any], settings: Settings) -> float:
    """x, except that x > 0.5 diverges."""
    if params["x"] > 0.5:
        raise ObjectiveError("diverged")
    return float(params["x"])


FLAKY = register(
    Problem(
        "test-flaky",
        "minimize",
        "loss",
        ({"name": "x", "type": "float", "low": 0, "high": 1},),
        flaky,
    ),
    replace=True,
)


def config(study: str, problem: str = "test-flaky") -> WorkerConfig:
    """Small settings for a worker in this process."""
    return WorkerConfig(server="http://hpo.test", study=study, problem=problem, worker_id="w",
                        folds=3, max_iter=30)  # fmt: skip


def make(hpo: Client, problem: Problem, name: str, **options: Any) -> StudyHandle:
    """A study for ``problem`` with random search."""
    return create_problem_study(hpo, problem, name, {"name": "random"}, **options)


def test_a_worker_runs_the_budget_and_stops_when_the_study_completes(hpo: Client) -> None:
    study = make(hpo, get_problem("breast-cancer"), "bc", max_trials=3)
    stats = run_worker(config("bc", "breast-cancer"), StopSignal(), client=hpo)
    assert stats.completed == [0, 1, 2]
    assert study.summary().study.state is StudyState.COMPLETED
    best = study.best()
    assert best is not None and "roc_auc" in best.metadata


def test_objective_errors_fail_the_trial_and_the_worker_carries_on(hpo: Client) -> None:
    study = make(hpo, FLAKY, "flaky", max_trials=8, seed=3)
    stats = run_worker(config("flaky"), StopSignal(), client=hpo)
    assert sorted(stats.completed + stats.failed) == list(range(8))
    assert stats.failed, "seed 3 should draw some x > 0.5"
    for number in stats.failed:
        assert study.get_trial(number).failure_reason == "ObjectiveError: diverged"


def test_a_worker_waits_for_a_stale_trial_once_the_budget_is_used(hpo: Client, clock: Any) -> None:
    study = make(hpo, FLAKY, "wait", max_trials=2, lease_seconds=1)
    (orphan,) = study.suggest(worker_id="dead")  # its worker died: never reported
    stats = WorkerStats()
    stop = StopSignal()

    def work() -> None:
        done = run_worker(config("wait"), stop, client=hpo)
        stats.completed.extend(done.completed + done.failed)

    worker = threading.Thread(target=work)
    worker.start()
    wait_for(
        lambda: (
            study.summary().counts[TrialState.RUNNING] == 1
            and len(list(study.trials(state=["complete", "failed"]))) == 1
        ),
        "the first trial",
    )
    clock.advance(2)  # the orphan's lease runs out; the waiting worker picks it up
    worker.join(30)
    assert not worker.is_alive()
    assert sorted(stats.completed) == [0, 1]
    assert study.get_trial(orphan.number).worker_id == "w"
    assert study.summary().study.state is StudyState.COMPLETED


def test_a_stop_request_or_a_paused_study_ends_the_loop(hpo: Client) -> None:
    study = make(hpo, FLAKY, "paused", max_trials=5)
    stop = StopSignal()
    stop.request()
    assert run_worker(config("paused"), stop, client=hpo) == WorkerStats()
    study.set_state("paused")
    assert run_worker(config("paused"), StopSignal(), client=hpo) == WorkerStats()


def test_the_problem_is_found_from_flag_tag_name_or_metric(hpo: Client) -> None:
    tagged = make(hpo, FLAKY, "anything").definition
    assert resolve_problem(tagged, None) == "test-flaky"
    plain = hpo.create_study("concrete-run", [{"name": "x", "type": "int", "low": 0, "high": 3}])
    assert resolve_problem(plain.definition, None) == "concrete"
    assert resolve_problem(plain.definition, "breast-cancer") == "breast-cancer"
    by_metric = hpo.create_study("x", [{"name": "x", "type": "int", "low": 0, "high": 3}],
                                 metric="cv_accuracy")  # fmt: skip
    assert resolve_problem(by_metric.definition, None) == "breast-cancer"
    with pytest.raises(ObjectiveError, match="--problem"):
        resolve_problem(
            hpo.create_study("y", [{"name": "x", "type": "int", "low": 0, "high": 3}]).definition,
            None,
        )


def curve(params: Mapping[str, Any], settings: Settings) -> Result:
    """A learning curve that climbs to x over 20 epochs, reported through on_epoch."""
    x = float(params["x"])
    for step in range(20):
        value = x * (step + 1) / 20
        if settings.on_epoch is not None and settings.on_epoch(step, value):
            return Result(value, {"epochs_total": step + 1}, pruned=True)
    return Result(x, {"epochs_total": 20})


CURVE = register(
    Problem("test-curve", "maximize", "acc", ({"name": "x", "type": "float", "low": 0, "high": 1},),
            curve),
    replace=True,
)  # fmt: skip


@pytest.mark.parametrize("pipelined", [False, True], ids=["in-step", "pipelined"])
def test_the_worker_reports_every_epoch_and_prunes_when_told(hpo: Client, pipelined: bool) -> None:
    study = make(hpo, CURVE, "curves", max_trials=3, pruner={"name": "median",
                 "n_startup_trials": 1, "n_warmup_steps": 2})  # fmt: skip
    for x in (0.9, 0.1, 0.95):  # a strong curve first, to compare the others against
        study.enqueue({"x": x})
    settings = replace(config("curves", "test-curve"), pipeline_reports=pipelined)
    stats = run_worker(settings, StopSignal(), client=hpo)
    weak, strong = study.get_trial(1), study.get_trial(2)
    assert weak.state is TrialState.PRUNED and stats.pruned == [1]
    # told to stop at step 2: nothing after it is sent, so the pruned value is step 2's
    assert weak.pruned_step == 2 and [v.step for v in weak.intermediate] == [0, 1, 2]
    assert weak.value == weak.intermediate[-1].value
    # the prune carries the worker's metrics: in step, training stopped at once; pipelined,
    # the answer came while the next epoch trained (one or two epochs more, never later)
    trained = weak.metadata["epochs_total"]
    assert trained == 3 if not pipelined else trained in (4, 5)
    # a complete trial's report comes after its whole curve
    assert strong.state is TrialState.COMPLETE and len(strong.intermediate) == 20


def missing_data(params: Mapping[str, Any], settings: Settings) -> float:
    """Fails like a machine without its data set."""
    raise DataError("cannot read the concrete data at /nowhere")


MISSING = register(
    Problem("test-missing-data", "minimize", "loss",
            ({"name": "x", "type": "float", "low": 0, "high": 1},), missing_data),
    replace=True,
)  # fmt: skip


def test_an_environment_error_stops_the_worker_and_fails_no_trial(hpo: Client) -> None:
    study = make(hpo, MISSING, "nodata", max_trials=60)
    with pytest.raises(CannotTrain, match=r"cannot read the concrete data.*offered again"):
        run_worker(config("nodata", "test-missing-data"), StopSignal(), client=hpo)
    (trial,) = study.trials()
    assert trial.state is TrialState.RUNNING and trial.failure_reason is None
    assert study.summary().counts.get(TrialState.FAILED, 0) == 0


def test_work_pipelines_reports_unless_told_to_wait() -> None:
    urls = ["http://a:8000", "http://b:8000"]
    default = worker_config(_parser().parse_args(["work", "--study", "s"]), urls, "concrete")
    waiting = _parser().parse_args(["work", "--study", "s", "--sync-reports"])
    assert default.pipeline_reports and default.server == "http://a:8000,http://b:8000"
    assert worker_config(waiting, urls, "concrete").pipeline_reports is False
