"""The built-in MLP objectives, lockstep training with learning curves, and the registry."""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import PowerTransformer

from hpo_service.wire import space_from_json
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
from trainer.objectives import mlp as mlp_module
from trainer.objectives.lockstep import LockstepClassifier, LockstepRegressor, Plan, train_lockstep
from trainer.objectives.mlp import cv_seed, mix_splits, regression_inputs, rmse, stratified_splits

GOOD: dict[str, Any] = {
    "input_transform": "standard",
    "n_layers": 1,
    "units_1": 32,
    "activation": "relu",
    "learning_rate_init": 0.01,
    "alpha": 1e-4,
    "batch_size": 32,
    "ensemble": 1,
}


@pytest.fixture
def scratch_registry() -> Iterator[None]:
    """Undo registrations a test makes."""
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


@pytest.mark.parametrize("name", ["breast-cancer", "concrete"])
def test_search_space_is_valid_rest_json_with_conditions(name: str) -> None:
    problem = get_problem(name)
    space = space_from_json(problem.search_space())
    assert space.check(GOOD) == GOOD
    deep = {**GOOD, "n_layers": 3, "units_2": 16, "units_3": 8}
    assert space.check(deep) == deep
    assert {"input_transform", "n_layers", "alpha", "batch_size"} <= set(space.names)


def test_breast_cancer_reports_a_curve_and_scores_above_090() -> None:
    curve: list[tuple[int, float]] = []
    result = get_problem("breast-cancer").evaluate(
        GOOD, seed=1, folds=3, max_iter=40, on_epoch=lambda s, v: curve.append((s, v)) or False
    )
    assert result.value > 0.9 and not result.pruned
    assert result.metrics["roc_auc"] > 0.95
    assert [s for s, _ in curve] == list(range(result.metrics["epochs"]))
    assert curve[-1][1] == pytest.approx(result.value)
    assert len(result.metrics["fold_scores"]) == 3
    assert result.metrics["epochs_total"] == sum(result.metrics["fold_epochs"])


def test_concrete_beats_the_mean_predictor_by_far() -> None:
    result = get_problem("concrete").evaluate(GOOD, seed=1, folds=3, max_iter=60)
    data = load_concrete()
    splits = mix_splits(data.groups, Settings(folds=3, seed=1))
    mean_rmse = -cross_val_score(
        DummyRegressor(), data.X, data.y, cv=splits, scoring="neg_root_mean_squared_error"
    ).mean()
    assert result.value < 0.6 * mean_rmse
    assert result.metrics["r2"] > 0.6


def test_a_true_from_the_callback_stops_training_as_pruned() -> None:
    steps: list[int] = []

    def stop_at_5(step: int, value: float) -> bool:
        steps.append(step)
        time.sleep(0.02)  # a report's round trip
        return step == 4

    result = get_problem("concrete").evaluate(GOOD, folds=3, max_iter=200, on_epoch=stop_at_5)
    assert result.pruned and steps == [0, 1, 2, 3, 4]
    # the time spent reporting is counted apart, within the trial's seconds
    assert 0.1 <= result.metrics["report_seconds"] <= result.metrics["fit_seconds"]
    assert result.metrics["epochs"] == 5 and result.metrics["fold_epochs"] == [5, 5, 5]
    assert "r2" not in result.metrics  # no final score for a stopped trial


@pytest.mark.parametrize("name", ["breast-cancer", "concrete"])
def test_same_seed_same_score_other_seed_other_score(name: str) -> None:
    problem = get_problem(name)
    first = problem.evaluate(GOOD, seed=3, folds=3, max_iter=15)
    again = problem.evaluate(GOOD, seed=3, folds=3, max_iter=15)
    other = problem.evaluate(GOOD, seed=4, folds=3, max_iter=15)
    assert first.value == again.value
    timings = ("fit_seconds", "report_seconds")
    assert {k: v for k, v in first.metrics.items() if k not in timings} == {
        k: v for k, v in again.metrics.items() if k not in timings
    }
    assert first.value != other.value


def test_repeats_use_other_splits_and_multiply_the_folds() -> None:
    result = get_problem("breast-cancer").evaluate(GOOD, folds=3, repeats=2, max_iter=10)
    assert len(result.metrics["fold_scores"]) == 6
    assert cv_seed(0, 1) != cv_seed(1, 0)
    y = np.arange(40) % 2
    one = stratified_splits(y, Settings(folds=2, seed=0, repeats=2))
    assert len(one) == 4 and not np.array_equal(one[0][1], one[2][1])


@pytest.mark.parametrize("seed", [0, 7])
def test_concrete_folds_never_split_a_mix(seed: int) -> None:
    data = load_concrete()
    mixes = [tuple(row) for row in data.X[:, :7]]
    for train, test in mix_splits(data.groups, Settings(folds=5, seed=seed, repeats=2)):
        assert not {mixes[i] for i in train} & {mixes[i] for i in test}


