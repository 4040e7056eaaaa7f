"""Multi-layer perceptrons (scikit-learn) on the two built-in problems, pipeline tuned whole.

``breast-cancer``: MLPClassifier, mean stratified k-fold CV accuracy.
``concrete``: MLPRegressor on a standardised target, mean k-fold CV RMSE in MPa, folds
grouped by mix (the same mix is measured at several ages, so a random split would put one
mix on both sides and flatter the model).

Both tune the input transformation with the network (a Yeo-Johnson or quantile transform
straightens skewed inputs such as concrete's curing age, which spans 1 to 365 days), train
epoch by epoch with every fold in lockstep (``lockstep.py``) and report the learning curve,
and may repeat the CV with other splits to cut the noise of the estimate.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.preprocessing import PowerTransformer, QuantileTransformer, StandardScaler
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from trainer.data import FEATURES, load_concrete
from trainer.objectives.lockstep import (
    Curve,
    FoldRun,
    LockstepClassifier,
    LockstepRegressor,
    Plan,
    Prepared,
    Split,
    predict,
    predict_proba,
    train_lockstep,
)
from trainer.objectives.registry import ObjectiveError, Result, Settings, objective

MAX_LAYERS = 3
MAX_ENSEMBLE = 3
# One BLAS thread per trial: these matrices are small, so threads add overhead, and with
# several workers per machine they oversubscribe the cores (measured: a 3 x 128 trial took
# 185 s with OpenBLAS's default threads on a busy 2-core machine, 34 s with one).
BLAS_THREADS = 1
INPUT_TRANSFORMS = ("standard", "power", "quantile")

MLP_SPACE: tuple[dict[str, Any], ...] = (
    {"name": "input_transform", "type": "categorical", "choices": list(INPUT_TRANSFORMS)},
    {"name": "n_layers", "type": "int", "low": 1, "high": MAX_LAYERS, "log": False},
    {"name": "units_1", "type": "int", "low": 8, "high": 256, "log": True},
    {"name": "units_2", "type": "int", "low": 8, "high": 256, "log": True,
     "condition": {"param": "n_layers", "in": [2, 3]}},
    {"name": "units_3", "type": "int", "low": 8, "high": 256, "log": True,
     "condition": {"param": "n_layers", "in": [3]}},
    {"name": "activation", "type": "categorical", "choices": ["relu", "tanh"]},
    {"name": "learning_rate_init", "type": "float", "low": 3e-4, "high": 3e-2, "log": True},
    {"name": "alpha", "type": "float", "low": 1e-6, "high": 10.0, "log": True},
    {"name": "batch_size", "type": "int", "low": 32, "high": 256, "log": True},
    {"name": "ensemble", "type": "int", "low": 1, "high": MAX_ENSEMBLE, "log": False},
)  # fmt: skip
"""The MLP search space shared by both problems; ``units_k`` exists only when
``n_layers >= k``. Adam only: see docs/objectives.md for why sgd and momentum left."""


def mlp_kwargs(params: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """Translate a configuration of MLP_SPACE into MLPClassifier/MLPRegressor arguments."""
    layers = int(params["n_layers"])
    if not 1 <= layers <= MAX_LAYERS:
        raise ObjectiveError(f"n_layers must be in 1..{MAX_LAYERS}, got {layers}")
    missing = [f"units_{k}" for k in range(1, layers + 1) if f"units_{k}" not in params]
    if missing:
        raise ObjectiveError(f"n_layers = {layers} needs {missing}")
    return {
        "hidden_layer_sizes": tuple(int(params[f"units_{k}"]) for k in range(1, layers + 1)),
        "activation": str(params["activation"]),
        "solver": "adam",
        "learning_rate_init": float(params["learning_rate_init"]),
        "alpha": float(params["alpha"]),
        "batch_size": int(params["batch_size"]),
        "random_state": settings.seed,
    }


def ensemble_size(params: Mapping[str, Any]) -> int:
    """How many networks each fold averages (1 when the configuration does not say)."""
    size = int(params.get("ensemble", 1))
    if not 1 <= size <= MAX_ENSEMBLE:
        raise ObjectiveError(f"ensemble must be in 1..{MAX_ENSEMBLE}, got {size}")
    return size


def input_transform(name: str, n_samples: int) -> Any:
    """A fresh transformer for the inputs: every choice ends standardised."""
    if name == "standard":
        return StandardScaler()
    if name == "power":
        return PowerTransformer(method="yeo-johnson", standardize=True)
    if name == "quantile":
        return QuantileTransformer(
            output_distribution="normal", n_quantiles=min(1000, n_samples), random_state=0
        )
    raise ObjectiveError(f"input_transform must be one of {list(INPUT_TRANSFORMS)}, got {name!r}")


PREPARED_CACHE = 256
_prepared: OrderedDict[str, Prepared] = OrderedDict()
_prepared_lock = threading.Lock()


def _memoised(key: str, arrays: tuple[Any, ...], compute: Callable[[], Prepared]) -> Prepared:
    """A fold's preprocessed arrays, computed once per process for the same inputs.

    Every trial of a study trains on the same splits (common random numbers), so without
    this a worker would refit the same transform on the same fold for every trial: a
    Yeo-Johnson fit costs seconds on breast cancer's 30 columns. Keyed by content, so
    another split or data set never hits; callers never write into the arrays.
    """
    digest = hashlib.sha256(key.encode())
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(str(np.shape(array)).encode())
    name = digest.hexdigest()
    with _prepared_lock:
        found = _prepared.get(name)
        if found is not None:
            _prepared.move_to_end(name)
            return found
    prepared = compute()
    with _prepared_lock:
        _prepared[name] = prepared
        while len(_prepared) > PREPARED_CACHE:
            _prepared.popitem(last=False)
    return prepared


def classification_inputs(transform: str) -> Callable[..., Prepared]:
    """Per-fold preprocessing for a classifier: transform fitted on the training fold only."""

    def prepare(X_train: Any, y_train: Any, X_test: Any, y_test: Any) -> Prepared:
        def compute() -> Prepared:
            inputs = input_transform(transform, len(X_train)).fit(X_train)
            return inputs.transform(X_train), y_train, inputs.transform(X_test), y_test, 1.0

        arrays = (X_train, y_train, X_test, y_test)
        return _memoised(f"classification/{transform}", arrays, compute)

    return prepare


def regression_inputs(transform: str) -> Callable[..., Prepared]:
    """Per-fold preprocessing for a regressor: inputs transformed, target standardised."""

    def prepare(X_train: Any, y_train: Any, X_test: Any, y_test: Any) -> Prepared:
        def compute() -> Prepared:
            inputs = input_transform(transform, len(X_train)).fit(X_train)
            mean, scale = float(np.mean(y_train)), float(np.std(y_train)) or 1.0
            return (
                inputs.transform(X_train),
                (y_train - mean) / scale,
                inputs.transform(X_test),
                (y_test - mean) / scale,
                scale,
            )

        arrays = (X_train, y_train, X_test, y_test)
        return _memoised(f"regression/{transform}", arrays, compute)

    return prepare


def accuracy(run: FoldRun) -> float:
    """Held-out accuracy of a fold's classifier (ensemble)."""
    classes = run.mlps[0].classes_
    return float(np.mean(classes[np.argmax(predict_proba(run), axis=1)] == run.y_test))


