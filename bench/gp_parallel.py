"""Parallel workers on the broad suite (issue 13): 4 asynchronous workers and batches of 4
against the sequential engine, 20 seeds.

Run:     .venv/bin/python bench/gp_parallel.py run [--seeds 0-19] [--budget 50] [--problems ...]
Report:  .venv/bin/python bench/gp_parallel.py report   (docs/benchmarks/gp_parallel.md)

Arms, all the engine's default strategy on every problem of bench/gp_suite_problems.py (both
halves: nothing is tuned here):

- ``sequential``: one evaluation at a time (bench/gp_runners.engine_runner, as the gp suite's
  ``engine-default``), run here too so that every arm is the same commit;
- ``async4``: 4 asynchronous workers, each finished trial replaced at once by a suggestion
  made with the other 3 pending (kriging believer); trial durations 1 + U(-0.5, 0.5), seeded,
  so workers finish out of order (bench/gp_runners.parallel_runner);
- ``batch4``: synchronous batches, one suggest call for 4 configurations, all evaluated,
  repeat (bench/gp_runners.batch_runner).

Regret is the gp suite's: the noise-free value of the recommendation (best observed value)
after the budget, minus the optimum; the noise of the k-th evaluation is the same draw in
every arm. The earlier target: within 1.5x of sequential regret at the same number of
evaluations. One JSON file per (arm, problem, seed, budget) under bench/results/gp_parallel/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks_doc
from gp_runners import Runner, batch_runner, engine_runner, parallel_runner
from gp_suite import DEFAULT_ACQUISITION, _seeds, observed, ratio_summary, recommendation_regret
from gp_suite_problems import DEVELOPMENT, HELD_OUT, PROBLEMS, half_of
from machine import commit, describe

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gp_parallel"
DOC = ROOT / "docs" / "benchmarks" / "gp_parallel.md"
ARMS: dict[str, tuple[str, Runner]] = {
    "sequential": ("sequential", engine_runner(None)),
    "async4": ("4 asynchronous workers", parallel_runner(DEFAULT_ACQUISITION, 4, jitter=0.5)),
    "batch4": ("batches of 4", batch_runner(DEFAULT_ACQUISITION, 4)),
}
PARALLEL = ("async4", "batch4")
TARGET = 1.5
FLOOR = 1e-9


def run(args: argparse.Namespace) -> None:
    run_arms(ARMS, RESULTS, args.problems or [*DEVELOPMENT, *HELD_OUT], args.seeds, args.budget)
    report(args.budget)


def run_arms(
    arms: Mapping[str, tuple[str, Runner]],
    results: Path,
    names: Sequence[str],
    seeds: str,
    budget: int,
) -> None:
    """Every missing (arm, problem, seed) run at ``budget``, one JSON file each under
    ``results``: the final regret of the recommendation, time, date, machine, commit."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(1)
    for arm, (_, runner) in arms.items():
        for name in names:
            for seed in _seeds(seeds):
                path = results / arm / name / f"seed{seed}-budget{budget}.json"
                if path.exists():
                    continue
                problem, log = observed(PROBLEMS[name], seed)
                start = time.perf_counter()
                runner(problem, seed, budget)
                record = {
                    "arm": arm,
                    "problem": name,
                    "seed": seed,
                    "budget": budget,
                    "regret": recommendation_regret(PROBLEMS[name], log[:budget])[-1],
                    "seconds": time.perf_counter() - start,
                    "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                    "machine": describe(),
                    "commit": commit(),
                }
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(record) + "\n")
                print(f"{arm} {name} s{seed} b{budget} {record['regret']:.3g}", flush=True)


def finals(results: Path, arm: str, name: str, budget: int) -> dict[int, float]:
    """Final regret by seed of one arm on one problem."""
    records = [
        json.loads(p.read_text()) for p in (results / arm / name).glob(f"*-budget{budget}.json")
    ]
    return {int(r["seed"]): float(r["regret"]) for r in records}


def paired(runs: dict[int, float], base: dict[int, float]) -> tuple[float, float, int] | None:
    """(the arm's median, its ratio to the base's median, the number of seeds) over the seeds
    both have, medians under FLOOR counted as FLOOR; None without a shared seed."""
    seeds = sorted(set(runs) & set(base))
    if not seeds:
        return None
    mine = max(statistics.median(runs[s] for s in seeds), FLOOR)
    theirs = max(statistics.median(base[s] for s in seeds), FLOOR)
    return mine, mine / theirs, len(seeds)


def report(budget: int = 50) -> None:
    rows: list[list[str]] = []
    ratios: dict[str, list[float]] = {arm: [] for arm in PARALLEL}
    first: dict[str, object] = {}
    for name in [*DEVELOPMENT, *HELD_OUT]:
        sequential = finals(RESULTS, "sequential", name, budget)
        cells = [name, half_of(name)]
        for arm in PARALLEL:
            pair = paired(finals(RESULTS, arm, name, budget), sequential)
            if pair is None:
                cells += ["-", "-"]
                continue
            if not first:
                path = next((RESULTS / arm / name).glob("*.json"))
                first = json.loads(path.read_text())
            mine, ratio, seeds = pair
            ratios[arm].append(ratio)
            cells += [f"{mine:.3g} ({seeds})", f"{ratio:.2f}"]
        if sequential:
            base_all = f"{statistics.median(sequential.values()):.3g} ({len(sequential)})"
            rows.append([*cells[:2], base_all, *cells[2:]])
    if not first:
        return
    lines = [
        "# Parallel workers on the broad suite: asynchronous and batched against sequential",
        "",
        f"Measured {str(first['date'])[:10]} on {first['machine']}, commit {first['commit']}. "
        "Script: `bench/gp_parallel.py`.",
        "",
        f"Budget {budget} evaluations, the engine's default strategy on every problem of the "
        "gp suite (both halves; nothing here is tuned). Sequential: one evaluation at a time "
        "(the suite's `engine-default`, run again here on the same commit). 4 asynchronous "
        "workers: each finished trial is replaced at once "
        "by a suggestion made with the other 3 pending (kriging believer), trial durations "
        "1 + U(-0.5, 0.5) so workers finish out of order. Batches of 4: one suggest call for 4 "
        "configurations, all evaluated, repeat. Regret: noise-free value of the recommendation "
        "minus the optimum; medians over the seeds both arms have (in parentheses); ratio = "
        f"arm median / sequential median over those seeds (medians under {FLOOR:g} count as "
        f"{FLOOR:g}). The earlier target: within {TARGET}x of sequential.",
        "",
        "| problem | half | sequential | 4 async workers | ratio | batches of 4 | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    for arm in PARALLEL:
        label, values = ARMS[arm][0], ratios[arm]
        if not values:
            continue
        within = sum(r <= TARGET for r in values)
        lines.append(
            f"- {label}: within {TARGET}x of sequential on {within} of {len(values)} problems; "
            f"ratios: {ratio_summary(values)}."
        )
    DOC.write_text("\n".join(lines) + "\n")
    benchmarks_doc.main()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("--seeds", default="0-19")
    go.add_argument("--budget", type=int, default=50)
    go.add_argument("--problems", nargs="+")
    show = sub.add_parser("report")
    show.add_argument("--budget", type=int, default=50)
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        report(args.budget)


if __name__ == "__main__":
    main()
