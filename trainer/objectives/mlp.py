"""Multi-layer perceptrons (scikit-learn) on the two built-in problems.

``breast-cancer``: MLPClassifier on scaled inputs, mean stratified k-fold CV accuracy.
``concrete``: MLPRegressor on scaled inputs and scaled target, mean k-fold CV RMSE in MPa,
with folds grouped by mix (the same mix is measured at several ages, so a random split
would put one mix on both sides and flatter the model).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from trainer.data import load_concrete
from trainer.objectives.registry import ObjectiveError, Result, Settings, objective

MAX_LAYERS = 3
N_ITER_NO_CHANGE = 10
VALIDATION_FRACTION = 0.1
# One BLAS thread per trial: these matrices are small, so threads add overhead, and with
# several workers per machine they oversubscribe the cores (measured: a 3 x 128 trial took
# 185 s with OpenBLAS's default threads on a busy 2-core machine, 34 s with one).
BLAS_THREADS = 1

MLP_SPACE: tuple[dict[str, Any], ...] = (
    {"name": "n_layers", "type": "int", "low": 1, "high": MAX_LAYERS, "log": False},
    {"name": "units_1", "type": "int", "low": 4, "high": 128, "log": True},
    {"name": "units_2", "type": "int", "low": 4, "high": 128, "log": True},
    {"name": "units_3", "type": "int", "low": 4, "high": 128, "log": True},
    {"name": "activation", "type": "categorical",
     "choices": ["relu", "tanh", "logistic", "identity"]},
    {"name": "solver", "type": "categorical", "choices": ["adam", "sgd"]},
    {"name": "learning_rate_init", "type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    {"name": "alpha", "type": "float", "low": 1e-6, "high": 1e-1, "log": True},
    {"name": "batch_size", "type": "int", "low": 16, "high": 256, "log": True},
    {"name": "momentum", "type": "float", "low": 0.5, "high": 0.99, "log": False},
)  # fmt: skip
"""Shared MLP search space; ``units_k`` is used only when ``n_layers >= k``, momentum only
with sgd (a flat space, since the REST search space has no conditional parameters)."""


def mlp_kwargs(params: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """Translate a configuration of MLP_SPACE into MLPClassifier/MLPRegressor arguments."""
    layers = int(params["n_layers"])
    if not 1 <= layers <= MAX_LAYERS:
        raise ObjectiveError(f"n_layers must be in 1..{MAX_LAYERS}, got {layers}")
    return {
        "hidden_layer_sizes": tuple(int(params[f"units_{k}"]) for k in range(1, layers + 1)),
        "activation": str(params["activation"]),
        "solver": str(params["solver"]),
        "learning_rate_init": float(params["learning_rate_init"]),
        "alpha": float(params["alpha"]),
        "batch_size": int(params["batch_size"]),
        "momentum": float(params["momentum"]) if params["solver"] == "sgd" else 0.9,
        "max_iter": settings.max_iter,
        "early_stopping": True,
        "validation_fraction": VALIDATION_FRACTION,
        "n_iter_no_change": N_ITER_NO_CHANGE,
        "random_state": settings.seed,
    }


@contextmanager
def fit_quietly(metrics: dict[str, Any]) -> Iterator[None]:
    """Capture warnings raised while fitting and record them in ``metrics`` (not thread-safe)."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        started = time.perf_counter()
        yield
    metrics["fit_seconds"] = round(time.perf_counter() - started, 3)
    metrics["converged"] = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    others = sorted({str(w.message) for w in caught if w.category is not ConvergenceWarning})
    if others:
        metrics["warnings"] = others[:5]


