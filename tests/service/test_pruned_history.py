"""How a pruned trial enters the strategy's history (docs/pruning.md has the measurements)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hpo_service.persistence import Database
from hpo_service.persistence.migrate import upgrade
from hpo_service.service import Service
from hpo_service.service.suggestions import PRUNED_AS, PrunedAs, history_of, take_snapshot
from tests.conftest import study_body

P = "default"
MEDIAN = {"name": "median", "n_startup_trials": 1, "n_warmup_steps": 0}


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    upgrade(database_url)
    service = Service(Database(database_url))
    yield service
    service.database.dispose()


def _study_with_a_pruned_trial(service: Service, direction: str) -> int:
    """Three complete trials (0.90, 0.95, 0.30) and one pruned at its last value 0.80."""
    service.create_study(P, study_body(direction=direction, pruner=MEDIAN))
    trials = service.suggest(P, "cancer-mlp", "w", count=4)
    for trial, value in zip(trials[:3], (0.90, 0.95, 0.30), strict=True):
        service.report(P, "cancer-mlp", trial.number, value)
    pruned = trials[3].number
    for step, value in enumerate((0.6, 0.7, 0.8)):
        service.report_intermediate(P, "cancer-mlp", pruned, step, value, "w")
    service.prune(P, "cancer-mlp", pruned, "w")
    return pruned


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_a_pruned_trial_is_observed_at_its_own_last_value_by_default(
    service: Service, direction: str
) -> None:
    pruned = _study_with_a_pruned_trial(service, direction)
    snapshot = take_snapshot(service.database, P, "cancer-mlp")
    params = service.get_trial(P, "cancer-mlp", pruned).params
    sign = 1.0 if direction == "maximize" else -1.0
    assert PRUNED_AS == PrunedAs.LAST
    observed = [o.value for o in snapshot.history.completed if o.params == params]
    # its own last value, not the worst complete one (0.30 would brand its whole
    # neighbourhood hopeless), and in the strategy's maximised units
    assert observed == [pytest.approx(sign * 0.8)]
    assert len(snapshot.history.completed) == 4
    assert snapshot.history.failed == ()


def test_the_other_policies_stay_available_for_the_benchmark(service: Service) -> None:
    pruned = _study_with_a_pruned_trial(service, "maximize")
    study = service.get_study(P, "cancer-mlp").study
    trials = service.all_trials(P, "cancer-mlp")
    params = trials[pruned].params
    worst = history_of(study, trials, PrunedAs.WORST)
    assert [o.value for o in worst.completed if o.params == params] == [pytest.approx(0.30)]
    ignored = history_of(study, trials, PrunedAs.IGNORE)
    assert [o.params for o in ignored.completed].count(params) == 0
    assert ignored.failed == (params,)
