"""The per-process history cache never changes what a snapshot contains."""

from __future__ import annotations

from hpo_service.persistence import Database
from hpo_service.persistence.migrate import upgrade
from hpo_service.service import Service
from hpo_service.service.suggestions import take_snapshot
from tests.conftest import study_body

P = "default"


def test_cached_snapshots_match_full_reads_across_processes(database_url: str) -> None:
    upgrade(database_url)
    one = Service(Database(database_url))
    two = Service(Database(database_url))  # another process with its own cache
    try:
        one.create_study(P, study_body(max_trials=None))
        for round_ in range(4):
            trials = one.suggest(P, "cancer-mlp", "w1", count=3)
            two.report(P, "cancer-mlp", trials[0].number, 0.1 * round_)
            two.fail(P, "cancer-mlp", trials[1].number, "oom")
            cached = take_snapshot(one.database, P, "cancer-mlp", one.history)
            full = take_snapshot(one.database, P, "cancer-mlp")
            assert cached.history == full.history
            assert cached.finished == full.finished
            assert cached.seq == full.seq
    finally:
        one.database.dispose()
        two.database.dispose()


def test_a_recreated_study_with_the_same_name_is_not_served_from_the_cache(
    database_url: str,
) -> None:
    upgrade(database_url)
    service = Service(Database(database_url))
    try:
        service.create_study(P, study_body())
        for trial in service.suggest(P, "cancer-mlp", "w", count=4):
            service.report(P, "cancer-mlp", trial.number, 1.0)
        assert (
            len(take_snapshot(service.database, P, "cancer-mlp", service.history).history.completed)
            == 4
        )
        service.delete_study(P, "cancer-mlp")
        service.create_study(P, study_body())
        for trial in service.suggest(P, "cancer-mlp", "w", count=4):
            service.fail(P, "cancer-mlp", trial.number, "x")
        snapshot = take_snapshot(service.database, P, "cancer-mlp", service.history)
        assert (len(snapshot.history.completed), len(snapshot.history.failed)) == (0, 4)
    finally:
        service.database.dispose()
