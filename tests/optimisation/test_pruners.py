"""Pruners on hand-made curves: Optuna's semantics, determinism, option validation."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from hpo_service.domain import Direction, IntermediateValue, TrialState
from hpo_service.errors import InvalidPruner
from hpo_service.optimisation.pruners import (
    Case,
    CurveRecord,
    Decision,
    HyperbandPruner,
    MedianPruner,
    Pruner,
    StepQuery,
    SuccessiveHalvingPruner,
    answer,
    build_pruner,
    decide_from_records,
    normalise_pruner,
)

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE


def curve(*points: tuple[int, float]) -> tuple[IntermediateValue, ...]:
    """A curve from (step, value) pairs."""
    return tuple(IntermediateValue(s, v) for s, v in points)


def steps(*values: float) -> tuple[IntermediateValue, ...]:
    """A curve reported at steps 0, 1, 2, ..."""
    return curve(*enumerate(values))


def record(number: int, values: Sequence[tuple[int, float]], state: str) -> CurveRecord:
    return CurveRecord(number, TrialState(state), curve(*values))


def decide(
    pruner: Pruner,
    own: tuple[IntermediateValue, ...],
    others: Sequence[CurveRecord],
    direction: Direction = MIN,
    number: int = 99,
) -> Decision:
    return decide_from_records(pruner, Case("s", direction, number, own), others)


COMPLETE = [
    CurveRecord(0, TrialState.COMPLETE, steps(1.0, 0.8, 0.6)),
    CurveRecord(1, TrialState.COMPLETE, steps(1.2, 1.0, 0.9)),
    CurveRecord(2, TrialState.COMPLETE, steps(0.9, 0.7, 0.5)),
    CurveRecord(3, TrialState.RUNNING, steps(0.1, 0.1, 0.1)),  # not complete: never counted
]


def test_median_stops_a_trial_worse_than_the_median_of_complete_trials() -> None:
    decision = decide(MedianPruner(n_startup_trials=3), steps(1.1, 0.95), COMPLETE)
    assert decision.should_stop
    assert "median 0.8 of 3 complete trials" in (decision.reason or "")


@pytest.mark.parametrize(
    ("pruner", "own"),
    [
        (MedianPruner(n_startup_trials=4), steps(1.1, 0.95)),  # only 3 complete
        (MedianPruner(n_startup_trials=0, n_warmup_steps=2), steps(1.1, 0.95)),  # warming up
        (MedianPruner(n_startup_trials=0, interval_steps=2), steps(1.1, 0.95)),  # off-interval
        (MedianPruner(n_startup_trials=0, n_min_trials=4), steps(1.1, 0.95)),  # 3 values
        (MedianPruner(n_startup_trials=0), steps(0.7, 0.95)),  # best so far 0.7 < 0.8
        (MedianPruner(n_startup_trials=0), curve((7, 5.0))),  # nobody reported step 7
    ],
)
def test_median_goes_on_when_a_condition_is_missing(
    pruner: MedianPruner, own: tuple[IntermediateValue, ...]
) -> None:
    assert decide(pruner, own, COMPLETE) == Decision(False)


def test_median_interval_decides_at_the_first_step_of_each_interval() -> None:
    pruner = MedianPruner(n_startup_trials=0, interval_steps=2)
    assert decide(pruner, steps(1.1, 0.95, 0.9), COMPLETE).should_stop  # step 2, median 0.6


def test_median_is_direction_aware() -> None:
    flipped = [
        CurveRecord(r.number, r.state, steps(*(-p.value for p in r.curve))) for r in COMPLETE
    ]
    assert decide(MedianPruner(0), steps(-1.1, -0.95), flipped, MAX).should_stop
    assert not decide(MedianPruner(0), steps(-1.1, -0.95), flipped, MIN).should_stop


def test_successive_halving_as_in_optunas_own_test() -> None:
    """Optuna's test_successive_halving_pruner_intermediate_values, replayed."""
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    first = record(0, [(1, 1.0)], "running")
    assert not decide(pruner, first.curve, [], number=0).should_stop
    assert decide(pruner, curve((1, 2.0)), [first], MIN, number=1).should_stop
    assert not decide(pruner, curve((1, 2.0)), [first], MAX, number=1).should_stop


def test_successive_halving_keeps_the_top_fraction_at_each_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    # Four trials reached rung 1 (step 2) with values 1..4; with this one, 5 compete
    # and the best 5 // 2 = 2 go on.
    others = [record(n, [(1, 9.0), (2, float(n + 1))], "pruned") for n in range(4)]
    assert not decide(pruner, curve((1, 0.0), (2, 1.5)), others).should_stop
    stopped = decide(pruner, curve((1, 0.0), (2, 2.5)), others)
    assert stopped.should_stop and "rung 1 (step 2)" in (stopped.reason or "")


