"""How should the GP learn from pruned trials? Regret at equal budget on synthetic curves.

Each configuration x in Branin's box has a learning curve
``acc(x, t) = q(x) * (1 - exp(-(t + 1) / tau(x))) + noise`` over 50 epochs, where q is
Branin rescaled to (0, 1] (1 at the optimum) and tau(x) = 2 + 25 * (x0 + 5) / 15, so
configurations on one side of the box learn slowly and look worse early than they end.
The study maximises; the median pruner (n_startup_trials=5, n_warmup_steps=5) stops
trials; the gp strategy proposes from ``history_of`` with each way of entering pruned
trials: ``ignore`` (never proposed again, not in the model), ``worst`` (observed at the
worst complete value), ``last`` (observed at its last intermediate value, as if final),
and, as a reference, no pruning at all. Reported: final simple regret of the true q
(mean and standard error over seeds), epochs spent, and trials pruned. Usage:

    .venv/bin/python bench/pruning_gp.py [--seeds 30] [--trials 30]
        [--out docs/benchmarks/pruning_gp.md]
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gp_problems import branin
from machine import describe

from hpo_service.domain import IntermediateValue, Trial, TrialState
from hpo_service.optimisation import build_strategy
from hpo_service.optimisation.gp.surrogate import clear_cache
from hpo_service.optimisation.pruners import (
    Case,
    CurveRecord,
    MedianPruner,
    decide_from_records,
)
from hpo_service.service.studies import build_study
from hpo_service.service.suggestions import history_of

EPOCHS = 50
NOISE = 0.005
BRANIN_MIN, BRANIN_MAX = 0.397887, 308.13
SPACE = [
    {"name": "x0", "type": "float", "low": -5.0, "high": 10.0},
    {"name": "x1", "type": "float", "low": 0.0, "high": 15.0},
]
PRUNER = MedianPruner(n_startup_trials=5, n_warmup_steps=5)


def quality(params: dict[str, float]) -> float:
    """Final accuracy q(x) in (0, 1]: Branin rescaled on a log scale, 1 at the optimum."""
    value = branin(np.array([params["x0"], params["x1"]]))
    return 1.0 - math.log(value / BRANIN_MIN) / math.log(BRANIN_MAX / BRANIN_MIN)


def tau_of(family: str, params: dict[str, float], q: float) -> float:
    """How slowly a configuration learns (epochs to reach 63% of its final accuracy)."""
    if family == "slow side":
        return 2.0 + 25.0 * (params["x0"] + 5.0) / 15.0
    return 2.0 + 25.0 * q**4  # "good learn slowly": the best configurations start worst


def curve(family: str, params: dict[str, float], rng: np.random.Generator) -> list[float]:
    """The accuracy after each epoch."""
    q = quality(params)
    tau = tau_of(family, params, q)
    return [q * (1 - math.exp(-(t + 1) / tau)) + rng.normal(0, NOISE) for t in range(EPOCHS)]


@dataclass(frozen=True)
class Setting:
    """One row of the table: curve family, budget kind and how pruned trials enter."""

    family: str
    budget: str  # "trials" or "epochs"
    policy: str


def run(setting: Setting, seed: int, trials: int) -> tuple[float, int, int, int]:
    """One study: regret of the best complete trial, epochs spent, trials run, trials pruned."""
    policy = setting.policy
    clear_cache()
    study = build_study(
        {
            "name": "b",
            "space": SPACE,
            "direction": "maximize",
            "strategy": {"name": "gp"},
            "seed": seed,
        },
        datetime.datetime.now(UTC),
    )
    strategy = build_strategy(study.strategy)
    rng = np.random.default_rng(seed)
    done: list[Trial] = []
    records: list[CurveRecord] = []
    epochs = pruned = number = 0
    while _more(setting.budget, number, epochs, trials):
        history = history_of(study, done, "ignore" if policy == "no pruning" else policy)
        params = strategy.prepare(study.space, history, study.seed).propose([], 1)[0]
        values = curve(setting.family, params, rng)
        points: list[IntermediateValue] = []
        state = TrialState.COMPLETE
        for step, value in enumerate(values):
            points.append(IntermediateValue(step, value))
            case = Case("b", study.direction, number, tuple(points))
            if policy != "no pruning" and decide_from_records(PRUNER, case, records).should_stop:
                state = TrialState.PRUNED
                break
        epochs += len(points)
        pruned += state is TrialState.PRUNED
        done.append(Trial("b", number, params, state, value=points[-1].value))
        records.append(CurveRecord(number, state, tuple(points)))
        number += 1
    best = max(quality(t.params) for t in done if t.state is TrialState.COMPLETE)
    return 1.0 - best, epochs, number, pruned


def _more(budget: str, number: int, epochs: int, trials: int) -> bool:
    """Equal budget in trials, or in epochs (what the trials without pruning cost)."""
    if budget == "trials":
        return number < trials
    return epochs < trials * EPOCHS and number < 4 * trials


def _row(setting: Setting, seeds: int, trials: int) -> str:
    results = [run(setting, seed, trials) for seed in range(seeds)]
    regrets = [r[0] for r in results]
    sem = statistics.stdev(regrets) / math.sqrt(len(regrets)) if len(regrets) > 1 else 0.0
    epochs, count, pruned = (statistics.mean(r[i] for r in results) for i in (1, 2, 3))
    return (
        f"| {setting.family} | {setting.budget} | {setting.policy} | "
        f"{statistics.mean(regrets):.4f} ± {sem:.4f} | {statistics.median(regrets):.4f} | "
        f"{epochs:.0f} | {count:.0f} | {pruned:.1f} |"
    )


def main() -> None:
    """Run every policy over the seeds and write the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.perf_counter()
    rows = []
    for family in ("slow side", "good learn slowly"):
        for budget in ("trials", "epochs"):
            for policy in ("no pruning", "ignore", "worst", "last"):
                if budget == "epochs" and policy == "no pruning":
                    continue  # the same runs as with a budget in trials
                rows.append(_row(Setting(family, budget, policy), args.seeds, args.trials))
                print(rows[-1], flush=True)
    text = "\n".join(
        [
            f"Measured {datetime.date.today()} on {describe()}; load average {load} at the start; "
            f"{time.perf_counter() - started:.0f} s in all.",
            "",
            f"{args.seeds} seeds per row, {EPOCHS} epochs per full curve, gp strategy (EI), "
            "median pruner (n_startup_trials=5, n_warmup_steps=5). Budget `trials`: "
            f"{args.trials} trials per study; budget `epochs`: {args.trials * EPOCHS} epochs "
            f"(what {args.trials} unpruned trials cost; at most {4 * args.trials} trials). "
            "Curve families: `slow side`, tau grows with x0 (independent of quality); "
            "`good learn slowly`, tau = 2 + 25 q^4 (the best configurations start worst). "
            "Regret is 1 - q(x) of the best complete trial's configuration (q = 1 at Branin's "
            "optimum); ± is the standard error.",
            "",
            "| curves | budget | pruned trials enter the GP as | mean regret | median regret "
            "| epochs spent | trials | trials pruned |",
            "|---|---|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
