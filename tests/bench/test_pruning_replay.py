"""The short-horizon bias measure of bench/pruning_replay.py, on synthetic studies."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from pruning_replay import horizon_bias


def _study(fast_learners_win: bool) -> dict[str, Any]:
    """Twelve breast-cancer trials: a larger step size learns faster; it ends best only if
    ``fast_learners_win``."""
    history = []
    for k in range(12):
        rate = 1e-4 * 2**k
        early = 0.90 + 0.005 * k  # faster learners are ahead at epoch 10
        final = 0.95 + (0.002 * k if fast_learners_win else -0.002 * k)
        curve = [[1, early - 0.05], [10, early], [50, (early + final) / 2], [200, final]]
        history.append(
            {
                "number": k,
                "state": "complete",
                "value": final,
                "params": {"learning_rate_init": rate},
                "curve": curve,
            }
        )
    return {"problem": "breast-cancer", "seed": 0, "history": history}


def test_slow_learners_that_end_best_show_the_bias() -> None:
    bias = horizon_bias(_study(fast_learners_win=False))
    assert bias["rho_10"] == 1.0  # the step size decides the early score ...
    assert bias["final"] == -1.0  # ... and the final one the other way round
    assert bias["top"] == 3
    assert bias["below_10"] == 3  # a median rule at epoch 10 would stop all three winners


def test_fast_learners_that_end_best_show_none() -> None:
    bias = horizon_bias(_study(fast_learners_win=True))
    assert bias["rho_10"] == 1.0
    assert bias["final"] == 1.0
    assert bias["below_10"] == 0
    assert bias["below_50"] == 0


def test_minimised_scores_are_signed_so_positive_means_larger_steps_do_better() -> None:
    study = _study(fast_learners_win=False)
    study["problem"] = "concrete"  # minimised: flip the values so lower is better
    for trial in study["history"]:
        trial["value"] = -trial["value"]
        trial["curve"] = [[s, -v] for s, v in trial["curve"]]
    bias = horizon_bias(study)
    assert bias["rho_10"] == 1.0
    assert bias["final"] == -1.0
    assert bias["below_10"] == 3
