"""The broad gp suite of issue 13: run methods x problems x seeds x budgets, then report.

Run:     .venv/bin/python bench/gp_suite.py run --methods engine-default,random --seeds 0-2 \
             --budgets 50 [--problems ...] [--stop-after 90]
Report:  .venv/bin/python bench/gp_suite.py report      (writes docs/benchmarks/gp_suite.md)

One JSON file per (method, problem, seed, budget) under bench/results/gp_suite/; existing
files are skipped, so a run can be stopped, resumed and extended. One process, one BLAS
thread: the machine is shared.

Regret is measured on the recommendation: after each evaluation, the evaluated configuration
with the best observed value so far (first on ties), and its regret is the noise-free value
there minus the optimum. Every method, this engine included, is scored by that one rule, so
on a noisy problem a lucky observation costs every method alike. The noise of the k-th
evaluation of (problem, seed) is the same draw for every method (common random numbers).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gp_ablations import HedgeGPStrategy, PlugInIncumbentGPStrategy, UnwarpedGPStrategy
from gp_problems import Problem
from gp_runners import (
    Runner,
    bayes_opt_runner,
    engine_runner,
    optuna_runner,
    random_runner,
)
from gp_suite_problems import DEVELOPMENT, HELD_OUT, PROBLEMS, budgets_of, half_of
from machine import describe

from hpo_service.optimisation.gp import GPFactory

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "gp_suite"
DEFAULT_ACQUISITION = str(
    GPFactory().normalise({"name": "gp"}, PROBLEMS["hartmann3_3d"].space)["acquisition"]
)

METHODS: dict[str, tuple[str, Runner]] = {
    "engine-default": (f"engine default ({DEFAULT_ACQUISITION.upper()})", engine_runner(None)),
    "engine-ei": ("engine EI", engine_runner("ei")),
    "engine-ucb": ("engine UCB", engine_runner("ucb")),
    "engine-pi": ("engine PI", engine_runner("pi")),
    "optuna-gp": ("Optuna GPSampler", optuna_runner("gp")),
    "optuna-tpe": ("Optuna TPESampler", optuna_runner("tpe")),
    "bayes_opt": ("bayes_opt default (UCB)", bayes_opt_runner("ucb")),
    "random": ("random (Sobol)", random_runner),
    # the ablation of the output warp, run on the development half only
    "engine-nowarp": (
        "engine default without output warping",
        engine_runner(None, strategy=UnwarpedGPStrategy),
    ),
    # a candidate incumbent for EI and PI (the best posterior mean at an observed point)
    "engine-plugin": (
        "engine plug-in incumbent",
        engine_runner(None, strategy=PlugInIncumbentGPStrategy),
    ),
    # a portfolio candidate for the default (GP-Hedge over EI, PI, UCB), development half first
    "engine-hedge": (
        "engine GP-Hedge (EI, PI, UCB)",
        engine_runner(None, strategy=HedgeGPStrategy),
    ),
}
PEERS = ("optuna-gp", "optuna-tpe", "bayes_opt", "random")
# The engine's default configuration is one of its acquisitions: the same runs, bit for bit
# (checked in tests/bench), so that acquisition's column is read from the default's files.
ALIASES = {f"engine-{DEFAULT_ACQUISITION}": "engine-default"}


def result_path(method: str, problem: str, seed: int, budget: int) -> Path:
    """Where the result of one run is stored."""
    return RESULTS / method / problem / f"seed{seed}-budget{budget}.json"


def observed(problem: Problem, seed: int) -> tuple[Problem, list[tuple[float, float]]]:
    """The problem as a method sees it (noisy if ``noise_sd``), and the log of
    (observed, noise-free) values it fills, one pair per evaluation."""
    log: list[tuple[float, float]] = []
    rng = np.random.default_rng([seed, zlib.crc32(problem.name.encode())])

    def function(x: np.ndarray) -> float:
        true = problem.function(x)
        value = true + problem.noise_sd * float(rng.standard_normal()) if problem.noise_sd else true
        log.append((value, true))
        return value

    return replace(problem, function=function), log


def recommendation_regret(problem: Problem, log: list[tuple[float, float]]) -> list[float]:
    """Regret of the recommendation (best observed so far) after each evaluation."""
    out: list[float] = []
    best = 0
    for i, (value, _) in enumerate(log):
        if value < log[best][0]:
            best = i
        out.append(log[best][1] - problem.optimum)
    return out


def run_one(method: str, name: str, seed: int, budget: int) -> dict[str, object]:
    """One run of one method on one problem; the record stored as JSON."""
    problem, log = observed(PROBLEMS[name], seed)
    start = time.perf_counter()
    METHODS[method][1](problem, seed, budget)
    seconds = time.perf_counter() - start
    log = log[:budget]
    return {
        "method": method,
        "problem": name,
        "half": half_of(name),
        "seed": seed,
        "budget": budget,
        "regret": recommendation_regret(PROBLEMS[name], log),
        "observed": [v for v, _ in log],
        "true": [t for _, t in log],
        "noise_sd": PROBLEMS[name].noise_sd,
        "seconds": seconds,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": describe(),
    }


def ratio_summary(ratios: list[float]) -> str:
    """'geometric mean G, worst W, best B' of ratios (lower is better)."""
    mean = float(np.exp(np.mean(np.log(ratios))))
    return f"geometric mean {mean:.2f}, worst {max(ratios):.2f}, best {min(ratios):.2f}"


def _seeds(text: str) -> list[int]:
    """'0-2' or '0,3,5' -> seeds."""
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in text.split(",")]


def run(args: argparse.Namespace) -> None:
    """Every missing (method, problem, budget, seed) file, methods in the order given."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    started = time.monotonic()
    budgets = [int(b) for b in args.budgets.split(",")] if args.budgets else None
    for method in args.methods.split(","):
        if method in ALIASES:
            print(f"{method}: same runs as {ALIASES[method]}, skipped", flush=True)
            continue
        for name in args.problems.split(",") if args.problems else [*DEVELOPMENT, *HELD_OUT]:
            for budget in budgets_of(PROBLEMS[name]):
                if budgets is not None and budget not in budgets:
                    continue
                for seed in _seeds(args.seeds):
                    path = result_path(method, name, seed, budget)
                    if path.exists():
                        continue
                    if args.stop_after and time.monotonic() - started > 60 * args.stop_after:
                        print(f"stopped after {args.stop_after} minutes", flush=True)
                        return
                    try:
                        record = run_one(method, name, seed, budget)
                    except ImportError as error:  # Optuna's GPSampler without PyTorch
                        print(f"{method}: cannot run ({error}); skipped", flush=True)
                        break
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.with_suffix(".tmp").write_text(json.dumps(record))
                    path.with_suffix(".tmp").rename(path)
                    print(
                        f"{method:15} {name:26} b{budget:<4} s{seed} "
                        f"{record['seconds']:7.1f}s regret {record['regret'][-1]:.3g}",  # type: ignore[index]
                        flush=True,
                    )


def main() -> None:
    """Parse the command line: ``run`` or ``report``."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="run what is missing")
    runner.add_argument("--methods", default=",".join(METHODS), help=", ".join(METHODS))
    runner.add_argument("--problems", help="comma-separated problem names (default: all 20)")
    runner.add_argument("--seeds", default="0-9", help="'0-9' or '0,1,5'")
    runner.add_argument("--budgets", help="comma-separated, e.g. 50,100 (default: each problem's)")
    runner.add_argument("--stop-after", type=float, help="minutes: launch no run after this")
    reporter = commands.add_parser("report", help="write docs/benchmarks/gp_suite.md")
    reporter.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "gp_suite.md"))
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        from gp_suite_report import write_report

        write_report(Path(args.out))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
