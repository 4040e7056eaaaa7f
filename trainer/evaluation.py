"""The honest protocol: scores measured after a study, on CV splits the study never saw.

A configuration (or a baseline model) is scored by repeated k-fold CV: ``repeats`` times
``folds`` folds (stratified for breast cancer, grouped by mix for concrete), with CV seeds
``1000 * seed + r`` that no study uses unless it was run with that seed. The score is the
mean over repetitions with its standard error (the spread of the repetition means over
sqrt(repeats)): the number that holds up, unlike a study's best trial, which is the maximum of
noisy estimates (the winner's curse).

Baselines are scored on the very same splits: scikit-learn's default MLP, and the best simple
model with its one key knob tuned on a small grid (logistic regression's C for breast cancer,
HistGradientBoosting's learning rate for concrete). The grid is chosen on the evaluation splits
themselves, which flatters the baseline, never the tuned network.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from trainer.data import load_concrete
from trainer.objectives import Problem, Settings, get_problem
from trainer.objectives.mlp import BLAS_THREADS, mix_splits, stratified_splits

RESCORE_SEED = 1
RESCORE_REPEATS = 5
RESCORE_FOLDS = 5
LOGISTIC_C = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BOOSTING_RATE = (0.03, 0.1, 0.3)


@dataclass(frozen=True)
class Protocol:
    """How a score is measured after the study: folds, repetitions, seed, epoch cap."""

    folds: int = RESCORE_FOLDS
    repeats: int = RESCORE_REPEATS
    seed: int = RESCORE_SEED
    max_iter: int = 500
    data_path: str | Path | None = None

    def settings(self) -> Settings:
        """The objective settings of this protocol."""
        return Settings(self.folds, self.seed, self.max_iter, self.data_path, self.repeats)

    def describe(self) -> str:
        """One line: what was measured."""
        return f"{self.repeats} x {self.folds}-fold CV, seed {self.seed}"


@dataclass(frozen=True)
class Score:
    """A mean over CV repetitions with its standard error, and what produced it."""

    mean: float
    sem: float
    repetitions: tuple[float, ...]
    label: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self, protocol: Protocol) -> dict[str, Any]:
        """The JSON stored in a trial's ``metadata.rescore``."""
        return {
            "value": round(self.mean, 6),
            "sem": round(self.sem, 6),
            "repetitions": [round(v, 6) for v in self.repetitions],
            "folds": protocol.folds,
            "repeats": protocol.repeats,
            "seed": protocol.seed,
        }


def score_of(fold_scores: Sequence[float], folds: int, label: str = "", **details: Any) -> Score:
    """Mean and standard error of per-repetition means (``folds`` consecutive fold scores each)."""
    values = np.asarray(fold_scores, dtype=np.float64).reshape(-1, folds).mean(axis=1)
    sem = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan
    return Score(float(values.mean()), sem, tuple(float(v) for v in values), label, details)


def rescore(problem: Problem, params: Mapping[str, Any], protocol: Protocol) -> Score:
    """Score a configuration of a built-in MLP problem on the protocol's splits."""
    result = problem.evaluate(
        params,
        folds=protocol.folds,
        seed=protocol.seed,
        max_iter=protocol.max_iter,
        data_path=protocol.data_path,
        repeats=protocol.repeats,
    )
    return score_of(result.metrics["fold_scores"], protocol.folds, "tuned MLP")


def rescore_named(problem: str, params: Mapping[str, Any], protocol: Protocol) -> Score:
    """``rescore`` with the problem given by name, for a process pool: the child looks the
    problem up in its own registry (built-ins and entry points), as the workers do."""
    return rescore(get_problem(problem), params, protocol)


def baselines(problem: str, protocol: Protocol) -> list[Score]:
    """The default MLP and the tuned simple model of a built-in problem, on the same splits."""
    if problem == "breast-cancer":
        return _classification_baselines(protocol)
    if problem == "concrete":
        return _regression_baselines(protocol)
    raise ValueError(f"no baselines for problem {problem!r}")


def _classification_baselines(protocol: Protocol) -> list[Score]:
    X, y = load_breast_cancer(return_X_y=True)
    splits = stratified_splits(y, protocol.settings())

    def cv(model: Any) -> list[float]:
        return list(cross_val_score(model, X, y, cv=splits, scoring="accuracy"))

    default = make_pipeline(StandardScaler(), MLPClassifier(random_state=protocol.seed))
    models = {c: make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
              for c in LOGISTIC_C}  # fmt: skip
    logistic = _best_of(
        models, cv, protocol, larger_is_better=True, label="logistic regression", knob="C"
    )
    return [score_of(quietly(cv, default), protocol.folds, "default MLP"), logistic]


def _regression_baselines(protocol: Protocol) -> list[Score]:
    data = load_concrete(protocol.data_path)
    splits = mix_splits(data.groups, protocol.settings())

    def cv(model: Any) -> list[float]:
        scores = cross_val_score(
            model, data.X, data.y, cv=splits, scoring="neg_root_mean_squared_error"
        )
        return [-float(s) for s in scores]

    default = TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), MLPRegressor(random_state=protocol.seed)),
        transformer=StandardScaler(),
    )
    boosting = _best_of(
        {r: HistGradientBoostingRegressor(learning_rate=r, random_state=0) for r in BOOSTING_RATE},
        cv, protocol, larger_is_better=False, label="HistGradientBoosting", knob="learning_rate",
    )  # fmt: skip
    return [score_of(quietly(cv, default), protocol.folds, "default MLP"), boosting]


def _best_of(
    models: Mapping[float, Any],
    cv: Callable[[Any], list[float]],
    protocol: Protocol,
    *,
    larger_is_better: bool,
    label: str,
    knob: str,
) -> Score:
    """The grid point with the best mean score on the protocol's splits."""
    scored = {k: score_of(quietly(cv, clone(m)), protocol.folds, label) for k, m in models.items()}
    pick = (max if larger_is_better else min)(scored, key=lambda k: scored[k].mean)
    best = scored[pick]
    return Score(best.mean, best.sem, best.repetitions, f"{label} ({knob}={pick:g})", {knob: pick})


def quietly(cv: Callable[[Any], list[float]], model: Any) -> list[float]:
    """``cv(model)`` with one BLAS thread and scikit-learn's convergence warnings off."""
    with warnings.catch_warnings(), threadpool_limits(limits=BLAS_THREADS):
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cv(model)
