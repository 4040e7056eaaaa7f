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
  repeat (bench/gp_runners.batch_runner);
- ``async4_design``: as ``async4``, but the Sobol initial design continues until
  ``n_initial`` trials have completed (bench/gp_ablations.CompletedDesignGPStrategy; the
  engine counts pending trials towards it), a candidate measured and not adopted.

The "3 results late" column is what sequential runs lose when they stop 3 evaluations
short: their median regret at ``budget - 3`` over their median at ``budget``. Four
asynchronous workers decide every step with 3 results outstanding, so where this ratio is
large, staying within 1.5x asks for more than believing the pending trials well.

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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks_doc
from gp_ablations import CompletedDesignGPStrategy
from gp_runners import Runner, batch_runner, engine_runner, parallel_runner
from gp_suite import DEFAULT_ACQUISITION, _seeds, observed, ratio_summary, recommendation_regret
from gp_suite_problems import DEVELOPMENT, HELD_OUT, PROBLEMS, half_of
from machine import commit, date_span, describe

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gp_parallel"
DOC = ROOT / "docs" / "benchmarks" / "gp_parallel.md"
ARMS: dict[str, tuple[str, Runner]] = {
    "sequential": ("sequential", engine_runner(None)),
    "async4": ("4 asynchronous workers", parallel_runner(DEFAULT_ACQUISITION, 4, jitter=0.5)),
    "batch4": ("batches of 4", batch_runner(DEFAULT_ACQUISITION, 4)),
    "async4_design": (
        "4 asynchronous workers, design until n_initial completed",
        parallel_runner(DEFAULT_ACQUISITION, 4, jitter=0.5, strategy=CompletedDesignGPStrategy),
    ),
}
PARALLEL = ("async4", "batch4", "async4_design")
CANDIDATE = "async4_design"
LATE = 3  # results outstanding at every step with 4 asynchronous workers
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
    ``results``: the regret of the recommendation after each evaluation (``curve``) and
    at the end, time, date, machine, commit."""
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
                regrets = recommendation_regret(PROBLEMS[name], log[:budget])
                record = {
                    "arm": arm,
                    "problem": name,
                    "seed": seed,
                    "budget": budget,
                    "regret": regrets[-1],
                    "curve": regrets,
                    "seconds": time.perf_counter() - start,
                    "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                    "machine": describe(),
                    "commit": commit(),
                }
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(record) + "\n")
                print(f"{arm} {name} s{seed} b{budget} {record['regret']:.3g}", flush=True)


def _records(results: Path, arm: str, name: str, budget: int) -> list[dict[str, Any]]:
    paths = (results / arm / name).glob(f"*-budget{budget}.json")
    return [json.loads(p.read_text()) for p in paths]


def finals(results: Path, arm: str, name: str, budget: int) -> dict[int, float]:
    """Final regret by seed of one arm on one problem."""
    return {int(r["seed"]): float(r["regret"]) for r in _records(results, arm, name, budget)}


def late_ratio(results: Path, name: str, budget: int, late: int = LATE) -> float | None:
    """Sequential median regret ``late`` evaluations before the budget over the median at
    the budget (medians under FLOOR counted as FLOOR); None without recorded curves."""
    curves = [r["curve"] for r in _records(results, "sequential", name, budget) if "curve" in r]
    if not curves:
        return None
    before = statistics.median(c[budget - 1 - late] for c in curves)
    after = statistics.median(c[budget - 1] for c in curves)
    return float(max(before, FLOOR) / max(after, FLOOR))


def paired(runs: dict[int, float], base: dict[int, float]) -> tuple[float, float, int] | None:
    """(the arm's median, its ratio to the base's median, the number of seeds) over the seeds
    both have, medians under FLOOR counted as FLOOR; None without a shared seed."""
    seeds = sorted(set(runs) & set(base))
    if not seeds:
        return None
    mine = max(statistics.median(runs[s] for s in seeds), FLOOR)
    theirs = max(statistics.median(base[s] for s in seeds), FLOOR)
    return mine, mine / theirs, len(seeds)


def provenance(results: Path, arm: str, budget: int) -> str | None:
    """'label: dates, machine(s), commit(s)' of one arm's records."""
    records = [
        record
        for name in [*DEVELOPMENT, *HELD_OUT]
        for record in _records(results, arm, name, budget)
    ]
    if not records:
        return None
    span = date_span(str(r["date"]) for r in records)
    machines = ", ".join(sorted({str(r["machine"]) for r in records}))
    commits = ", ".join(sorted({str(r["commit"]) for r in records}))
    return f"{ARMS[arm][0]}: {span} on {machines}, commit {commits}"


