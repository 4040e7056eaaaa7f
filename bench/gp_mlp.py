"""Regret benchmark on the breast-cancer MLP objective (mixed space, noisy CV accuracy).

Each method maximises ``trainer.objectives.get_problem("breast-cancer")`` (3-fold CV
accuracy, max_iter 100) for a fixed budget; the objective's CV seed is the run's seed, so
every method sees the same noisy objective on a given seed. Evaluations are cached by
(params, seed) in a JSON-lines file, so a rerun only pays for new configurations; finished
runs are kept in a second JSON-lines file and reused unless ``--fresh``.

Run:  .venv/bin/python bench/gp_mlp.py                       (5 seeds, 50 evaluations)
      .venv/bin/python bench/gp_mlp.py --seeds 10 --bayes-opt-seeds 3
Writes docs/benchmarks/gp_mlp.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import cpu_model

from hpo_service.domain import History, Observation, Params, SearchSpace
from hpo_service.optimisation import build_strategy, normalise_strategy
from hpo_service.wire import space_from_json
from trainer.objectives import ObjectiveError, get_problem

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = "breast-cancer"
FOLDS = 3
MAX_ITER = 100
CHECKPOINTS = (10, 20, 30, 50)
Seen = list[tuple[Params, float | None]]
Ask = Callable[[Seen], Params]
Runner = Callable[["Objective", int, int], list[tuple[float | None, float]]]


class Objective:
    """The breast-cancer objective with a JSON-lines cache keyed by (params, seed)."""

    def __init__(self, cache: Path) -> None:
        self.problem = get_problem(PROBLEM)
        self.space_json = self.problem.search_space()
        self.space: SearchSpace = space_from_json(self.space_json)
        self.cache_path = cache
        self.cache: dict[str, float | None] = {}
        if cache.exists():
            for line in cache.read_text().splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.cache[row["key"]] = row["value"]

    def __call__(self, params: Mapping[str, Any], seed: int) -> float | None:
        """Mean CV accuracy of ``params`` with CV seed ``seed`` (cached); None if training
        failed (diverged), which every method is told as a failed trial."""
        key = json.dumps({"params": dict(params), "seed": seed}, sort_keys=True)
        if key not in self.cache:
            try:
                result = self.problem.evaluate(params, folds=FOLDS, seed=seed, max_iter=MAX_ITER)
                self.cache[key] = float(result.value)
            except ObjectiveError:
                self.cache[key] = None
            with self.cache_path.open("a") as handle:
                handle.write(json.dumps({"key": key, "value": self.cache[key]}) + "\n")
        return self.cache[key]


def ask_tell(
    objective: Objective, seed: int, budget: int, ask: Ask
) -> list[tuple[float | None, float]]:
    """Sequential loop: (value, seconds spent in ``ask``) per evaluation."""
    seen: Seen = []
    rows: list[tuple[float | None, float]] = []
    for _ in range(budget):
        start = time.perf_counter()
        params = ask(seen)
        elapsed = time.perf_counter() - start
        value = objective(params, seed)
        seen.append((params, value))
        rows.append((value, elapsed))
    return rows


def service_runner(config: Mapping[str, Any]) -> Runner:
    """This service's strategy (built via build_strategy), called as the service calls it."""

    def run(objective: Objective, seed: int, budget: int) -> list[tuple[float | None, float]]:
        with contextlib.suppress(ImportError):
            from hpo_service.optimisation.gp.surrogate import clear_cache

            clear_cache()  # no warm start carried over from another run in this process
        space = objective.space
        strategy = build_strategy(normalise_strategy(config, space))

        def ask(seen: Seen) -> Params:
            completed = tuple(Observation(p, v) for p, v in seen if v is not None)
            history = History(completed=completed, failed=tuple(p for p, v in seen if v is None))
            return strategy.prepare(space, history, seed).propose([], 1)[0]

        return ask_tell(objective, seed, budget, ask)

    return run


def _optuna_distributions(space_json: list[dict[str, Any]]) -> dict[str, Any]:
    from optuna import distributions as d

    out: dict[str, Any] = {}
    for p in space_json:
        if p["type"] == "categorical":
            out[p["name"]] = d.CategoricalDistribution(p["choices"])
        elif p["type"] == "int":
            out[p["name"]] = d.IntDistribution(p["low"], p["high"], log=p.get("log", False))
        else:
            out[p["name"]] = d.FloatDistribution(p["low"], p["high"], log=p.get("log", False))
    return out


def optuna_runner(kind: str) -> Runner:
    """Optuna GPSampler or TPESampler, default settings, maximising."""

    def run(objective: Objective, seed: int, budget: int) -> list[tuple[float | None, float]]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler_class = optuna.samplers.GPSampler if kind == "gp" else optuna.samplers.TPESampler
        study = optuna.create_study(direction="maximize", sampler=sampler_class(seed=seed))
        distributions = _optuna_distributions(objective.space_json)
        rows: list[tuple[float | None, float]] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(budget):
                start = time.perf_counter()
                trial = study.ask(distributions)
                elapsed = time.perf_counter() - start
                value = objective(trial.params, seed)
                if value is None:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                else:
                    study.tell(trial, value)
                rows.append((value, elapsed))
        return rows

    return run


