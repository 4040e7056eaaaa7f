"""How far a hand-tuned network gets on breast cancer: the ceiling the tuned studies aim at.

Run from the repository root (about 10 minutes on 2 cores):

    .venv/bin/python bench/mlp_ceiling.py

Scores a small grid of one-layer networks that a person would pick for a small tabular data
set (standard or Yeo-Johnson inputs, 16 units, step size 1e-3, batch 32, 3 networks per fold,
a range of L2 penalties: scikit-learn's alpha at 32 x 0.003 .. 0.03, the penalty per training
sample, see docs/objectives.md) on the re-score splits (5 x 5-fold CV, seed 1) and the
confirmation splits (seed 2) of ``bench/tuned_mlp.py``, plus the best of them with 6 networks
per fold (beyond the search space's 3). Every point is picked with the scores in view, so the
best row flatters the network the way the classic-model table (``bench/simple_models.py``)
flatters those models.

Then another regulariser the search space does not have: Gaussian noise added to the
(standardised) training inputs, drawn afresh every epoch (training with noise is Tikhonov
regularisation, Bishop 1995, "Training with noise is equivalent to Tikhonov
regularization"), at standard deviations 0.1-0.4, on the weak-penalty network (alpha / batch
0.003) and on the best row of the grid. Writes docs/benchmarks/mlp_ceiling.md.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import Pool
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import sklearn
from machine import describe
from sklearn.utils import check_random_state

from trainer.evaluation import Protocol, Score, rescore
from trainer.objectives import get_problem
from trainer.objectives import mlp as mlp_module
from trainer.objectives.lockstep import LockstepClassifier

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "mlp_ceiling.md"
SEEDS = (1, 2)
BASE: dict[str, Any] = {
    "n_layers": 1, "units_1": 16, "learning_rate_init": 1e-3, "batch_size": 32, "ensemble": 3,
}  # fmt: skip
WEIGHT_DECAYS = (0.003, 0.01, 0.016, 0.03)
BIG_ENSEMBLE = 6
NOISES = (0.1, 0.2, 0.4)


def noisy_classifier(sigma: float) -> type[LockstepClassifier]:
    """The trainer's classifier, fed inputs plus N(0, sigma^2) noise drawn each epoch from the
    network's own random stream (so a run is reproducible by seed)."""

    class NoisyInputs(LockstepClassifier):
        def partial_fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
            rng = check_random_state(self.random_state)
            return super().partial_fit(X + sigma * rng.standard_normal(np.shape(X)), y, **kwargs)

    return NoisyInputs


def grid() -> list[dict[str, Any]]:
    """The configurations scored: transform x activation x weight_decay, then 6 networks."""
    return [
        {
            **BASE,
            "input_transform": transform,
            "activation": activation,
            "alpha": wd * BASE["batch_size"],
        }
        for transform in ("standard", "power")
        for activation in ("tanh", "relu")
        for wd in WEIGHT_DECAYS
    ]


def score(params: dict[str, Any]) -> tuple[dict[str, Any], list[Score]]:
    """The configuration's scores on the re-score and confirmation splits (``noise``: the
    standard deviation of the input noise, 0 for none)."""
    problem = get_problem("breast-cancer")
    with _variant(float(params.get("noise", 0.0))):
        return params, [rescore(problem, params, Protocol(seed=seed)) for seed in SEEDS]


@contextmanager
def _variant(noise: float) -> Iterator[None]:
    """While open, the objective allows BIG_ENSEMBLE networks per fold and builds its networks
    from the noisy classifier (``noise`` > 0); both module globals are restored on exit."""
    saved = mlp_module.MAX_ENSEMBLE, mlp_module.LockstepClassifier  # type: ignore[attr-defined]
    mlp_module.MAX_ENSEMBLE = BIG_ENSEMBLE
    chosen = noisy_classifier(noise) if noise else LockstepClassifier
    mlp_module.LockstepClassifier = chosen  # type: ignore[attr-defined]
    try:
        yield
    finally:
        mlp_module.MAX_ENSEMBLE, mlp_module.LockstepClassifier = saved  # type: ignore[attr-defined]


def _row(params: dict[str, Any], scores: list[Score]) -> str:
    cells = " | ".join(f"{s.mean:.4f} +- {s.sem:.4f}" for s in scores)
    return (
        f"| {params['input_transform']} | {params['activation']} | {params['alpha']:.3g} | "
        f"{params['alpha'] / params['batch_size']:g} | {params['ensemble']} | "
        f"{params.get('noise', 0.0):g} | {cells} |"
    )


def main() -> None:
    """Score the grid, then the best row with more networks, the noisy rows, write the table."""
    with Pool(2) as pool:
        results = pool.map(score, grid())
        best = max(results, key=lambda r: sum(s.mean for s in r[1]))[0]
        weak = grid()[0]  # standard, tanh, the weakest penalty
        noisy = [{**params, "noise": sigma} for params in (weak, best) for sigma in NOISES]
        results += pool.map(score, [{**best, "ensemble": BIG_ENSEMBLE}, *noisy])
    lines = [
        "# Breast cancer: how far a hand-tuned network gets",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d} on {describe()}, scikit-learn "
        f"{sklearn.__version__}, by `bench/mlp_ceiling.py`. One hidden layer of 16 units, "
        "step size 1e-3, batch 32; 5 x 5-fold CV on the re-score splits (seed 1) and the "
        "confirmation splits (seed 2) of `bench/tuned_mlp.py`; mean +- standard error over "
        "the 5 repetitions. After the grid: its best row with "
        f"{BIG_ENSEMBLE} networks per fold (the search space allows up to 3), then the "
        "weakest-penalty network and the best row trained with Gaussian noise of standard "
        "deviation 0.1-0.4 added to the standardised inputs, drawn afresh every epoch (a "
        "regulariser the search space does not have).",
        "",
        "| inputs | activation | alpha | alpha / batch_size | networks | input noise | seed 1 "
        "| seed 2 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *(_row(params, scores) for params, scores in results),
        "",
    ]
    OUT.write_text("\n".join(lines))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