def report(budget: int = 50) -> None:
    rows: list[list[str]] = []
    ratios: dict[str, list[float]] = {arm: [] for arm in PARALLEL}
    costly: list[str] = []  # problems where stopping LATE evaluations short costs > TARGET
    for name in [*DEVELOPMENT, *HELD_OUT]:
        sequential = finals(RESULTS, "sequential", name, budget)
        if not sequential:
            continue
        late = late_ratio(RESULTS, name, budget)
        if late is not None and late > TARGET:
            costly.append(f"`{name}` {late:.2f}x")
        cells = [
            name,
            half_of(name),
            f"{statistics.median(sequential.values()):.3g} ({len(sequential)})",
            "-" if late is None else f"{late:.2f}",
        ]
        for arm in PARALLEL:
            pair = paired(finals(RESULTS, arm, name, budget), sequential)
            if pair is None:
                cells += ["-", "-"]
                continue
            mine, ratio, seeds = pair
            ratios[arm].append(ratio)
            cells += [f"{mine:.3g} ({seeds})", f"{ratio:.2f}"]
        rows.append(cells)
    measured = [m for arm in ("sequential", *PARALLEL) if (m := provenance(RESULTS, arm, budget))]
    if not rows:
        return
    labels = "".join(f" {ARMS[arm][0]} | ratio |" for arm in PARALLEL)
    lines = [
        "# Parallel workers on the broad suite: asynchronous and batched against sequential",
        "",
        "Script: `bench/gp_parallel.py`. Measured:",
        "",
        *(f"- {m}" for m in measured),
        "",
        f"Budget {budget} evaluations, the engine's default strategy on every problem of the "
        "gp suite (both halves; nothing here is tuned). Sequential: one evaluation at a time "
        "(the suite's `engine-default`, run again here). 4 asynchronous "
        "workers: each finished trial is replaced at once "
        "by a suggestion made with the other 3 pending (kriging believer), trial durations "
        "1 + U(-0.5, 0.5) so workers finish out of order. Batches of 4: one suggest call for 4 "
        "configurations, all evaluated, repeat. The last arm is a candidate: the asynchronous "
        "workers' Sobol initial design continues until n_initial trials have completed (the "
        "engine counts pending trials towards n_initial, so with 4 workers its model starts "
        "3 completed trials earlier, believing 3 pending). Regret: noise-free value of the "
        "recommendation minus the optimum; medians over the seeds both arms have (in "
        "parentheses); ratio = arm median / sequential median over those seeds (medians under "
        f"{FLOOR:g} count as {FLOOR:g}). {LATE} results late: the sequential runs' median "
        f"regret {LATE} evaluations before the budget over their median at the budget, the "
        f"cost of deciding with {LATE} results outstanding if they were simply missing. The "
        f"earlier target: within {TARGET}x of sequential.",
        "",
        f"| problem | half | sequential | {LATE} results late |{labels}",
        "| --- | --- | ---: | ---: |" + " ---: | ---: |" * len(PARALLEL),
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
    lines += candidate_verdict(ratios, names=[row[0] for row in rows])
    lines.append(
        f"- Sequential runs stopped {LATE} evaluations short lose more than {TARGET}x on "
        f"{len(costly)} of {len(rows)} problems" + (f": {', '.join(costly)}." if costly else ".")
    )
    DOC.write_text("\n".join(lines) + "\n")
    benchmarks_doc.main()


def candidate_verdict(ratios: Mapping[str, list[float]], names: Sequence[str]) -> list[str]:
    """How the candidate arm compares with the engine's asynchronous workers, problem by
    problem (a change of more than 1.25x either way), and whether it meets the rule for
    replacing the engine's behaviour: more problems within TARGET and a lower geometric
    mean of the ratios."""
    base, mine = ratios["async4"], ratios[CANDIDATE]
    if len(base) != len(names) or len(mine) != len(names):
        return []
    change = [m / b for m, b in zip(mine, base, strict=True)]
    better = [f"`{n}` {c:.2f}x" for n, c in zip(names, change, strict=True) if c < 1 / 1.25]
    worse = [f"`{n}` {c:.2f}x" for n, c in zip(names, change, strict=True) if c > 1.25]
    within = sum(r <= TARGET for r in mine) > sum(r <= TARGET for r in base)
    lower = statistics.geometric_mean(mine) < statistics.geometric_mean(base)
    verdict = "meets the rule" if within and lower else "not adopted: the engine keeps its rule"
    return [
        f"- {ARMS[CANDIDATE][0]}, against the engine's 4 asynchronous workers (ratio of "
        f"ratios): better by more than 1.25x on {len(better)} problems"
        + (f" ({', '.join(better)})" if better else "")
        + f", worse by more than 1.25x on {len(worse)}"
        + (f" ({', '.join(worse)})" if worse else "")
        + f"; {verdict} (more problems within {TARGET}x and a lower geometric mean)."
    ]


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