def _bayes_opt_bounds(space_json: list[dict[str, Any]]) -> dict[str, Any]:
    """bayes_opt typed bounds; log floats are searched as log10 (it has no log scale)."""
    import math

    bounds: dict[str, Any] = {}
    for p in space_json:
        if p["type"] == "categorical":
            bounds[p["name"]] = list(p["choices"])
        elif p["type"] == "int":
            bounds[p["name"]] = (p["low"], p["high"], int)
        elif p.get("log"):
            bounds[p["name"]] = (math.log10(p["low"]), math.log10(p["high"]))
        else:
            bounds[p["name"]] = (p["low"], p["high"])
    return bounds


def bayes_opt_runner(
    objective: Objective, seed: int, budget: int
) -> list[tuple[float | None, float]]:
    """bayes_opt 3.4 defaults (UCB, 5 random starts); suggestion time = gap between calls.

    It cannot be told of a failure, so a diverged configuration scores the worst value so
    far (0.5 before any success), as a user would have to do."""
    from bayes_opt import BayesianOptimization

    rows: list[tuple[float | None, float]] = []
    mark = [time.perf_counter()]

    def target(**raw: Any) -> float:
        elapsed = time.perf_counter() - mark[0]
        value = objective(_from_bayes_opt(objective.space_json, raw), seed)
        rows.append((value, elapsed))
        mark[0] = time.perf_counter()
        return value if value is not None else min((v for v, _ in rows if v), default=0.5)

    optimizer = BayesianOptimization(
        target, _bayes_opt_bounds(objective.space_json), random_state=seed, verbose=0
    )
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        optimizer.maximize(init_points=5, n_iter=budget - 5)
    return rows[:budget]


def _from_bayes_opt(space_json: list[dict[str, Any]], raw: Mapping[str, Any]) -> Params:
    """Undo the log10 of log floats and make int parameters Python ints."""
    params: dict[str, Any] = {}
    for p in space_json:
        value = raw[p["name"]]
        if p["type"] == "int":
            value = round(float(value))
        elif p["type"] == "float":
            value = 10.0 ** float(value) if p.get("log") else float(value)
        params[p["name"]] = value
    return params


METHODS: dict[str, Runner] = {
    "engine EI": service_runner({"name": "gp", "acquisition": "ei"}),
    "random (Sobol)": service_runner({"name": "random"}),
    "Optuna GPSampler": optuna_runner("gp"),
    "Optuna TPESampler": optuna_runner("tpe"),
    "bayes_opt default (UCB)": bayes_opt_runner,
}


def _init_worker() -> None:
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(1)
    with contextlib.suppress(ImportError):
        import torch

        torch.set_num_threads(1)


def _run(task: tuple[str, int, int, str]) -> dict[str, Any]:
    method, seed, budget, cache = task
    start = time.perf_counter()
    rows = METHODS[method](Objective(Path(cache)), seed, budget)
    return {
        "method": method,
        "seed": seed,
        "budget": budget,
        "values": [v for v, _ in rows],
        "suggest_seconds": [s for _, s in rows],
        "seconds": time.perf_counter() - start,
    }


def _load_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _tasks(args: argparse.Namespace, done: set[tuple[str, int, int]]) -> list[tuple[Any, ...]]:
    """Every (method, seed) still to run; bayes_opt (slow) last and on fewer seeds."""
    tasks = []
    for method in args.methods.split(","):
        seeds = args.bayes_opt_seeds if method.startswith("bayes_opt") else args.seeds
        tasks += [
            (method, seed, args.budget, str(args.cache))
            for seed in range(seeds)
            if (method, seed, args.budget) not in done
        ]
    return tasks


