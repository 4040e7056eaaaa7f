"""hpo-trainer with several --server URLs: a dead first instance does not stop the workers."""

from __future__ import annotations

import pytest

from hpo_service.domain import TrialState
from tests.e2e.conftest import Cluster, assert_reports_kept
from tests.servers import free_port

pytestmark = pytest.mark.slow


def test_workers_given_a_dead_and_a_live_instance_complete_the_study(cluster: Cluster) -> None:
    cluster.create_study("breast-cancer", "two-urls", trials=4, lease=30)
    dead = f"http://127.0.0.1:{free_port()}"
    both = f"{dead},{cluster.url}"
    # start_worker passes --server URL first; the later --server (both URLs) wins in argparse.
    cluster.start_worker("two-urls", "--folds", "2", "--max-iter", "20", "--server", both)
    assert cluster.wait_workers() == [0], cluster.logs()
    trials = list(cluster.client().get_study("two-urls").trials())
    assert [t.number for t in trials] == [0, 1, 2, 3]
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert_reports_kept(trials, cluster.reports())
