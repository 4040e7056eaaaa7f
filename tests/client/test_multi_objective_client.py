"""The client with several objectives and constraints: create, report values, pareto, optimize."""

from __future__ import annotations

import pytest

from hpo_service.client import Client
from hpo_service.errors import InvalidObjectives, InvalidRequest, InvalidValue
from hpo_service.objectives import Constraint, Objective
from tests.client.conftest import SPACE

OBJECTIVES = [Objective("accuracy", "maximize"), Objective("seconds", "minimize")]


def test_create_report_values_and_read_the_front(hpo: Client) -> None:
    study = hpo.create_study(
        "mo",
        SPACE,
        objectives=OBJECTIVES,
        constraints=[Constraint("seconds", max=60.0)],
        strategy={"name": "random"},
        seed=1,
    )
    assert study.definition.objectives == tuple(OBJECTIVES)
    assert study.definition.constraints == (Constraint("seconds", None, 60.0),)
    assert study.definition.metric == "accuracy"
    with study.trial(worker_id="w") as trial:
        reported = trial.report(values={"accuracy": 0.9, "seconds": 20.0})
    assert reported.values == {"accuracy": 0.9, "seconds": 20.0}
    assert reported.feasible is True and reported.value == 0.9
    slow = study.ask()
    assert study.report(slow.number, values={"accuracy": 1.0, "seconds": 99.0}).feasible is False
    study.record(dict(slow.params), values={"accuracy": 0.8, "seconds": 5.0})
    front = study.pareto()
    assert [t.number for t in front.trials] == [0, 2]
    assert front.reference == "derived" and front.hypervolume is not None
    assert front.infeasible_count == 1
    with pytest.raises(InvalidRequest, match="pareto"):
        study.best()


def test_report_needs_exactly_one_of_value_and_values(hpo: Client) -> None:
    study = hpo.create_study("mo", SPACE, objectives=OBJECTIVES, strategy={"name": "random"})
    trial = study.ask()
    with pytest.raises(InvalidValue, match="exactly one"):
        study.report(trial.number)
    with pytest.raises(InvalidValue, match="missing"):
        study.report(trial.number, values={"accuracy": 0.5})
    with pytest.raises(InvalidValue, match="not finite"):
        study.report(trial.number, values={"accuracy": float("nan"), "seconds": 1.0})
    with pytest.raises(InvalidObjectives, match="unique"):
        hpo.create_study("dup", SPACE, objectives=[OBJECTIVES[0], OBJECTIVES[0]])


def test_optimize_with_an_objective_returning_values(hpo: Client) -> None:
    study = hpo.create_study(
        "mo", SPACE, objectives=OBJECTIVES, strategy={"name": "random"}, max_trials=6
    )

    def objective(params: dict[str, object]) -> dict[str, float]:
        layers = float(params["layers"])  # type: ignore[arg-type]
        return {"accuracy": 1.0 - 1.0 / (1.0 + layers), "seconds": 10.0 * layers}

    finished = study.optimize(objective, n_trials=6)
    assert len(finished) == 6 and all(t.values for t in finished)
    assert study.pareto().trials


def test_single_objective_client_calls_are_unchanged(hpo: Client) -> None:
    study = hpo.create_study("one", SPACE, direction="maximize", metric="accuracy")
    trial = study.ask()
    assert study.report(trial.number, 0.7).values == {"accuracy": 0.7}
    best = study.best()
    assert best is not None and best.number == trial.number