def run_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the missing (method, seed) pairs on ``--jobs`` processes; return every row."""
    rows = [r for r in _load_rows(args.raw) if r["budget"] == args.budget]
    done = {(r["method"], r["seed"], r["budget"]) for r in rows}
    tasks = _tasks(args, done)
    with multiprocessing.get_context("fork").Pool(args.jobs, _init_worker) as pool:
        for row in pool.imap_unordered(_run, tasks):
            rows.append(row)
            with args.raw.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(f"{row['method']:26} seed {row['seed']} {row['seconds']:.0f}s", flush=True)
            write_report(rows, args)
    return rows


def _quartiles(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.4f}" if values else "-"
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"{q2:.4f} [{q1:.4f}, {q3:.4f}]"


def _best_at(row: dict[str, Any], n: int) -> float:
    return max((float(v) for v in row["values"][:n] if v is not None), default=0.0)


def table(rows: list[dict[str, Any]], budget: int) -> list[str]:
    """Markdown table: best CV accuracy at each checkpoint, seconds per suggestion."""
    marks = [c for c in CHECKPOINTS if c <= budget]
    lines = [
        "| method | seeds | " + " | ".join(f"best at {c}" for c in marks)
        + " | s / suggestion (median) | max s / suggestion | failed evaluations |",
        "|---|---:|" + "---|" * len(marks) + "---:|---:|---:|",
    ]  # fmt: skip
    for method in METHODS:
        own = [r for r in rows if r["method"] == method]
        if not own:
            continue
        times = [s for r in own for s in r["suggest_seconds"]]
        cells = [_quartiles([_best_at(r, c) for r in own]) for c in marks]
        lines.append(
            f"| {method} | {len(own)} | " + " | ".join(cells)
            + f" | {statistics.median(times):.3f} | {max(times):.2f}"
            + f" | {sum(v is None for r in own for v in r['values'])} |"
        )  # fmt: skip
    return lines


def noise_line(cache: Path) -> str:
    """CV noise: one fixed configuration scored with CV seeds 0-9."""
    objective = Objective(cache)
    params = {
        "n_layers": 2, "units_1": 32, "units_2": 16, "units_3": 8, "activation": "relu",
        "solver": "adam", "learning_rate_init": 1e-3, "alpha": 1e-4, "batch_size": 32,
        "momentum": 0.9,
    }  # fmt: skip
    values = [v for v in (objective(params, seed) for seed in range(10)) if v is not None]
    return (
        f"Noise of the objective: one fixed configuration (2 layers 32/16, relu, adam, lr 1e-3) "
        f"scored with CV seeds 0-9 gives {min(values):.4f}-{max(values):.4f} "
        f"(standard deviation {statistics.stdev(values):.4f})."
    )


def _machine() -> str:
    cpu = cpu_model()
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def _versions() -> str:
    import importlib.metadata as md

    names = ("numpy", "scipy", "scikit-learn", "optuna", "torch", "bayesian-optimization")
    return ", ".join(f"{n} {md.version(n)}" for n in names)


def write_report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Write the Markdown section (rewritten after every finished run)."""
    lines = [
        "# Bayesian optimisation on the breast-cancer MLP objective",
        "",
        f"Measured {datetime.date.today()} on {_machine()}; {_versions()}. "
        f"Load average at start: {args.load}. Objective: `{PROBLEM}` (maximise mean "
        f"{FOLDS}-fold CV accuracy, MLP max_iter {MAX_ITER}, CV seed = run seed), 10-parameter "
        "mixed space (int, log int, categorical, log float, float). Budget "
        f"{args.budget} evaluations per run, {args.jobs} runs in parallel on the machine.",
        "",
        "Best CV accuracy so far (higher is better): median [first quartile, third quartile] "
        "over seeds. Seconds per suggestion: time inside the method's ask, excluding training.",
        "",
        *table(rows, args.budget),
        "",
        *args.notes,
    ]
    args.out.write_text("\n".join(lines).rstrip() + "\n")


NOTES = [
    "- The best so far is the maximum of noisy CV estimates, so it is optimistic (the "
    "winner's curse) for every method alike; within one seed all methods see the same CV "
    "split, so the noise is shared, not removed.",
    "- The engine's first 10 suggestions are its Sobol initial design (n_initial defaults to "
    "twice the dimensions, at most 10), the same points as random (Sobol): the two agree at 10.",
    "- A failed evaluation (training diverged, ObjectiveError) counts against the budget; the "
    "engine is told it as a failed trial, Optuna as TrialState.FAIL, bayes_opt (which has no "
    "failure state) gets the worst value so far.",
    "- bayes_opt gets typed parameters (int, categorical) and log10 of the log floats (it has "
    "no log scale); its log ints are searched on the raw range.",
    "- Evaluations are cached by (configuration, seed) in a JSON-lines file: a rerun with "
    "`--fresh` repeats the same deterministic runs and re-measures only the suggestion times.",
]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--bayes-opt-seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/gp_mlp_evaluations.jsonl"))
    parser.add_argument("--raw", type=Path, default=Path("/tmp/gp_mlp_runs.jsonl"))
    parser.add_argument("--fresh", action="store_true", help="ignore finished runs in --raw")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks/gp_mlp.md")
    args = parser.parse_args()
    if args.fresh:
        args.raw.unlink(missing_ok=True)
    args.load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    args.notes = []
    return args


def main() -> None:
    """Run the missing runs and write the report."""
    args = _arguments()
    rows = run_all(args)
    args.notes = [
        noise_line(args.cache),
        "",
        "Differences between methods smaller than about two noise standard deviations "
        "are within the noise of the objective and should not be read as a ranking.",
        "",
        *NOTES,
    ]
    write_report(rows, args)
    print(args.out.read_text())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
