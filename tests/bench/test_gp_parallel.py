"""bench/gp_parallel.py: the candidate initial-design rule for asynchronous workers
(bench/gp_ablations.CompletedDesignGPStrategy) and the report's "results late" reference."""

from __future__ import annotations

import itertools
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import gp_parallel
from gp_ablations import CompletedDesignGPStrategy

from hpo_service.domain import FloatParam, History, Observation, Params, SearchSpace
from hpo_service.optimisation.gp import GPConfig, GPStrategy
from hpo_service.optimisation.gp.proposer import GPProposer
from hpo_service.optimisation.random_search import RandomProposer

SPACE = SearchSpace(tuple(FloatParam(f"x{i}", 0.0, 1.0) for i in range(2)))


def _history(completed: int, pending: int) -> History:
    rng = np.random.default_rng(0)
    points = rng.random((completed + pending, 2))
    observations = tuple(
        Observation({"x0": float(a), "x1": float(b)}, float(-((a - 0.3) ** 2) - (b - 0.7) ** 2))
        for a, b in points[:completed]
    )
    waiting: tuple[Params, ...] = tuple(
        {"x0": float(a), "x1": float(b)} for a, b in points[completed:]
    )
    return History(completed=observations, pending=waiting)


@pytest.mark.parametrize(
    ("completed", "pending", "engine_model", "variant_model"),
    [
        (3, 3, True, False),  # the engine counts pending trials towards n_initial = 5
        (4, 0, False, False),  # no pending trial: the two rules agree
        (5, 3, True, True),
        (1, 4, False, False),  # fewer than 2 observations: never a model
    ],
)
def test_the_variant_waits_for_completed_trials(
    completed: int, pending: int, engine_model: bool, variant_model: bool
) -> None:
    history = _history(completed, pending)
    config = GPConfig(n_initial=5)
    engine = GPStrategy(config).prepare(SPACE, history, 0)
    variant = CompletedDesignGPStrategy(config).prepare(SPACE, history, 0)
    assert isinstance(engine, GPProposer) is engine_model
    assert isinstance(variant, GPProposer) is variant_model
    for proposer, model in ((engine, engine_model), (variant, variant_model)):
        assert isinstance(proposer, RandomProposer) is not model


def _write(results: Path, arm: str, seed: int, budget: int, curve: list[float] | None) -> None:
    path = results / arm / "p" / f"seed{seed}-budget{budget}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record: dict[str, object] = {"seed": seed, "regret": 1.0 if curve is None else curve[-1]}
    if curve is not None:
        record["curve"] = curve
    path.write_text(json.dumps(record))


def test_late_ratio_is_the_median_three_evaluations_early_over_the_median_at_the_end(
    tmp_path: Path,
) -> None:
    budget = 6
    curves = [
        [9.0, 8.0, 4.0, 2.0, 1.0, 0.5],
        [9.0, 9.0, 6.0, 3.0, 3.0, 1.0],
        [9.0, 7.0, 5.0, 5.0, 0.4, 0.2],
    ]
    for seed, curve in enumerate(curves):
        _write(tmp_path, "sequential", seed, budget, curve)
    late = gp_parallel.late_ratio(tmp_path, "p", budget, late=3)
    expected = statistics.median([4.0, 6.0, 5.0]) / statistics.median([0.5, 1.0, 0.2])
    assert late == pytest.approx(expected) == pytest.approx(10.0)
    assert gp_parallel.late_ratio(tmp_path, "p", budget, late=1) == pytest.approx(1.0 / 0.5)


def test_late_ratio_needs_recorded_curves(tmp_path: Path) -> None:
    _write(tmp_path, "sequential", 0, 6, None)
    assert gp_parallel.late_ratio(tmp_path, "p", 6) is None
    assert gp_parallel.late_ratio(tmp_path, "missing", 6) is None


def test_run_arms_records_the_regret_curve(tmp_path: Path) -> None:
    arms = {"sequential": gp_parallel.ARMS["sequential"]}
    gp_parallel.run_arms(arms, tmp_path, ["six_hump_camel_2d"], "0", 8)
    record = json.loads((tmp_path / "sequential/six_hump_camel_2d/seed0-budget8.json").read_text())
    curve = record["curve"]
    assert len(curve) == 8 and curve[-1] == record["regret"]
    assert all(b <= a for a, b in itertools.pairwise(curve))  # noise-free: best so far
    assert gp_parallel.late_ratio(tmp_path, "six_hump_camel_2d", 8) == pytest.approx(
        max(curve[4], gp_parallel.FLOOR) / max(curve[7], gp_parallel.FLOOR)
    )


def test_candidate_verdict_needs_more_problems_within_target_and_a_lower_geometric_mean() -> None:
    names = ["a", "b", "c"]
    base = {"async4": [1.0, 1.6, 2.0]}
    gains = gp_parallel.candidate_verdict({**base, "async4_design": [1.0, 1.2, 2.1]}, names)
    assert "better by more than 1.25x on 1 problems (`b` 0.75x)" in gains[0]
    assert "worse by more than 1.25x on 0;" in gains[0] and "meets the rule" in gains[0]
    # one more problem within 1.5x, but a higher geometric mean: not adopted
    mixed = gp_parallel.candidate_verdict({**base, "async4_design": [1.0, 1.4, 4.0]}, names)
    assert "worse by more than 1.25x on 1 (`c` 2.00x)" in mixed[0] and "not adopted" in mixed[0]
    # a lower geometric mean, but no more problems within 1.5x: not adopted
    lower = gp_parallel.candidate_verdict({**base, "async4_design": [0.5, 1.6, 1.8]}, names)
    assert "not adopted" in lower[0]
    assert gp_parallel.candidate_verdict({**base, "async4_design": [1.0]}, names) == []


def test_date_span_of_the_records() -> None:
    from machine import date_span

    assert date_span(["2026-12-06T10:00:00+00:00", "2026-12-04T09:00:00+00:00"]) == (
        "2026-12-04 to 2026-12-06"
    )
    assert date_span(["2026-12-05T01:00:00", "2026-12-05T23:00:00"]) == "2026-12-05"
    assert date_span([]) == "undated"
