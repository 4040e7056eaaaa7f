"""Cross-validation that trains every fold's network one epoch at a time, all folds together.

A step is an epoch: after each one, every fold's network is scored on its held-out fold and
the mean becomes the learning curve's value at that step, so a caller (the worker, which asks
the service) can stop a hopeless configuration early. The final value is the mean held-out
score when training ends, the same quantity a plain ``cross_validate`` would give.

A fold may train an ensemble: ``Plan.members`` networks that differ only in their random
initialisation and shuffling, whose predictions are averaged (probabilities for a classifier,
values for a regressor). On small data sets a single network's score moves with its seed as
much as with its hyperparameters; averaging a few cuts that variance (Lakshminarayanan et
al., 2017, "deep ensembles").

Each fold stops on its own by scikit-learn's rule for ``early_stopping=False``: the training
loss has not improved by ``tol`` for ``n_iter_no_change`` epochs (Kingma & Ba's Adam keeps a
constant step size, so this plateau test is what ends a run); ``max_epochs`` caps them all.
No held-out data steers training: the scores only observe it.

Per-epoch overhead is kept off the arithmetic: ``partial_fit`` re-validates its inputs on
every call (for a classifier that includes label binarisation: about 40% of an epoch on
these small data sets, profiled), so the estimators here validate a fold's arrays once
(``ValidatedOnce``), and scikit-learn's per-call parameter validation and finiteness checks are
switched off inside the loop (the loss is checked for divergence after every epoch instead).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from trainer.objectives.registry import ObjectiveError

EpochCallback = Callable[[int, float], bool]
"""Called after every epoch with (step, mean held-out score); True asks training to stop."""

Split = tuple[NDArray[np.intp], NDArray[np.intp]]
Prepared = tuple[NDArray[np.float64], NDArray[Any], NDArray[np.float64], NDArray[Any], float]
"""Preprocessed (X_train, y_train, X_test, y_test) and the target's scale (1.0 if unscaled)."""
Preprocess = Callable[[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]], Prepared]
Scorer = Callable[["FoldRun"], float]


class ValidatedOnce:
    """Mixin for an MLP estimator: validate (X, y) on the first ``partial_fit`` of a fold and
    reuse the result while the very same arrays come back (they do, every epoch)."""

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> Any:
        cached = self.__dict__.get("_validated_fold")
        if cached is not None and cached[0] is X and cached[1] is y:
            return cached[2]
        validated = super()._validate_input(X, y, incremental, reset)  # type: ignore[misc]
        self.__dict__["_validated_fold"] = (X, y, validated)
        return validated


class LockstepClassifier(ValidatedOnce, MLPClassifier):  # type: ignore[misc]
    """MLPClassifier for lockstep training (inputs validated once per fold)."""


class LockstepRegressor(ValidatedOnce, MLPRegressor):  # type: ignore[misc]
    """MLPRegressor for lockstep training (inputs validated once per fold)."""


@dataclass
class FoldRun:
    """One fold: its preprocessed data, its networks and where their training stands."""

    mlps: list[Any]
    X_train: NDArray[np.float64]
    y_train: NDArray[Any]
    X_test: NDArray[np.float64]
    y_test: NDArray[Any]
    y_scale: float = 1.0
    best_loss: float = math.inf
    stalled: int = 0
    epochs: int = 0
    done: bool = False
    score: float = math.nan


@dataclass
class Curve:
    """What lockstep training produced: the per-epoch means, final fold scores, epochs."""

    values: list[float] = field(default_factory=list)
    fold_scores: list[float] = field(default_factory=list)
    fold_epochs: list[int] = field(default_factory=list)
    stopped: bool = False
    converged: bool = False
    seconds: float = 0.0
    report_seconds: float = 0.0  # of ``seconds``, spent in the per-epoch callback
    runs: list[FoldRun] = field(default_factory=list)

    @property
    def value(self) -> float:
        """The mean held-out score when training ended."""
        return float(np.mean(self.fold_scores))

    @property
    def epochs(self) -> int:
        """Epochs of the longest-running fold: the last step of the learning curve."""
        return len(self.values)