def test_successive_halving_uses_the_first_step_at_or_after_a_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=2, reduction_factor=2)
    # Rung 0 is step 2; a trial that reported steps 1 and 3 sits at rung 0 with its step-3 value.
    others = [record(0, [(1, 0.0), (3, 0.5)], "complete")]
    query = StepQuery(2, exact=False, complete_only=False)
    assert answer(query, others) == {0: 0.5}
    assert decide(pruner, curve((2, 0.6)), others).should_stop
    assert not decide(pruner, curve((2, 0.4)), others).should_stop


def test_successive_halving_judges_every_rung_a_jump_crosses_and_none_twice() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    case = Case("s", MIN, 5, curve((0, 1.0), (4, 1.0)))
    assert pruner.rungs_crossed(case) == [(0, 1), (1, 2), (2, 4)]
    later = Case("s", MIN, 5, curve((0, 1.0), (4, 1.0), (5, 0.2), (7, 0.1)))
    assert pruner.rungs_crossed(later) == []


def test_successive_halving_auto_min_resource_waits_for_a_complete_trial() -> None:
    pruner = SuccessiveHalvingPruner(reduction_factor=2)
    worse = curve((3, 9.0))
    assert not decide(pruner, worse, [record(0, [(3, 1.0)], "running")]).should_stop
    # 1% of the first complete curve (last step 250) is 2: rung 0 at step 2, rung 1 at 4.
    done = record(0, [(3, 1.0), (250, 0.5)], "complete")
    assert decide(pruner, worse, [done]).should_stop


def test_hyperband_brackets_match_optuna() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=100, reduction_factor=3)
    assert pruner.n_brackets == 5
    assert pruner.budgets() == [81, 34, 15, 8, 5]
    assert HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3).n_brackets == 4
    brackets = [pruner.bracket("study", n) for n in range(200)]
    assert brackets == [pruner.bracket("study", n) for n in range(200)]
    assert set(brackets) == {0, 1, 2, 3, 4}


def test_hyperband_trials_compete_within_their_bracket_only() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    numbers = range(60)
    own = next(n for n in numbers if pruner.bracket("s", n) == 0)
    same = [n for n in numbers if n != own and pruner.bracket("s", n) == 0][:3]
    other = [n for n in numbers if pruner.bracket("s", n) != 0][:20]
    better_elsewhere = [record(n, [(1, 0.0)], "running") for n in other]
    assert not decide(pruner, curve((1, 5.0)), better_elsewhere, number=own).should_stop
    better_here = [record(n, [(1, 0.0)], "running") for n in same]
    stopped = decide(pruner, curve((1, 5.0)), better_here, number=own)
    assert stopped.should_stop and (stopped.reason or "").startswith("hyperband bracket 0")


def test_decisions_are_deterministic() -> None:
    pruner = build_pruner(normalise_pruner({"name": "median", "n_startup_trials": 1}))
    first = [decide(pruner, steps(1.1, 0.95), COMPLETE) for _ in range(3)]
    assert first == [first[0]] * 3 and first[0].should_stop


def test_normalise_fills_optuna_defaults() -> None:
    assert normalise_pruner(None) == {"name": "none"}
    assert normalise_pruner({"name": "successive_halving"}) == {
        "name": "successive_halving",
        "min_resource": "auto",
        "reduction_factor": 4,
        "min_early_stopping_rate": 0,
        "bootstrap_count": 0,
    }


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"name": "asha"}, "unknown pruner 'asha'"),
        ({"name": "median", "min_resource": 3}, "its options: interval_steps"),
        ({"name": "none", "n_startup_trials": 1}, "its options: none"),
        ({"name": "median", "interval_steps": 0}, "interval_steps must be an integer in [1,"),
        ({"name": "median", "n_warmup_steps": 1.5}, "n_warmup_steps must be an integer"),
        ({"name": "median", "n_warmup_steps": True}, "n_warmup_steps must be an integer"),
        ({"name": "successive_halving", "reduction_factor": 1}, "reduction_factor"),
        ({"name": "successive_halving", "min_resource": "x"}, 'or "auto"'),
        ({"name": "hyperband", "min_resource": "auto"}, "min_resource must be an integer"),
        ({"name": "hyperband", "min_resource": 10, "max_resource": 5}, "at least min_resource"),
    ],
)
def test_normalise_refuses_bad_options_naming_them(
    config: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InvalidPruner) as info:
        normalise_pruner(config)
    assert fragment in str(info.value)
