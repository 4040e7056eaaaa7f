"""The built-in MLP objectives and the problem registry (small, fast settings)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import cross_val_score

from hpo_service.domain import CategoricalParam, FloatParam, IntParam, Param, SearchSpace
from trainer.data import load_concrete
from trainer.objectives import (
    ObjectiveError,
    Problem,
    Result,
    Settings,
    get_problem,
    load_entry_points,
    objective,
    problem_names,
    registry,
)
from trainer.objectives.mlp import mix_folds

GOOD = {
    "n_layers": 1,
    "units_1": 32,
    "units_2": 8,
    "units_3": 8,
    "activation": "relu",
    "solver": "adam",
    "learning_rate_init": 0.01,
    "alpha": 1e-4,
    "batch_size": 32,
    "momentum": 0.9,
}


def to_domain(item: dict[str, Any]) -> Param:
    """Read one REST-format parameter dict with the service's domain classes."""
    if item["type"] == "categorical":
        return CategoricalParam(item["name"], tuple(item["choices"]))
    kind = IntParam if item["type"] == "int" else FloatParam
    return kind(item["name"], item["low"], item["high"], item["log"])


@pytest.fixture
def scratch_registry() -> Iterator[None]:
    """Undo registrations a test makes."""
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


@pytest.mark.parametrize("name", ["breast-cancer", "concrete"])
def test_search_space_is_valid_rest_json(name: str) -> None:
    problem = get_problem(name)
    space = SearchSpace(tuple(to_domain(item) for item in problem.search_space()))
    assert space.check(GOOD) == GOOD
    assert problem.direction in ("minimize", "maximize")
    assert {"n_layers", "activation", "solver", "momentum", "batch_size"} <= set(space.names)


def test_breast_cancer_scores_a_reasonable_config_above_090() -> None:
    result = get_problem("breast-cancer").evaluate(GOOD, seed=1, folds=3, max_iter=40)
    assert result.value > 0.9
    assert result.metrics["roc_auc"] > 0.95
    assert result.metrics["converged"] is True
    assert len(result.metrics["fold_accuracy"]) == 3


def test_concrete_beats_the_mean_predictor_by_far() -> None:
    result = get_problem("concrete").evaluate(GOOD, seed=1, folds=3, max_iter=40)
    data = load_concrete()
    splitter = mix_folds(Settings(folds=3, seed=1))
    mean_rmse = -cross_val_score(
        DummyRegressor(), data.X, data.y, groups=data.groups, cv=splitter,
        scoring="neg_root_mean_squared_error",
    ).mean()  # fmt: skip
    assert result.value < 0.6 * mean_rmse
    assert result.metrics["r2"] > 0.6


@pytest.mark.parametrize("name", ["breast-cancer", "concrete"])
def test_same_seed_same_score_other_seed_other_score(name: str) -> None:
    problem = get_problem(name)
    first = problem.evaluate(GOOD, seed=3, folds=3, max_iter=15)
    again = problem.evaluate(GOOD, seed=3, folds=3, max_iter=15)
    other = problem.evaluate(GOOD, seed=4, folds=3, max_iter=15)
    assert first.value == again.value
    assert {k: v for k, v in first.metrics.items() if k != "fit_seconds"} == {
        k: v for k, v in again.metrics.items() if k != "fit_seconds"
    }
    assert first.value != other.value


@pytest.mark.parametrize("seed", [0, 7])
def test_concrete_folds_never_split_a_mix(seed: int) -> None:
    data = load_concrete()
    mixes = [tuple(row) for row in data.X[:, :7]]
    for train, test in mix_folds(Settings(folds=5, seed=seed)).split(data.X, data.y, data.groups):
        assert not {mixes[i] for i in train} & {mixes[i] for i in test}


def test_unconverged_training_leaks_no_warning_and_says_so() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = get_problem("concrete").evaluate(GOOD, folds=2, max_iter=2)
    assert result.metrics["converged"] is False
    assert result.metrics["n_iter"] == [2, 2]


def test_diverging_training_is_an_objective_error() -> None:
    wild = {**GOOD, "activation": "identity", "solver": "sgd", "learning_rate_init": 0.1}
    wild.update(n_layers=3, units_2=64, units_3=64, momentum=0.99, batch_size=16, alpha=1e-6)
    with pytest.raises(ObjectiveError, match="smaller learning_rate_init"):
        get_problem("breast-cancer").evaluate(wild, folds=3, max_iter=20)


def test_bad_parameter_values_are_objective_errors() -> None:
    with pytest.raises(ObjectiveError, match="check params"):
        get_problem("breast-cancer").evaluate({**GOOD, "activation": "swish"}, folds=2)
    with pytest.raises(ObjectiveError, match="n_layers"):
        get_problem("breast-cancer").evaluate({**GOOD, "n_layers": 4}, folds=2)


def test_missing_parameters_and_unknown_problems_are_clear_errors() -> None:
    with pytest.raises(ObjectiveError, match=r"missing parameters \['momentum'\]"):
        get_problem("concrete").evaluate({k: v for k, v in GOOD.items() if k != "momentum"})
    with pytest.raises(ObjectiveError, match=r"known problems: .*breast-cancer"):
        get_problem("mnist")


SPACE = [{"name": "x", "type": "float", "low": -2.0, "high": 2.0, "log": False}]


@pytest.mark.usefixtures("scratch_registry")
def test_objective_decorator_registers_a_function() -> None:
    @objective("parabola", direction="minimize", metric="y", space=SPACE)
    def parabola(params: Any, settings: Settings) -> float:
        """(x - 1)^2."""
        return (float(params["x"]) - 1.0) ** 2

    assert "parabola" in problem_names()
    problem = get_problem("parabola")
    assert problem.evaluate({"x": 3.0}) == Result(value=4.0, metrics={})
    assert problem.description == "(x - 1)^2."
    with pytest.raises(ObjectiveError, match="already registered"):
        objective("parabola", direction="minimize", metric="y", space=SPACE)(lambda p, s: 0.0)
    with pytest.raises(ObjectiveError, match="direction"):
        Problem("p", "down", "y", tuple(SPACE), parabola)


@pytest.mark.usefixtures("scratch_registry")
def test_entry_point_group_adds_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_objectives.py").write_text(
        "from trainer.objectives import Problem\n"
        "SPACE = [{'name': 'x', 'type': 'float', 'low': 0.0, 'high': 1.0, 'log': False}]\n"
        "sphere = Problem('sphere', 'minimize', 'y', tuple(SPACE), lambda p, s: p['x'] ** 2)\n"
    )
    info = tmp_path / "my_objectives-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-objectives\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[hpo_service.objectives]\nsphere = my_objectives:sphere\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    load_entry_points(force=True)
    assert get_problem("sphere").evaluate({"x": 0.5}).value == 0.25
    monkeypatch.delitem(sys.modules, "my_objectives")


def test_metrics_are_json_able() -> None:
    result = get_problem("breast-cancer").evaluate(GOOD, folds=2, max_iter=5)
    for value in result.metrics.values():
        assert isinstance(value, bool | int | float | str | list)
    assert np.isfinite(result.value)
