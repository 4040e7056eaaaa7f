"""Multi-objective benchmark: hypervolume after 50 and 100 evaluations against Optuna.

Usage:
    .venv/bin/python bench/multi_objective.py run [--problems ...] [--methods ...]
        [--seeds 0-9] [--budget 100]
    .venv/bin/python bench/multi_objective.py report

``run`` is resumable: each (problem, method, seed) is one JSON file under
bench/results/multi_objective/ and existing files are skipped. A file holds every
evaluation (objectives, constraints) and the hypervolume of the feasible points after each
evaluation against the problem's fixed reference point, computed with this service's exact
implementation (``optimisation.pareto.hypervolume``) and, for the final point set, checked
against Optuna's (``optuna._hypervolume.compute_hypervolume``). ``report`` writes
docs/benchmarks/multi_objective.md (with the REST latency of
bench/multi_objective_latency.py when its results exist) and rebuilds docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import commit, describe
from mo_problems import PROBLEMS, Evaluation, MOProblem
from mo_runners import METHODS

from hpo_service.optimisation.pareto import hypervolume

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "multi_objective"


def hypervolume_curve(problem: MOProblem, evaluations: list[Evaluation]) -> list[float]:
    """Hypervolume of the feasible points after each evaluation (our exact implementation)."""
    reference = -np.asarray(problem.reference)
    front = np.empty((0, problem.n_objectives))
    curve = []
    for objectives, constraints in evaluations:
        if all(c <= 0.0 for c in constraints):
            front = np.vstack([front, -np.asarray(objectives)])
        curve.append(hypervolume(front, reference))
    return curve


def optuna_hypervolume(problem: MOProblem, evaluations: list[Evaluation]) -> float:
    """Optuna's exact hypervolume of the same feasible points (minimisation form)."""
    from optuna._hypervolume import compute_hypervolume

    reference = np.asarray(problem.reference)
    points = np.array(
        [o for o, c in evaluations if all(v <= 0.0 for v in c)], dtype=np.float64
    ).reshape(-1, problem.n_objectives)
    points = points[np.all(points <= reference, axis=1)]
    return float(compute_hypervolume(points, reference))


def result_path(problem: str, method: str, seed: int) -> Path:
    """Where one run's JSON lives."""
    return RESULTS / f"{problem}__{method}__seed{seed}.json"


def run_one(problem: MOProblem, method: str, seed: int, budget: int) -> dict[str, object]:
    """Run one method on one problem with one seed and describe the result."""
    start = time.perf_counter()
    evaluations = METHODS[method](problem, seed, budget)
    seconds = time.perf_counter() - start
    curve = hypervolume_curve(problem, evaluations)
    check = optuna_hypervolume(problem, evaluations)
    if not np.isclose(check, curve[-1], rtol=1e-9, atol=1e-12):
        raise AssertionError(f"hypervolume {curve[-1]!r} but Optuna's is {check!r}")
    return {
        "problem": problem.name,
        "method": method,
        "seed": seed,
        "budget": budget,
        "reference": list(problem.reference),
        "hypervolume": curve,
        "hypervolume_optuna_final": check,
        "feasible": sum(all(v <= 0.0 for v in c) for _, c in evaluations),
        "seconds": seconds,
        "evaluations": [[list(o), list(c)] for o, c in evaluations],
        "machine": describe(),
        "date": datetime.date.today().isoformat(),
        "nice": os.nice(0),
        "commit": commit(),
    }


def seeds_of(text: str) -> list[int]:
    """'0-9' or '0,3,5' -> seeds."""
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in text.split(",")]


def run(args: argparse.Namespace) -> None:
    """Run every missing (problem, method, seed), seeds outermost so partial grids are even."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    for seed in seeds_of(args.seeds):
        for name in args.problems:
            for method in args.methods:
                path = result_path(name, method, seed)
                if path.exists():
                    continue
                result = run_one(PROBLEMS[name], method, seed, args.budget)
                temporary = path.with_suffix(".tmp")
                temporary.write_text(json.dumps(result))
                temporary.replace(path)
                print(
                    f"{name} {method} seed {seed}: hv {result['hypervolume'][-1]:.4f} "  # type: ignore[index]
                    f"in {result['seconds']:.0f} s",
                    flush=True,
                )


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run missing (problem, method, seed) combinations")
    run_parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=PROBLEMS)
    run_parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    run_parser.add_argument("--seeds", default="0-9")
    run_parser.add_argument("--budget", type=int, default=100)
    sub.add_parser("report", help="write docs/benchmarks/multi_objective.md")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        from mo_report import write_report

        write_report(RESULTS)


if __name__ == "__main__":
    main()
