"""The replay of the re-score step's candidate rules (bench/rescore_candidates.py): each rule
re-scores its own candidates, recommends the best seed-1 re-score in the problem's direction,
and a recommendation the study itself confirmed is not scored again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import rescore_candidates as rc


def _study(problem: str, values: dict[int, float], rescored: dict[int, float]) -> dict[str, Any]:
    history = [
        {"number": n, "state": "complete", "value": v, "params": {"x": n}}
        for n, v in values.items()
    ]
    best = max(rescored, key=lambda n: rescored[n] * (1 if problem == "breast-cancer" else -1))
    return {
        "problem": problem,
        "history": history,
        "rescored": [{"number": n, "value": v} for n, v in rescored.items()],
        "best_number": best,
        "confirm": {"value": 0.5},
    }


def test_each_rule_picks_its_best_seed_1_rescore_in_the_problems_direction() -> None:
    # trial 4 has the top value but the posterior ranking left it out
    values = {0: 0.90, 1: 0.95, 2: 0.96, 3: 0.94, 4: 0.99}
    study = _study("breast-cancer", values, {1: 0.95, 2: 0.97, 3: 0.96})
    assert rc.by_value(study) == [4, 2, 1]
    scores = {rc.key(study, 4, 1): 0.98}
    assert rc.pick(study, "posterior", scores) == 2
    assert rc.pick(study, "value", scores) == 4
    assert rc.pick(study, "union", scores) == 4
    assert rc.pick(study, "value", {}) is None  # trial 4 not re-scored yet
    assert rc.confirmed(study, 2, {}) == 0.5  # the study's own confirmation
    assert rc.confirmed(study, 4, {rc.key(study, 4, 2): 0.97}) == 0.97


def test_for_rmse_the_smallest_rescore_wins() -> None:
    values = {0: 6.0, 1: 5.5, 2: 5.2, 3: 5.9}
    study = _study("concrete", values, {0: 6.1, 3: 5.8, 1: 5.6})
    assert rc.by_value(study) == [2, 1, 3]
    scores = {rc.key(study, 2, 1): 5.7}
    assert rc.pick(study, "posterior", scores) == 1
    assert rc.pick(study, "value", scores) == 1
    scores[rc.key(study, 2, 1)] = 5.4
    assert rc.pick(study, "union", scores) == 2
