"""Benchmark of the gp strategy: regret vs anchors, latency, parallel workers.

Run:  .venv/bin/python bench/gp_benchmark.py --quick      (a few minutes)
      .venv/bin/python bench/gp_benchmark.py              (full, ~30-40 min on 2 cores)
Writes docs/benchmarks/gp.md after every section; raw rows go to --raw (JSON lines).
The ablation table in that page ran on engine switches since removed (see its notes);
ablations are now built in gp_ablations.py and run by gp_suite.py.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gp_latency import latency_rows
from gp_problems import PROBLEMS
from gp_report import write_report
from gp_runners import METHODS, PARALLEL

ROOT = Path(__file__).resolve().parent.parent


def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def _run(task: tuple[str, str, str, int, int]) -> dict[str, object]:
    section, method, problem, seed, budget = task
    runner = {**METHODS, **PARALLEL}[method]
    start = time.perf_counter()
    regrets = runner(PROBLEMS[problem], seed, budget)
    return {
        "section": section,
        "method": method,
        "problem": problem,
        "seed": seed,
        "regret": regrets,
        "seconds": time.perf_counter() - start,
    }


def run_section(
    section: str,
    methods: list[str],
    args: argparse.Namespace,
    rows: list[dict[str, object]],
    budget: int,
) -> None:
    """Run every (method, problem, seed) of a section on a process pool, saving rows."""
    tasks = [
        (section, m, p, s, budget) for m in methods for p in PROBLEMS for s in range(args.seeds)
    ]
    with multiprocessing.get_context("fork").Pool(args.jobs, _init_worker) as pool:
        for row in pool.imap_unordered(_run, tasks):
            rows.append(row)
            with open(args.raw, "a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(
                f"{row['section']:9} {row['method']:40} {row['problem']:10} "
                f"seed {row['seed']} {row['seconds']:.1f}s",
                flush=True,
            )
    write_report(rows, args)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 seeds, fewer methods/sizes")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sections", default="regret,parallel,latency")
    parser.add_argument("--raw", default="/tmp/gp_benchmark_raw.jsonl")
    parser.add_argument("--out", default=str(ROOT / "docs/benchmarks/gp.md"))
    parser.add_argument(
        "--methods", help="comma-separated method names: run only these within the sections"
    )
    parser.add_argument(
        "--keep", help="JSON lines of an earlier run whose other sections go in the report"
    )
    args = parser.parse_args()
    if args.quick:
        args.seeds = min(args.seeds, 2)
    return args


def _kept_rows(args: argparse.Namespace, sections: list[str]) -> list[dict[str, object]]:
    if not args.keep:
        return []
    with open(args.keep) as handle:
        kept = [json.loads(line) for line in handle if line.strip()]
    chosen = set(args.methods.split(",")) if args.methods else None
    return [
        r
        for r in kept
        if r["section"] not in sections
        or (chosen is not None and "method" in r and r["method"] not in chosen)
    ]


def _selected(args: argparse.Namespace, methods: list[str]) -> list[str]:
    if not args.methods:
        return methods
    return [m for m in methods if m in args.methods.split(",")]


def main() -> None:
    """Parse options and run the selected sections."""
    args = _arguments()
    sections = [s for s in args.sections.split(",") if s]  # "" only rewrites the report
    rows = _kept_rows(args, sections)
    Path(args.raw).unlink(missing_ok=True)
    started = time.perf_counter()
    if "regret" in sections:
        quick = ["engine EI", "random (Sobol)", "Optuna GPSampler"]
        methods = _selected(args, quick if args.quick else list(METHODS))
        run_section("regret", methods, args, rows, 50)
    if "parallel" in sections:
        run_section("parallel", _selected(args, list(PARALLEL)), args, rows, 48)
    if "latency" in sections:
        sizes = (10, 50, 200) if args.quick else (10, 50, 100, 200, 500, 1000)
        for row in latency_rows(sizes, repeats=1 if args.quick else 3):
            rows.append(row)
            with open(args.raw, "a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(row, flush=True)
        write_report(rows, args)
    if not sections:
        write_report(rows, args)
    print(f"done in {time.perf_counter() - started:.0f}s; wrote {args.out}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
