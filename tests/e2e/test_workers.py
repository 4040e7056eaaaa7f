"""A real service and real worker processes: normal runs, a killed worker, a service outage."""

from __future__ import annotations

import os
import signal

import pytest

from hpo_service.domain import StudyState, TrialState
from tests.e2e.conftest import FAST, Cluster, assert_reports_kept, wait_until

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("problem", ["breast-cancer", "concrete"])
def test_three_workers_complete_a_twelve_trial_study(cluster: Cluster, problem: str) -> None:
    cluster.create_study(problem, f"{problem}-e2e", lease=30)
    for _ in range(3):
        cluster.start_worker(f"{problem}-e2e", *FAST)
    assert cluster.wait_workers() == [0, 0, 0], cluster.logs()
    study = cluster.client().get_study(f"{problem}-e2e")
    trials = list(study.trials())
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state is TrialState.COMPLETE for t in trials), cluster.logs()
    assert study.summary().study.state is StudyState.COMPLETED
    assert_reports_kept(trials, cluster.reports())
    best = study.best()
    assert best is not None and best.value is not None
    if problem == "breast-cancer":
        assert best.value > 0.9
        assert 0.5 < best.metadata["roc_auc"] <= 1.0
    else:
        assert 0.0 < best.value < 16.0  # MPa; predicting the mean scores about 16.7
        assert best.metadata["r2"] > 0.0


def test_a_killed_worker_costs_time_never_a_trial(cluster: Cluster) -> None:
    cluster.create_study("breast-cancer", "killed", lease=3)
    client = cluster.client()
    study = client.get_study("killed")
    # The victim trains slowly (many folds and epochs) so it is surely caught mid-trial.
    victim = cluster.start_worker("killed", "--worker-id", "victim", "--folds", "10",
                                  "--max-iter", "400")  # fmt: skip

    def victim_trial() -> int | None:
        mine = [t.number for t in study.trials(state="running") if t.worker_id == "victim"]
        return mine[0] if mine else None

    wait_until(lambda: victim_trial() is not None, "the victim to start a trial")
    number = victim_trial()
    assert number is not None
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    assert study.get_trial(number).state is TrialState.RUNNING  # killed mid-trial
    for _ in range(2):
        cluster.start_worker("killed", *FAST)
    assert cluster.wait_workers()[1:] == [0, 0], cluster.logs()
    trials = list(study.trials())
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state is TrialState.COMPLETE for t in trials), cluster.logs()
    retried = study.get_trial(number)
    assert retried.retries >= 1 and retried.worker_id != "victim"
    assert_reports_kept(trials, cluster.reports())


def test_workers_ride_out_a_service_outage(cluster: Cluster) -> None:
    cluster.create_study("breast-cancer", "outage", lease=3)
    study = cluster.client().get_study("outage")
    for _ in range(3):
        cluster.start_worker("outage", *FAST)  # trials take a few seconds

    def complete() -> int:
        return study.summary().counts.get(TrialState.COMPLETE, 0)

    wait_until(lambda: complete() >= 2, "two complete trials")
    cluster.server.stop()
    wait_until(lambda: "unreachable" in cluster.logs() or "retry" in cluster.logs(),
               "a worker to notice the outage", limit=60)  # fmt: skip
    cluster.server.start(timeout=60)  # same SQLite file, same port
    assert cluster.wait_workers() == [0, 0, 0], cluster.logs()
    trials = list(study.trials())
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state is TrialState.COMPLETE for t in trials), cluster.logs()
    reports = cluster.reports()
    assert_reports_kept(trials, reports)
    assert {n for n, _ in reports} == set(range(12))  # every trial's report got through
