"""Default-parameter MLP baselines on both problems, and how long one trial takes.

Writes docs/benchmarks/baseline.md. Run from the repository root:

    HPO_DATA_DIR=../shared/datasets .venv/bin/python bench/baseline_mlp.py [--configs 20]

Baseline: scikit-learn's MLPClassifier / MLPRegressor with every parameter at its default
(one hidden layer of 100, relu, adam, lr 0.001, alpha 1e-4, batch 200, max_iter 200, no
early stopping), scored exactly like the objectives (same scaling, 5-fold CV, folds grouped
by mix for concrete), for seeds 0, 1, 2. Trial time: the objectives' own settings on
random configurations of the search space, plus the slowest corner of the space.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.neural_network import MLPClassifier, MLPRegressor

from trainer.objectives import ObjectiveError, Settings, get_problem
from trainer.objectives.mlp import MLP_SPACE, score_classifier, score_regressor

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "baseline.md"
SEEDS = (0, 1, 2)
SLOWEST = {
    "n_layers": 3, "units_1": 128, "units_2": 128, "units_3": 128, "activation": "tanh",
    "solver": "sgd", "learning_rate_init": 1e-4, "alpha": 1e-6, "batch_size": 16,
    "momentum": 0.5,
}  # fmt: skip


def random_config(rng: np.random.Generator) -> dict[str, Any]:
    """One configuration drawn uniformly (log-uniformly where ``log``) from MLP_SPACE."""
    config: dict[str, Any] = {}
    for p in MLP_SPACE:
        if p["type"] == "categorical":
            config[p["name"]] = p["choices"][int(rng.integers(len(p["choices"])))]
            continue
        low, high = (math.log(p["low"]), math.log(p["high"])) if p["log"] else (p["low"], p["high"])
        value = float(rng.uniform(low, high))
        value = math.exp(value) if p["log"] else value
        config[p["name"]] = round(value) if p["type"] == "int" else value
    return config


def baseline_rows() -> list[str]:
    """Markdown rows: default MLP on each problem, mean and spread over SEEDS."""
    cls = [score_classifier(MLPClassifier(random_state=s), Settings(seed=s)) for s in SEEDS]
    reg = [score_regressor(MLPRegressor(random_state=s), Settings(seed=s)) for s in SEEDS]
    acc, auc = [r.value for r in cls], [r.metrics["roc_auc"] for r in cls]
    rmse, r2 = [r.value for r in reg], [r.metrics["r2"] for r in reg]
    conv = sum(r.metrics["converged"] for r in cls + reg)
    return [
        f"| breast-cancer | CV accuracy | {_spread(acc, 4)} | ROC AUC {_spread(auc, 4)} |",
        f"| concrete | CV RMSE (MPa) | {_spread(rmse, 2)} | R^2 {_spread(r2, 3)} |",
        "",
        f"Runs where every fold converged within 200 epochs: {conv} of {len(cls + reg)}.",
    ]


def timing_rows(count: int) -> list[str]:
    """Markdown rows: seconds per trial on random configurations and on the slowest corner."""
    rng = np.random.default_rng(2026)
    rows = []
    for name in ("breast-cancer", "concrete"):
        problem, seconds, failed = get_problem(name), [], 0
        for _ in range(count):
            started = time.perf_counter()
            try:
                problem.evaluate(random_config(rng))
            except ObjectiveError:
                failed += 1
            seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        problem.evaluate(SLOWEST)
        slowest = time.perf_counter() - started
        rows.append(
            f"| {name} | {count} | {statistics.median(seconds):.2f} | "
            f"{np.percentile(seconds, 90):.2f} | {max(seconds):.2f} | {slowest:.2f} | {failed} |"
        )
    return rows


def _spread(values: list[float], digits: int) -> str:
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def machine() -> str:
    """A one-line description of this machine and the library versions."""
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"NumPy {np.__version__}, load average {os.getloadavg()[0]:.1f} at the start"
    )


def main() -> None:
    """Run both benchmarks and write docs/benchmarks/baseline.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=20, help="random configs per problem")
    args = parser.parse_args()
    started = time.perf_counter()
    lines = [
        "# Default-parameter MLP baseline",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}, by "
        "`bench/baseline_mlp.py`.",
        "",
        "scikit-learn defaults (one hidden layer of 100, relu, adam, lr 0.001, alpha 1e-4,",
        "batch 200, max_iter 200, no early stopping), scored like the objectives: StandardScaler",
        "on the inputs (and the target for concrete), 5-fold CV, stratified for breast cancer,",
        f"grouped by mix for concrete. Mean ± standard deviation over seeds {SEEDS}.",
        "",
        "| problem | score | default MLP | secondary |",
        "| --- | --- | --- | --- |",
        *baseline_rows(),
        "",
        "## Seconds per trial",
        "",
        "The objectives' settings (5 folds, max_iter 100, early stopping after 10 epochs",
        "without improvement, one BLAS thread), one process, random configurations of the",
        "search space. The last columns are the slowest corner (3 x 128 units, batch 16, sgd,",
        "lr 1e-4) and the number of random configurations that diverged (a failed trial).",
        "Wall-clock seconds: on a busy machine (see the load average above) they stretch.",
        "",
        "| problem | configs | median s | p90 s | max s | slowest corner s | diverged |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *timing_rows(args.configs),
    ]
    lines += ["", f"Whole run: {time.perf_counter() - started:.0f} s.", ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