def run_cv(
    estimator: Any,
    X: NDArray[Any],
    y: NDArray[Any],
    cv: Any,
    scoring: dict[str, str],
    groups: NDArray[Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Cross-validate with warnings captured; return (scores per metric, metrics)."""
    metrics: dict[str, Any] = {}
    try:
        with fit_quietly(metrics), threadpool_limits(limits=BLAS_THREADS):
            scores = cross_validate(
                estimator,
                X,
                y,
                groups=groups,
                cv=cv,
                scoring=scoring,
                return_estimator=True,
                error_score="raise",
            )
    except ValueError as exc:
        diverged = any(word in str(exc) for word in ("non-finite", "NaN", "infinity"))
        hint = "it diverged; try a smaller learning_rate_init" if diverged else "check params"
        raise ObjectiveError(f"training failed ({exc}): {hint}") from exc
    metrics["n_iter"] = [int(_mlp_of(e).n_iter_) for e in scores["estimator"]]
    return scores, metrics


def _mlp_of(estimator: Any) -> Any:
    if isinstance(estimator, TransformedTargetRegressor):
        estimator = estimator.regressor_
    assert isinstance(estimator, Pipeline)
    return estimator[-1]


def _fold_stats(scores: dict[str, Any], key: str, sign: float = 1.0) -> list[float]:
    values = sign * np.asarray(scores[f"test_{key}"], dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ObjectiveError(f"non-finite {key} in some fold; the configuration diverged")
    return [float(v) for v in values]


def mix_folds(settings: Settings) -> GroupKFold:
    """The concrete CV splitter: k folds over whole mixes (pass ``groups``), shuffled by seed."""
    return GroupKFold(n_splits=settings.folds, shuffle=True, random_state=settings.seed)


def score_classifier(mlp: MLPClassifier, settings: Settings) -> Result:
    """Mean stratified k-fold CV accuracy of ``mlp`` behind a StandardScaler (ROC AUC too)."""
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), mlp)
    cv = StratifiedKFold(n_splits=settings.folds, shuffle=True, random_state=settings.seed)
    scores, metrics = run_cv(model, X, y, cv, {"accuracy": "accuracy", "roc_auc": "roc_auc"})
    accuracy = _fold_stats(scores, "accuracy")
    roc_auc = _fold_stats(scores, "roc_auc")
    metrics.update(fold_accuracy=accuracy, roc_auc=float(np.mean(roc_auc)))
    return Result(value=float(np.mean(accuracy)), metrics=metrics)


def score_regressor(mlp: MLPRegressor, settings: Settings) -> Result:
    """Mean k-fold CV RMSE (MPa) of ``mlp`` on concrete, inputs and target scaled (R^2 too)."""
    data = load_concrete(settings.data_path)
    model = TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), mlp), transformer=StandardScaler()
    )
    scoring = {"rmse": "neg_root_mean_squared_error", "r2": "r2"}
    scores, metrics = run_cv(model, data.X, data.y, mix_folds(settings), scoring, data.groups)
    rmse = _fold_stats(scores, "rmse", sign=-1.0)
    r2 = _fold_stats(scores, "r2")
    metrics.update(fold_rmse=rmse, r2=float(np.mean(r2)))
    return Result(value=float(np.mean(rmse)), metrics=metrics)


@objective(
    "breast-cancer", direction="maximize", metric="cv_accuracy", space=MLP_SPACE,
    description="MLPClassifier on scikit-learn's breast cancer data: stratified k-fold CV accuracy",
)  # fmt: skip
def breast_cancer(params: Mapping[str, Any], settings: Settings) -> Result:
    """Mean stratified k-fold CV accuracy of a scaled MLPClassifier (ROC AUC in metrics)."""
    return score_classifier(MLPClassifier(**mlp_kwargs(params, settings)), settings)


@objective(
    "concrete", direction="minimize", metric="cv_rmse_mpa", space=MLP_SPACE,
    description="MLPRegressor on UCI concrete strength: k-fold CV RMSE (MPa), grouped by mix",
)  # fmt: skip
def concrete(params: Mapping[str, Any], settings: Settings) -> Result:
    """Mean k-fold CV RMSE (MPa) of a scaled MLPRegressor, folds grouped by mix (R^2 too)."""
    return score_regressor(MLPRegressor(**mlp_kwargs(params, settings)), settings)