def rmse(run: FoldRun) -> float:
    """Held-out RMSE of a fold's regressor (ensemble), in the target's own unit."""
    error = predict(run) - run.y_test
    return float(np.sqrt(np.mean(error**2)) * run.y_scale)


def cv_seed(seed: int, repetition: int) -> int:
    """The CV seed of one repetition: repetition r of seed s splits with seed 1000 s + r."""
    return 1000 * seed + repetition


def stratified_splits(y: NDArray[Any], settings: Settings) -> list[Split]:
    """``repeats`` x stratified k-fold splits, shuffled by seed."""
    out: list[Split] = []
    for r in range(settings.repeats):
        cv = StratifiedKFold(settings.folds, shuffle=True, random_state=cv_seed(settings.seed, r))
        out.extend(cv.split(np.zeros(len(y)), y))
    return out


def mix_splits(groups: NDArray[Any], settings: Settings) -> list[Split]:
    """``repeats`` x k folds over whole mixes, shuffled by seed."""
    out: list[Split] = []
    for r in range(settings.repeats):
        cv = GroupKFold(settings.folds, shuffle=True, random_state=cv_seed(settings.seed, r))
        out.extend(cv.split(np.zeros(len(groups)), groups=groups))
    return out


def _train(plan: Plan, X: Any, y: Any, splits: list[Split], settings: Settings) -> Curve:
    with threadpool_limits(limits=BLAS_THREADS):
        return train_lockstep(plan, X, y, splits, settings.on_epoch)


