"""The breast-cancer ceiling benchmark (bench/mlp_ceiling.py): its input-noise variant trains
on noisy inputs, reproducibly by seed, and a pool worker that scored a noisy row trains the
plain network again for the next row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import mlp_ceiling

from trainer.objectives import mlp as mlp_module
from trainer.objectives.lockstep import LockstepClassifier


def _weights(kind: type[LockstepClassifier], seed: int) -> list[Any]:
    rng = np.random.RandomState(0)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = clone(kind(hidden_layer_sizes=(5,), random_state=np.random.RandomState(seed)))
    for _ in range(3):
        net.partial_fit(X, y, classes=[0, 1])
    return [w.copy() for w in net.coefs_]


def test_noisy_inputs_change_training_and_repeat_by_seed() -> None:
    noisy = mlp_ceiling.noisy_classifier(0.3)
    plain = _weights(LockstepClassifier, seed=1)
    first, again = _weights(noisy, seed=1), _weights(noisy, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.allclose(a, b) for a, b in zip(first, plain, strict=True))
    other = _weights(noisy, seed=2)
    assert not all(np.allclose(a, b) for a, b in zip(first, other, strict=True))


def test_score_patches_the_classifier_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[type, int]] = []
    space_ensemble = mlp_module.MAX_ENSEMBLE
    monkeypatch.setattr(
        mlp_ceiling,
        "rescore",
        lambda *_args: seen.append((mlp_module.LockstepClassifier, mlp_module.MAX_ENSEMBLE)),
    )
    monkeypatch.setattr(mlp_ceiling, "SEEDS", (1,))
    mlp_ceiling.score({**mlp_ceiling.grid()[0], "noise": 0.2})
    mlp_ceiling.score(mlp_ceiling.grid()[0])
    assert seen[0][0] is not LockstepClassifier and issubclass(seen[0][0], LockstepClassifier)
    assert seen[1][0] is LockstepClassifier
    assert [allowed for _, allowed in seen] == [mlp_ceiling.BIG_ENSEMBLE] * 2
    # nothing leaks out of score(): the next caller in this process sees the trainer as shipped
    assert mlp_module.LockstepClassifier is LockstepClassifier
    assert space_ensemble == mlp_module.MAX_ENSEMBLE
