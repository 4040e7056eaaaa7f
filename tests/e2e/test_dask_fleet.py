"""hpo-trainer work --dask: worker loops as tasks on a real Dask LocalCluster of processes."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from hpo_service.domain import StudyState, TrialState
from tests.e2e.conftest import Cluster, assert_reports_kept, wait_until

pytestmark = pytest.mark.slow
FAST = ["--folds", "2", "--max-iter", "20"]


@pytest.fixture
def dask_address() -> Iterator[str]:
    """A LocalCluster of two single-threaded worker processes; its scheduler's address."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield str(cluster.scheduler_address)


def test_a_study_completes_on_a_local_dask_cluster(cluster: Cluster) -> None:
    cluster.create_study("breast-cancer", "dask-fleet", trials=6, lease=30)
    cluster.start_worker("dask-fleet", *FAST, "--dask", "local", "--workers", "2")
    assert cluster.wait_workers() == [0], cluster.logs()
    study = cluster.client().get_study("dask-fleet")
    trials = list(study.trials())
    assert [t.number for t in trials] == list(range(6))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert {t.worker_id.rsplit("-", 2)[0] for t in trials if t.worker_id} <= {
        f"dask-{os.uname().nodename}"
    }
    assert len({t.worker_id for t in trials}) == 2  # both loops worked
    assert study.summary().study.state is StudyState.COMPLETED
    assert_reports_kept(trials, cluster.reports())  # the loops' logs reach the submitter


def test_a_killed_dask_worker_loses_nothing_and_its_trial_is_offered_again(
    cluster: Cluster, dask_address: str
) -> None:
    cluster.create_study("breast-cancer", "dask-kill", trials=4, lease=3)
    client = cluster.client()
    study = client.get_study("dask-kill")
    slow = ["--folds", "5", "--max-iter", "300"]  # seconds per trial: caught mid-trial
    cluster.start_worker("dask-kill", *slow, "--dask", dask_address, "--workers", "2")
    wait_until(lambda: any(True for _ in study.trials(state="running")), "a running trial")
    victim = next(iter(study.trials(state="running")))
    assert victim.worker_id is not None
    pid = int(victim.worker_id.rsplit("-", 2)[1])  # dask-HOST-PID-INDEX
    os.kill(pid, signal.SIGKILL)  # the Dask worker process, mid-trial
    wait_until(lambda: study.get_trial(victim.number).retries >= 1, "the trial re-offered")
    assert cluster.wait_workers(timeout=240) == [0], cluster.logs()
    trials = list(study.trials())
    assert [t.number for t in trials] == list(range(4))  # no duplicate number
    assert all(t.state is TrialState.COMPLETE for t in trials), cluster.logs()
    assert study.get_trial(victim.number).worker_id != victim.worker_id
    assert_reports_kept(trials, cluster.reports())  # no lost report
