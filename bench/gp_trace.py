"""Trace one run of the engine on a gp suite problem: at each model step, the fitted length
scales, how far the proposal lies from the incumbent, and whether it found a new best.

Run:  .venv/bin/python bench/gp_trace.py branin_in_25d [--seed 0] [--budget 50]
          [--options '{"acquisition": "pi", "xi": 0}'] [--active 5 17] [--every 5]

``--active``: the coordinates (0-based) that the problem uses, if known (branin_in_25d: 5
and 17; mccormick_in_30d: 8 and 21); the trace then shows length scales and moves for
them apart from the others. Moves are in the unit cube, mean absolute change per
coordinate from the incumbent (best observation so far). Used to see where a proposal
rule spends its evaluations (docs/benchmarks/gp_suite.md, notes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gp_suite import observed, recommendation_regret
from gp_suite_problems import PROBLEMS

from hpo_service.domain import History, Observation
from hpo_service.optimisation.gp import GPConfig, GPFactory, GPStrategy
from hpo_service.optimisation.gp.proposer import GPProposer
from hpo_service.optimisation.gp.surrogate import clear_cache, cube_of


def trace(name: str, seed: int, budget: int, options: dict[str, object]) -> list[dict[str, object]]:
    """One row per model step: step, regret so far, new best, length scales, move."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(1)
    clear_cache()
    problem, log = observed(PROBLEMS[name], seed)
    space = problem.space
    config = GPFactory().normalise({"name": "gp", **options}, space)
    engine = GPStrategy(GPConfig.from_mapping(config))
    observations: list[Observation] = []
    rows: list[dict[str, object]] = []
    for step in range(budget):
        proposer = engine.prepare(space, History(completed=tuple(observations)), seed)
        params = proposer.propose([], 1)[0]
        value = -problem(params)
        if isinstance(proposer, GPProposer):
            values = np.array([o.value for o in observations])
            incumbent = cube_of(space, [observations[int(np.argmax(values))].params])[0]
            rows.append(
                {
                    "step": step,
                    "regret": recommendation_regret(PROBLEMS[name], log[:step])[-1],
                    "new_best": bool(value > values.max()),
                    "lengthscales": proposer.surrogate.posterior.hyper.lengthscales.tolist(),
                    "move": np.abs(cube_of(space, [params])[0] - incumbent).tolist(),
                    "acquisition": proposer.acquisition.name,
                }
            )
        observations.append(Observation(params, value))
    return rows


def show(rows: list[dict[str, object]], active: list[int], every: int) -> None:
    """Print every ``every``-th step, and the count of new bests."""
    print("step  regret      new best  acq  ls active  ls others(median)  move active  move others")
    for row in rows:
        ls, move = np.asarray(row["lengthscales"]), np.asarray(row["move"])
        rest = [j for j in range(len(ls)) if j not in active]
        if int(str(row["step"])) % every == 0:
            print(
                f"{row['step']:>4}  {float(str(row['regret'])):<10.4g}  {row['new_best']!s:<8}  "
                f"{row['acquisition']:<3}  {np.round(ls[active], 2)!s:<10} "
                f"{np.median(ls[rest]):<18.2f} {np.round(move[active], 3)!s:<12} "
                f"{move[rest].mean():.3f}"
            )
    found = sum(bool(r["new_best"]) for r in rows)
    print(f"{found} new bests in {len(rows)} model steps")


def main() -> None:
    """Parse the command line and print the trace."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem", choices=sorted(PROBLEMS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--options", type=json.loads, default={})
    parser.add_argument("--active", type=int, nargs="*", default=[])
    parser.add_argument("--every", type=int, default=5)
    args = parser.parse_args()
    show(trace(args.problem, args.seed, args.budget, args.options), args.active, args.every)


if __name__ == "__main__":
    main()
