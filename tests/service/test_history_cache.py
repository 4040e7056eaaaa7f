"""The per-process history cache never changes what a snapshot contains."""

from __future__ import annotations

import pytest

from hpo_service.optimisation.random_search import RandomStrategy
from hpo_service.persistence import Database, Repository
from hpo_service.persistence.migrate import upgrade
from hpo_service.service import Service, suggestions
from hpo_service.service.suggestions import take_snapshot
from tests.conftest import FakeClock, study_body

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


def _random_body() -> dict[str, object]:
    return {**study_body(max_trials=None), "strategy": {"name": "random", "seed": 1}}


def test_a_random_suggest_is_one_transaction_once_the_study_is_cached(database_url: str) -> None:
    from sqlalchemy import event

    upgrade(database_url)
    service = Service(Database(database_url))
    begins: list[int] = []
    event.listen(service.database.engine, "begin", lambda _conn: begins.append(1))
    try:
        service.create_study(P, _random_body())
        service.suggest(P, "cancer-mlp", "w")  # first sight of the study: snapshot + write
        seen = {service.suggest(P, "cancer-mlp", "w")[0].number}
        begins.clear()
        for _ in range(5):
            (trial,) = service.suggest(P, "cancer-mlp", "w")
            seen.add(trial.number)
        assert len(begins) == 5
        assert len(seen) == 6
    finally:
        service.database.dispose()


def test_a_rolled_back_one_transaction_suggest_leaves_nothing_in_the_cache(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(database_url)
    clock = FakeClock()
    service = Service(Database(database_url), clock)
    try:
        service.create_study(P, {**_random_body(), "lease_seconds": 60, "max_retries": 0})
        for _ in range(3):
            (trial,) = service.suggest(P, "cancer-mlp", "w")
            service.report(P, "cancer-mlp", trial.number, 1.0)
        lost = service.suggest(P, "cancer-mlp", "w", count=2)
        clock.advance(120)  # both leases run out: the next suggest gives them up (failed) ...

        def explode(*_args: object) -> None:
            raise RuntimeError("injected after the history was read under the lock")

        with monkeypatch.context() as patch:
            patch.setattr(suggestions, "_propose", explode)
            with pytest.raises(RuntimeError, match="injected"):
                service.suggest(P, "cancer-mlp", "w")  # ... in a transaction that rolls back
        service.report(P, "cancer-mlp", lost[0].number, 2.0)  # a late report: still stored
        service.suggest(P, "cancer-mlp", "w")  # gives lost[1] up for real, reads the history
        cached = take_snapshot(service.database, P, "cancer-mlp", service.history)
        full = take_snapshot(service.database, P, "cancer-mlp")
        assert cached.history == full.history
        assert cached.seq == full.seq
    finally:
        service.database.dispose()


def test_pending_under_the_lock_is_the_snapshot_s_plus_what_changed_in_number_order(
    database_url: str,
) -> None:
    upgrade(database_url)
    service = Service(Database(database_url))
    try:
        service.create_study(P, _random_body())
        first = service.suggest(P, "cancer-mlp", "w", count=3)  # 0, 1, 2 running
        service.report(P, "cancer-mlp", first[2].number, 0.5)
        snapshot = take_snapshot(service.database, P, "cancer-mlp")
        service.report(P, "cancer-mlp", first[0].number, 1.0)  # finished after the snapshot
        later = service.suggest(P, "cancer-mlp", "w", count=2)  # 3, 4: new since it
        with service.database.transaction(write=True) as session:
            repo = Repository(session, P)
            pending = suggestions._pending_since(repo, "cancer-mlp", snapshot)
        # trial 0 stays pending: the snapshot's model has not seen its value; 2 was finished
        assert pending == [first[0].params, first[1].params, later[0].params, later[1].params]
    finally:
        service.database.dispose()


def test_the_history_is_in_finishing_order_so_it_only_grows_at_its_end(
    database_url: str,
) -> None:
    """Trials finishing out of number order (many workers) must not shift a history's
    prefixes, which the GP fits once and shares (gp/shared.py checkpoints)."""
    upgrade(database_url)
    clock = FakeClock()
    service = Service(Database(database_url), clock)
    try:
        service.create_study(P, study_body(max_trials=None))
        trials = service.suggest(P, "cancer-mlp", "w", count=5)
        seen = []
        for number, value in ((3, 0.3), (0, 0.0), (4, 0.4), (1, 0.1)):
            clock.advance(1)
            service.report(P, "cancer-mlp", trials[number].number, value)
            history = take_snapshot(service.database, P, "cancer-mlp", service.history).history
            assert history.completed[: len(seen)] == tuple(seen), "an earlier prefix moved"
            seen = list(history.completed)
        assert [o.value for o in seen] == [0.3, 0.0, 0.4, 0.1]
        assert history.pending == (trials[2].params,)
    finally:
        service.database.dispose()


def test_random_search_with_a_float_reads_no_history_and_proposes_as_from_it(
    database_url: str,
) -> None:
    """Its next configuration is the next Sobol point: the same one the full history gives,
    found without reading a single trial (the cost does not grow with the study)."""
    from sqlalchemy import event

    upgrade(database_url)
    service = Service(Database(database_url))
    statements: list[str] = []
    event.listen(
        service.database.engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_rest: statements.append(sql),
    )
    try:
        service.create_study(P, _random_body())
        first = service.suggest(P, "cancer-mlp", "w", count=3)
        service.report(P, "cancer-mlp", first[0].number, 0.5)
        service.fail(P, "cancer-mlp", first[1].number, "oom")
        snapshot = take_snapshot(service.database, P, "cancer-mlp")
        study = snapshot.study
        expected = (
            RandomStrategy()
            .prepare(study.space, snapshot.history, study.seed)
            .propose(list(snapshot.history.pending), 2)
        )
        statements.clear()
        trials = service.suggest(P, "cancer-mlp", "w", count=2)
        assert [t.params for t in trials] == expected
        history_reads = [s for s in statements if "SELECT trials.number, trials.state" in s]
        assert statements and history_reads == []
    finally:
        service.database.dispose()