@dataclass(frozen=True)
class Plan:
    """How to train: the estimator template, the per-fold preprocessing, the score."""

    mlp: Any
    preprocess: Preprocess
    score: Scorer
    max_epochs: int
    tol: float = 1e-4
    n_iter_no_change: int = 10
    classes: NDArray[Any] | None = None
    members: int = 1


def train_lockstep(
    plan: Plan,
    X: NDArray[Any],
    y: NDArray[Any],
    splits: Sequence[Split],
    on_epoch: EpochCallback | None = None,
) -> Curve:
    """Train one network per split, an epoch at a time; raise ObjectiveError if one diverges."""
    started = time.perf_counter()
    runs = [_fold(plan, X, y, train, test, k) for k, (train, test) in enumerate(splits)]
    curve = Curve(runs=runs)
    quick = config_context(skip_parameter_validation=True, assume_finite=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"), quick:
        warnings.simplefilter("ignore", ConvergenceWarning)
        for step in range(plan.max_epochs):
            active = [run for run in runs if not run.done]
            if not active:
                break
            for run in active:
                _epoch(plan, run)
            curve.values.append(float(np.mean([run.score for run in runs])))
            if on_epoch is not None:
                asked = time.perf_counter()
                stop = on_epoch(step, curve.values[-1])
                curve.report_seconds += time.perf_counter() - asked
                if stop:
                    curve.stopped = True
                    break
    curve.fold_scores = [run.score for run in runs]
    curve.fold_epochs = [run.epochs for run in runs]
    curve.converged = all(run.stalled > plan.n_iter_no_change for run in runs)
    curve.seconds = round(time.perf_counter() - started, 3)
    return curve


def _fold(plan: Plan, X: NDArray[Any], y: NDArray[Any], train: Any, test: Any, k: int) -> FoldRun:
    X_train, y_train, X_test, y_test, y_scale = plan.preprocess(
        X[train], y[train], X[test], y[test]
    )
    seed = plan.mlp.get_params().get("random_state")
    # A RandomState object, not an int: partial_fit re-seeds from an int on every call, which
    # would replay the same mini-batch order every epoch.
    mlps = [
        clone(plan.mlp).set_params(
            random_state=np.random.RandomState(
                None if seed is None else int(seed) * 1009 + k + 7919 * member
            )
        )
        for member in range(plan.members)
    ]
    return FoldRun(mlps, X_train, y_train, X_test, y_test, y_scale)


def _epoch(plan: Plan, run: FoldRun) -> None:
    """One pass over the fold's training data, then the held-out score and the plateau test."""
    extra = {} if plan.classes is None else {"classes": plan.classes}
    try:
        for mlp in run.mlps:
            mlp.partial_fit(run.X_train, run.y_train, **extra)
    except (ValueError, FloatingPointError, OverflowError) as exc:
        raise ObjectiveError(f"training failed ({exc}): {_hint(exc)}") from exc
    loss = float(np.mean([mlp.loss_ for mlp in run.mlps]))
    if not math.isfinite(loss):
        raise ObjectiveError(
            "training diverged (non-finite loss); try a smaller learning_rate_init"
        )
    run.epochs += 1
    run.score = plan.score(run)
    if not math.isfinite(run.score):
        raise ObjectiveError("non-finite held-out score; the configuration diverged")
    # scikit-learn's _update_no_improvement_count for early_stopping=False
    run.stalled = run.stalled + 1 if loss > run.best_loss - plan.tol else 0
    run.best_loss = min(run.best_loss, loss)
    run.done = run.stalled > plan.n_iter_no_change or run.epochs >= plan.max_epochs


def predict_proba(run: FoldRun) -> NDArray[np.float64]:
    """The ensemble's class probabilities on the held-out fold (the members' mean)."""
    return np.asarray(np.mean([m.predict_proba(run.X_test) for m in run.mlps], axis=0))


def predict(run: FoldRun) -> NDArray[np.float64]:
    """The ensemble's predictions on the held-out fold (the members' mean, regression)."""
    return np.asarray(np.mean([m.predict(run.X_test) for m in run.mlps], axis=0))


def _hint(exc: Exception) -> str:
    diverged = any(word in str(exc) for word in ("non-finite", "NaN", "infinity"))
    return "it diverged; try a smaller learning_rate_init" if diverged else "check params"
