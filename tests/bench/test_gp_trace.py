"""The run tracer (bench/gp_trace.py): one row per model step, with the proposal's move
from the incumbent and whether it found a new best, consistent with the run's regret."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import gp_trace


def test_a_trace_has_one_row_per_model_step_and_agrees_with_the_regret() -> None:
    rows = gp_trace.trace("hartmann3_3d", 0, 14, {"n_initial": 6})
    assert [r["step"] for r in rows] == list(range(6, 14))
    assert all(len(r["lengthscales"]) == 3 and len(r["move"]) == 3 for r in rows)
    assert all(r["acquisition"] == "ei" for r in rows)
    regrets = [float(r["regret"]) for r in rows]
    assert regrets == sorted(regrets, reverse=True)  # best so far, noise-free problem
    # a step that found a new best lowers the regret seen at the next step
    for row, after in itertools.pairwise(rows):
        if row["new_best"]:
            assert float(after["regret"]) < float(row["regret"])
        else:
            assert float(after["regret"]) == float(row["regret"])
    assert all(np.all(np.asarray(r["move"]) >= 0) for r in rows)


def test_pi_without_margin_is_traced_as_pi() -> None:
    rows = gp_trace.trace("hartmann3_3d", 1, 10, {"n_initial": 6, "acquisition": "pi", "xi": 0})
    assert rows and all(r["acquisition"] == "pi" for r in rows)
