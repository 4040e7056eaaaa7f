"""Replay random studies through Optuna's pruners and ours: every decision must agree.

For each pruner configuration, trials report noisy learning curves (with irregular step
gaps, so rung crossings fall between steps) one after another; at every report both
Optuna (in-memory storage, ``trial.should_prune()``) and this service's pure policy
(``decide_from_records`` on the same curves) decide. A stopped trial ends pruned on both
sides, the others complete. Prints the number of decisions and disagreements per
configuration. Needs the bench extra (optuna). Usage:

    .venv/bin/python bench/pruning_optuna_check.py [--studies 10] [--trials 40]
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe

from hpo_service.domain import Direction, IntermediateValue, TrialState
from hpo_service.optimisation.pruners import (
    Case,
    CurveRecord,
    build_pruner,
    decide_from_records,
    normalise_pruner,
)

NOTE = (
    "Where they differ, the differences are the two documented in docs/pruning.md, both from "
    "deciding on curves rather than on attributes earlier calls stored: a report that jumps "
    "over several rungs at once (steps of 2-3 with rungs 1, 3, 9, ...) counts here at every "
    'rung its curve reached, and with `min_resource: "auto"` the trials that reported '
    "before the first trial completed count at the rungs here while Optuna never recorded them."
)
CONFIGS: list[dict[str, Any]] = [
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 3, "interval_steps": 2},
    {"name": "median", "n_startup_trials": 2, "n_min_trials": 3},
    {"name": "successive_halving", "min_resource": 1, "reduction_factor": 3},
    {
        "name": "successive_halving",
        "min_resource": 2,
        "reduction_factor": 2,
        "min_early_stopping_rate": 1,
    },
    {"name": "successive_halving"},
    {"name": "hyperband", "min_resource": 1, "max_resource": 30, "reduction_factor": 3},
]


def optuna_pruner(config: Mapping[str, Any]) -> optuna.pruners.BasePruner:
    """Optuna's pruner with the same options."""
    options = {k: v for k, v in normalise_pruner(config).items() if k != "name"}
    kind = {
        "median": optuna.pruners.MedianPruner,
        "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
        "hyperband": optuna.pruners.HyperbandPruner,
    }[config["name"]]
    return kind(**options)


def replay(
    config: Mapping[str, Any], seed: int, trials: int, direction: str, gaps: tuple[int, ...]
) -> tuple[int, int]:
    """One study: (decisions compared, disagreements)."""
    rng = random.Random(seed)
    study = optuna.create_study(
        study_name=f"check{seed}", direction=direction, pruner=optuna_pruner(config)
    )
    ours = build_pruner(normalise_pruner(config))
    records: list[CurveRecord] = []
    compared = disagreed = 0
    for number in range(trials):
        trial = study.ask()
        floor, speed, step = rng.random(), rng.uniform(0.05, 0.5), 0
        points: list[IntermediateValue] = []
        state = TrialState.COMPLETE
        while step < 40:
            value = floor + (1 - floor) * (1 - speed) ** step + rng.gauss(0, 0.02)
            trial.report(value, step)
            points.append(IntermediateValue(step, value))
            case = Case(study.study_name, Direction(direction), number, tuple(points))
            theirs = trial.should_prune()
            mine = decide_from_records(ours, case, records).should_stop
            compared += 1
            disagreed += theirs != mine
            if theirs:
                state = TrialState.PRUNED
                break
            step += rng.choice(gaps)
        if state is TrialState.PRUNED:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, points[-1].value)
        records.append(CurveRecord(number, state, tuple(points)))
    return compared, disagreed


def main() -> None:
    """Replay every configuration over several studies and both directions."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=10)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    lines = [
        f"Measured {datetime.date.today()} on {describe()} against optuna {optuna.__version__}: "
        f"{args.studies} studies of {args.trials} trials per row (directions alternate), "
        "curves of up to 40 steps reported one after another, every report decided by both.",
        "",
        "| pruner | steps reported | decisions | disagreements |",
        "|---|---|---:|---:|",
    ]
    for config in CONFIGS:
        for label, gaps in (("every step", (1,)), ("gaps of 1-3", (1, 1, 2, 3))):
            total = wrong = 0
            for seed in range(args.studies):
                direction = "minimize" if seed % 2 else "maximize"
                compared, disagreed = replay(config, seed, args.trials, direction, gaps)
                total, wrong = total + compared, wrong + disagreed
            options = ", ".join(f"{k}={v}" for k, v in config.items() if k != "name")
            lines.append(f"| {config['name']} ({options}) | {label} | {total} | {wrong} |")
            print(lines[-1], flush=True)
    lines += ["", NOTE]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