def _metrics(curve: Curve, secondary: dict[str, float]) -> dict[str, Any]:
    return {
        "epochs": curve.epochs,
        "epochs_total": int(sum(curve.fold_epochs)),
        "fold_epochs": curve.fold_epochs,
        "fold_scores": [round(s, 6) for s in curve.fold_scores],
        "converged": curve.converged,
        "fit_seconds": curve.seconds,
        "report_seconds": round(curve.report_seconds, 3),
        **secondary,
    }


def _result(curve: Curve, secondary: Callable[[Curve], dict[str, float]]) -> Result:
    extra = {} if curve.stopped else secondary(curve)
    return Result(value=curve.value, metrics=_metrics(curve, extra), pruned=curve.stopped)


def score_classifier(params: Mapping[str, Any], settings: Settings) -> Result:
    """Mean stratified CV accuracy of the configured MLPClassifier (ROC AUC too)."""
    X, y = load_breast_cancer(return_X_y=True)
    plan = Plan(
        mlp=LockstepClassifier(**mlp_kwargs(params, settings), max_iter=settings.max_iter),
        preprocess=classification_inputs(str(params["input_transform"])),
        score=accuracy,
        max_epochs=settings.max_iter,
        classes=np.unique(y),
        members=ensemble_size(params),
    )
    curve = _train(plan, X, y, stratified_splits(y, settings), settings)

    def auc(done: Curve) -> dict[str, float]:
        aucs = [roc_auc_score(r.y_test, predict_proba(r)[:, 1]) for r in done.runs]
        return {"roc_auc": round(float(np.mean(aucs)), 6)}

    return _result(curve, auc)


def concrete_inputs(X: NDArray[np.float64]) -> NDArray[np.float64]:
    """The concrete inputs with age on a log scale: strength grows roughly with log(age)
    (the maturity rule), and the raw ages (1 to 365 days) leave most mixes bunched at 28."""
    out = X.copy()
    out[:, FEATURES.index("age")] = np.log(out[:, FEATURES.index("age")])
    return out


def score_regressor(params: Mapping[str, Any], settings: Settings) -> Result:
    """Mean CV RMSE (MPa) of the configured MLPRegressor on concrete, grouped by mix (R^2 too)."""
    data = load_concrete(settings.data_path)
    plan = Plan(
        mlp=LockstepRegressor(**mlp_kwargs(params, settings), max_iter=settings.max_iter),
        preprocess=regression_inputs(str(params["input_transform"])),
        score=rmse,
        max_epochs=settings.max_iter,
        members=ensemble_size(params),
    )
    curve = _train(
        plan, concrete_inputs(data.X), data.y, mix_splits(data.groups, settings), settings
    )

    def r2(done: Curve) -> dict[str, float]:
        scores = [r2_score(r.y_test, predict(r)) for r in done.runs]
        return {"r2": round(float(np.mean(scores)), 6)}

    return _result(curve, r2)


@objective(
    "breast-cancer", direction="maximize", metric="cv_accuracy", space=MLP_SPACE,
    description="MLPClassifier on scikit-learn's breast cancer data: stratified k-fold CV accuracy",
)  # fmt: skip
def breast_cancer(params: Mapping[str, Any], settings: Settings) -> Result:
    """Mean stratified k-fold CV accuracy of an MLPClassifier (ROC AUC in metrics)."""
    return score_classifier(params, settings)


@objective(
    "concrete", direction="minimize", metric="cv_rmse_mpa", space=MLP_SPACE,
    description="MLPRegressor on UCI concrete strength: k-fold CV RMSE (MPa), grouped by mix",
)  # fmt: skip
def concrete(params: Mapping[str, Any], settings: Settings) -> Result:
    """Mean k-fold CV RMSE (MPa) of an MLPRegressor, folds grouped by mix (R^2 too)."""
    return score_regressor(params, settings)
