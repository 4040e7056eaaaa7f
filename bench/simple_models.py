"""How far classic models get on the two shipped problems, on the honest protocol's splits.

Run from the repository root (a few minutes on 2 cores):

    .venv/bin/python bench/simple_models.py

Scores a panel of scikit-learn models, each with its key knob on a small grid, on the
re-score splits (5 x 5-fold CV, seed 1) and the confirmation splits (seed 2) that
``bench/tuned_mlp.py`` uses, and writes docs/benchmarks/simple_models.md. The grid point is
picked on the same splits it is reported on, which flatters every model here: the table is
a ceiling for what these models reach, the context for the tuned network's targets.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import sklearn
from machine import describe
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PowerTransformer, StandardScaler
from sklearn.svm import SVC, SVR

from trainer.data import load_concrete
from trainer.evaluation import Protocol, quietly, score_of
from trainer.objectives.mlp import concrete_inputs, mix_splits, stratified_splits

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "simple_models.md"
SEEDS = (1, 2)

Panel = dict[str, dict[str, Callable[[], Any]]]


def _scaled(scaler: Callable[[], Any], model: Callable[..., Any], **knobs: Any) -> Any:
    return make_pipeline(scaler(), model(**knobs))


def classification_panel() -> Panel:
    """Breast-cancer models: name -> {knob setting -> model factory}."""
    scalers = {"standard": StandardScaler, "power": PowerTransformer}
    panel: Panel = {}
    for scaler_name, scaler in scalers.items():
        panel[f"logistic regression, {scaler_name} inputs"] = {
            f"C={c:g}": partial(_scaled, scaler, LogisticRegression, C=c, max_iter=5000)
            for c in (0.03, 0.1, 0.3, 1.0, 3.0)
        }  # fmt: skip
        panel[f"SVC (RBF), {scaler_name} inputs"] = {
            f"C={c:g}": partial(_scaled, scaler, SVC, C=c) for c in (0.3, 1.0, 3.0, 10.0)
        }  # fmt: skip
    panel["k nearest neighbours, standard inputs"] = {
        f"k={k}": (lambda k=k: make_pipeline(StandardScaler(), KNeighborsClassifier(k)))
        for k in (3, 5, 9, 15)
    }  # fmt: skip
    return panel


def regression_panel() -> Panel:
    """Concrete models (log(age) inputs, like the tuned network): name -> grid."""
    panel: Panel = {
        "HistGradientBoosting": {
            f"learning_rate={r:g}": partial(HistGradientBoostingRegressor, learning_rate=r,
                                            random_state=0)
            for r in (0.03, 0.1, 0.3)
        },
        "random forest (300 trees)": {
            f"max_features={f:g}": partial(RandomForestRegressor, 300, max_features=f,
                                           random_state=0)
            for f in (0.33, 0.66, 1.0)
        },
        "SVR (RBF), standard inputs, standardised target": {
            f"C={c:g}": (lambda c=c: TransformedTargetRegressor(
                make_pipeline(StandardScaler(), SVR(C=c)), transformer=StandardScaler()))
            for c in (1.0, 3.0, 10.0, 30.0)
        },
    }  # fmt: skip
    return panel


def best_scores(problem: str) -> list[tuple[str, str, list[tuple[float, float]]]]:
    """For each model: its best knob (by the mean over both seeds) and (mean, sem) per seed."""
    if problem == "breast-cancer":
        X, y = load_breast_cancer(return_X_y=True)
        panel, scoring, sign = classification_panel(), "accuracy", 1.0
        splits = {s: stratified_splits(y, Protocol(seed=s).settings()) for s in SEEDS}
    else:
        data = load_concrete()
        X, y = concrete_inputs(data.X), data.y
        panel, scoring, sign = regression_panel(), "neg_root_mean_squared_error", -1.0
        splits = {s: mix_splits(data.groups, Protocol(seed=s).settings()) for s in SEEDS}
    rows = []
    for name, grid in panel.items():
        results = {}
        for knob, factory in grid.items():
            per_seed = []
            for seed in SEEDS:
                cv = partial(cross_val_score, X=X, y=y, cv=splits[seed], scoring=scoring)
                raw = quietly(lambda model, cv=cv: list(cv(model)), factory())
                score = score_of(list(sign * np.asarray(raw)), Protocol().folds)
                per_seed.append((score.mean, score.sem))
            results[knob] = per_seed
        pick = (max if sign > 0 else min)(
            results, key=lambda k: float(np.mean([m for m, _ in results[k]]))
        )
        rows.append((name, pick, results[pick]))
    return rows


def report() -> str:
    """The markdown table for both problems."""
    lines = [
        "# Classic models on the shipped problems (the context for the tuned network)",
        "",
        f"Measured {dt.date.today():%Y-%m-%d} on {describe()}, scikit-learn "
        f"{sklearn.__version__}, by `bench/simple_models.py`. 5 x 5-fold CV on the re-score "
        "splits (seed 1) and the confirmation splits (seed 2) of `bench/tuned_mlp.py`; mean "
        "+- standard error over the 5 repetitions. Each model's knob is the grid point "
        "with the best mean over both seeds, picked on these very splits: a ceiling, "
        "flattering every row.",
        "",
    ]
    for problem, unit in (("breast-cancer", "accuracy"), ("concrete", "RMSE, MPa")):
        lines += [f"## {problem} ({unit})", "", "| model | knob | seed 1 | seed 2 |",
                  "| --- | --- | --- | --- |"]  # fmt: skip
        digits = 4 if problem == "breast-cancer" else 2
        for name, knob, scores in best_scores(problem):
            cells = " | ".join(f"{m:.{digits}f} +- {s:.{digits}f}" for m, s in scores)
            lines.append(f"| {name} | {knob} | {cells} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    """Score the panel and write the report."""
    OUT.write_text(report())
    print(OUT.read_text())


if __name__ == "__main__":
    main()
