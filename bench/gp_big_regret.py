"""Big studies (issue 13): does the local posterior of the climb cost regret against the exact GP?

Usage: .venv/bin/python bench/gp_big_regret.py run [--problems ...] [--seeds 0-7]
                                                   [--history 2300] [--steps 20]
       .venv/bin/python bench/gp_big_regret.py report

Above ``posterior.LOCAL_FROM`` observations each start of the acquisition climb works on the
posterior of its ``LOCAL_SIZE`` nearest observations (a local approximate GP); the climbed
points are still ranked with the full posterior. This compares that with the exact climb
(``LOCAL_FROM`` raised out of reach), the only difference between the two arms, on suite
problems (bench/gp_suite_problems.py, both halves: this measures an approximation, nothing
is tuned on it). Each run starts from the same history of ``history`` observations, a
scrambled Sobol design (the largest power of two up to half of them) and Gaussian
perturbations (sd 0.05 in the unit cube) of its best twentieth, as a long study
concentrates near its optima; then ``steps`` sequential suggestions of the engine's default
strategy, through the shared base model of big studies (gp/shared.py), each evaluated (with
the suite's noise on noisy problems). Regret: the noise-free value of the recommendation
(best observed value, history included) minus the
optimum. One JSON file per (problem, seed, arm) under bench/results/gp_big_regret/; existing
files are skipped. Writes docs/benchmarks/gp_big_regret.md and rebuilds docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import qmc

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks_doc
from gp_suite import _seeds, observed, ratio_summary, recommendation_regret
from gp_suite_problems import PROBLEMS, half_of
from machine import commit, describe

from hpo_service.domain import History, Observation
from hpo_service.optimisation.encoding import decode, snap
from hpo_service.optimisation.gp import GPConfig, GPFactory, GPStrategy, posterior, shared
from hpo_service.optimisation.gp.surrogate import clear_cache

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gp_big_regret"
DOC = ROOT / "docs" / "benchmarks" / "gp_big_regret.md"
PROBLEM_NAMES = (
    "hartmann3_3d",
    "noisy_hartmann6_6d",
    "mixed_levy_6d",
    "ackley_10d",
    "goldstein_price_2d",
    "mixed_rosenbrock_7d",
    "griewank_8d",
    "zakharov_12d",
)
ARMS = ("local", "exact")


def start_history(name: str, seed: int, size: int) -> list[np.ndarray]:
    """Unit-cube rows: a Sobol design of the largest power of two up to half the size, then
    perturbations of its best twentieth."""
    problem = PROBLEMS[name]
    space = problem.space
    balanced = int(np.log2(size // 2))  # a power of two keeps the Sobol design balanced
    sobol = snap(space, qmc.Sobol(len(space.params), rng=seed).random_base2(balanced))
    values = np.array([problem(decode(space, row)) for row in sobol])
    best = sobol[np.argsort(values)[: max(size // 40, 1)]]
    rng = np.random.default_rng(seed)
    picks = best[rng.integers(len(best), size=size - len(sobol))]
    near = np.clip(picks + 0.05 * rng.standard_normal(picks.shape), 0.0, 1.0)
    return list(np.vstack([sobol, snap(space, near)]))


def run_one(name: str, seed: int, arm: str, size: int, steps: int) -> dict[str, object]:
    """One run: the shared history, then ``steps`` suggestions of one arm."""
    problem, log = observed(PROBLEMS[name], seed)
    space = problem.space
    observations = [
        Observation(params, -problem(params))
        for params in (decode(space, row) for row in start_history(name, seed, size))
    ]
    clear_cache()
    shared.clear_cache()
    saved = posterior.LOCAL_FROM
    posterior.LOCAL_FROM = saved if arm == "local" else 10**9
    config = GPFactory().normalise({"name": "gp"}, space)
    strategy = GPStrategy(GPConfig.from_mapping(config))
    seconds: list[float] = []
    try:
        for _ in range(steps):
            start = time.perf_counter()
            history = History(completed=tuple(observations))
            params = strategy.prepare(space, history, seed).propose([], 1)[0]
            seconds.append(time.perf_counter() - start)
            observations.append(Observation(params, -problem(params)))
    finally:
        posterior.LOCAL_FROM = saved
    regret = recommendation_regret(PROBLEMS[name], log)
    return {
        "problem": name,
        "half": half_of(name),
        "seed": seed,
        "arm": arm,
        "history": size,
        "steps": steps,
        "regret_history": regret[size - 1],
        "regret": regret[-1],
        "seconds": seconds,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": describe(),
        "commit": commit(),
    }


def run(args: argparse.Namespace) -> None:
    for name in args.problems:
        for seed in _seeds(args.seeds):
            for arm in ARMS:
                path = RESULTS / name / f"seed{seed}-{arm}.json"
                if path.exists():
                    continue
                record = run_one(name, seed, arm, args.history, args.steps)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(record, indent=1) + "\n")
                print(name, seed, arm, f"{record['regret']:.4g}", flush=True)
    report()


def _records() -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*/seed*-*.json"))]


def report() -> None:
    records = _records()
    if not records:
        return
    first = records[0]
    lines = [
        "# Big studies: the local posterior of the climb against the exact GP (regret)",
        "",
        f"Measured {str(first['date'])[:10]} on {first['machine']}, commit {first['commit']}. "
        f"Script: `bench/gp_big_regret.py`.",
        "",
        f"Each run starts from the same history of {first['history']} observations (a "
        "scrambled Sobol design of 2^k points, k the largest with 2^k at most half of them, "
        "then Gaussian perturbations of its best twentieth), then "
        f"{first['steps']} sequential suggestions of the default gp strategy through the "
        "shared base model of big studies. Arms: `local` (the default: above "
        f"{posterior.LOCAL_FROM} observations each start of the acquisition climb uses the "
        f"posterior of its {posterior.LOCAL_SIZE} nearest observations) and `exact` (every "
        "climb step on the full posterior). Regret: noise-free value of the recommendation "
        "(best observed, history included) minus the optimum; median over seeds, the "
        "history's own regret beside it.",
        "",
        "| problem | half | seeds | history regret | local | exact | local / exact | "
        "median s per suggestion, local | exact |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ratios = []
    for name in dict.fromkeys(str(r["problem"]) for r in records):
        runs = {
            arm: [r for r in records if r["problem"] == name and r["arm"] == arm] for arm in ARMS
        }
        seeds = sorted(
            {int(str(r["seed"])) for r in runs["local"]}
            & {int(str(r["seed"])) for r in runs["exact"]}
        )
        if not seeds:
            continue

        rows = {arm: [r for r in runs[arm] if r["seed"] in seeds] for arm in ARMS}

        def median(arm: str, key: str, rows: dict[str, list[dict[str, object]]] = rows) -> float:
            return statistics.median(float(str(r[key])) for r in rows[arm])

        def seconds(arm: str, rows: dict[str, list[dict[str, object]]] = rows) -> float:
            return statistics.median(float(s) for r in rows[arm] for s in r["seconds"])  # type: ignore[attr-defined]

        local, exact = median("local", "regret"), median("exact", "regret")
        ratio = local / exact if exact > 0 else (1.0 if local == 0 else float("inf"))
        ratios.append(ratio)
        lines.append(
            f"| {name} | {half_of(name)} | {len(seeds)} | {median('local', 'regret_history'):.4g} "
            f"| {local:.4g} | {exact:.4g} | {ratio:.2f} | {seconds('local'):.3f} "
            f"| {seconds('exact'):.3f} |"
        )
    lines += [
        "",
        f"Ratio of medians, local / exact, over {len(ratios)} problems: {ratio_summary(ratios)}.",
    ]
    DOC.write_text("\n".join(lines) + "\n")
    benchmarks_doc.main()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("--problems", nargs="+", default=list(PROBLEM_NAMES))
    go.add_argument("--seeds", default="0-7")
    go.add_argument("--history", type=int, default=2300)
    go.add_argument("--steps", type=int, default=20)
    sub.add_parser("report")
    args = parser.parse_args()
    run(args) if args.command == "run" else report()


if __name__ == "__main__":
    main()