@pytest.mark.parametrize("transform", ["standard", "power", "quantile"])
def test_every_input_transform_trains(transform: str) -> None:
    params = {**GOOD, "input_transform": transform}
    result = get_problem("breast-cancer").evaluate(params, folds=2, max_iter=20)
    assert result.value > 0.85


def test_unconverged_training_leaks_no_warning_and_says_so() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = get_problem("concrete").evaluate(GOOD, folds=2, max_iter=2)
    assert result.metrics["converged"] is False
    assert result.metrics["fold_epochs"] == [2, 2]


def test_diverging_training_is_an_objective_error() -> None:
    data = load_concrete()
    wild = MLPRegressor(
        activation="identity", solver="sgd", learning_rate_init=5.0, momentum=0.99, random_state=0
    )
    plan = Plan(mlp=wild, preprocess=regression_inputs("standard"), score=rmse, max_epochs=50)
    splits = mix_splits(data.groups, Settings(folds=2))
    with pytest.raises(ObjectiveError, match=r"diverged.*smaller learning_rate_init"):
        train_lockstep(plan, data.X, data.y, splits)


def test_bad_parameter_values_are_objective_errors() -> None:
    with pytest.raises(ObjectiveError, match="input_transform must be one of"):
        get_problem("breast-cancer").evaluate({**GOOD, "input_transform": "log"}, folds=2)
    with pytest.raises(ObjectiveError, match="n_layers"):
        get_problem("breast-cancer").evaluate({**GOOD, "n_layers": 4}, folds=2)
    with pytest.raises(ObjectiveError, match=r"needs \['units_2'\]"):
        get_problem("breast-cancer").evaluate({**GOOD, "n_layers": 2}, folds=2)


def test_missing_parameters_and_unknown_problems_are_clear_errors() -> None:
    with pytest.raises(ObjectiveError, match=r"missing parameters \['alpha'\]"):
        get_problem("concrete").evaluate({k: v for k, v in GOOD.items() if k != "alpha"})
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


def test_an_ensemble_averages_members_that_differ_only_in_their_seeds() -> None:
    data = load_concrete()
    mlp = MLPRegressor(hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=3)
    splits = mix_splits(data.groups, Settings(folds=2))
    single = Plan(mlp=mlp, preprocess=regression_inputs("standard"), score=rmse, max_epochs=5)
    trio = Plan(**{**single.__dict__, "members": 3})
    one = train_lockstep(single, data.X, data.y, splits)
    three = train_lockstep(trio, data.X, data.y, splits)
    members = three.runs[0].mlps
    assert len(members) == 3 and len(one.runs[0].mlps) == 1
    assert not np.array_equal(members[0].coefs_[0], members[1].coefs_[0])
    assert one.value != three.value
    # each member re-shuffles every epoch from its own generator (an int seed would replay
    # the same mini-batch order on every partial_fit call)
    assert all(isinstance(m.random_state, np.random.RandomState) for m in members)
    with pytest.raises(ObjectiveError, match=r"ensemble must be in 1\.\.3"):
        get_problem("concrete").evaluate({**GOOD, "ensemble": 9}, folds=2)


@pytest.mark.parametrize(
    ("fast", "plain"), [(LockstepClassifier, MLPClassifier), (LockstepRegressor, MLPRegressor)]
)
def test_validating_a_fold_once_trains_exactly_as_plain_partial_fit(fast: Any, plain: Any) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    target = y if plain is MLPClassifier else y.astype(float) + 0.1 * X[:, 0]
    extra = {"classes": np.unique(y)} if plain is MLPClassifier else {}
    nets = [
        cls(hidden_layer_sizes=(16,), random_state=np.random.RandomState(3))
        for cls in (fast, plain)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(5):
            for net in nets:
                net.partial_fit(X, target, **extra)
    assert nets[0].loss_curve_ == nets[1].loss_curve_
    for a, b in zip(nets[0].coefs_, nets[1].coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="features"):
        nets[0].partial_fit(X[:, :5], target, **extra)  # other arrays are validated again


def test_a_folds_preprocessing_is_computed_once_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    fits: list[int] = []
    original = mlp_module.input_transform

    def counting(name: str, n_samples: int) -> Any:
        fits.append(n_samples)
        return original(name, n_samples)

    monkeypatch.setattr(mlp_module, "input_transform", counting)
    prepare = mlp_module.classification_inputs("power")
    first = prepare(X[:400], y[:400], X[400:], y[400:])
    again = prepare(X[:400].copy(), y[:400], X[400:], y[400:])  # equal content, new array
    other = prepare(X[:300], y[:300], X[300:], y[300:])
    assert len(fits) == 2 and first[0] is again[0]
    assert other[0].shape == (300, 30)
    reference = PowerTransformer().fit(X[:400])
    np.testing.assert_allclose(first[2], reference.transform(X[400:]))
