"""Stopping workers: SIGTERM lets the trial finish, a second one fails it; the parent of
``--workers N`` forwards the signal to its worker processes."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from hpo_service.client import StudyHandle
from hpo_service.domain import TrialState
from tests.e2e.conftest import Cluster, wait_until

pytestmark = pytest.mark.slow

# A configuration that trains for several seconds with --folds 10 (two wide layers, small
# batches, a slow rate: every one of the 30 epochs runs).
SLOW = {
    "input_transform": "standard", "n_layers": 2, "units_1": 128, "units_2": 128,
    "activation": "tanh", "learning_rate_init": 3e-4, "alpha": 1e-6, "batch_size": 32,
    "ensemble": 1,
}  # fmt: skip


def slow_study(cluster: Cluster, name: str, slow_trials: int) -> StudyHandle:
    """A breast-cancer study whose first trials are the slow configuration."""
    cluster.create_study("breast-cancer", name, lease=30)
    study = cluster.client().get_study(name)
    for _ in range(slow_trials):
        study.enqueue(SLOW)
    return study


def training(cluster: Cluster, study: StudyHandle, count: int) -> list[int]:
    """Wait until ``count`` trials are running and their workers logged that they train."""
    wait_until(lambda: cluster.logs().count(": training {") >= count, f"{count} trials training")
    running = [t.number for t in study.trials(state="running")]
    assert len(running) == count
    return running


def test_sigterm_finishes_the_trial_then_stops(cluster: Cluster) -> None:
    study = slow_study(cluster, "graceful", 1)
    worker = cluster.start_worker("graceful", "--folds", "10", "--max-iter", "60")
    (number,) = training(cluster, study, 1)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=120) == 0, cluster.logs()
    assert study.get_trial(number).state is TrialState.COMPLETE
    assert [t.number for t in study.trials()] == [number]  # no new trial after the signal


def test_a_second_sigterm_fails_the_trial_and_exits(cluster: Cluster) -> None:
    study = slow_study(cluster, "abort", 1)
    worker = cluster.start_worker("abort", "--folds", "10", "--max-iter", "60")
    (number,) = training(cluster, study, 1)
    worker.send_signal(signal.SIGTERM)
    wait_until(lambda: "finishing the current trial" in cluster.logs(), "the first signal")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 130, cluster.logs()
    failed = study.get_trial(number)
    assert failed.state is TrialState.FAILED
    assert (failed.failure_reason or "").startswith("Aborted: worker stopped by a second SIGTERM")


def test_the_parent_forwards_sigterm_to_its_worker_processes(cluster: Cluster) -> None:
    study = slow_study(cluster, "parent", 2)
    parent = cluster.start_worker("parent", "--workers", "2", "--folds", "10", "--max-iter", "60")
    running = training(cluster, study, 2)
    os.kill(parent.pid, signal.SIGTERM)
    assert parent.wait(timeout=120) == 0, cluster.logs()
    trials = list(study.trials())
    assert sorted(t.number for t in trials) == sorted(running)
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert "best: trial" in cluster.logs()  # the summary, after the workers stopped


def test_work_with_several_processes_uses_the_budget(cluster: Cluster) -> None:
    cluster.create_study("breast-cancer", "pool", trials=6, lease=30)
    result = cluster.trainer("work", "--study", "pool", "--workers", "2", "--folds", "3",
                             "--max-iter", "30")  # fmt: skip
    assert isinstance(result, subprocess.CompletedProcess)
    assert "study 'pool': 6 complete, 0 failed" in result.stdout
    assert "best: trial" in result.stdout and "configuration:" in result.stdout
    assert "6/6 done" in result.stderr  # the progress line
