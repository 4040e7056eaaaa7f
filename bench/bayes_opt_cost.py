"""The bayes_opt strategy (the library itself) against the gp engine: seconds per suggestion
at 50 and 200 observations, and the regret each reaches on Hartmann6 in a short run.

Writes docs/benchmarks/bayes_opt.md (assembled into docs/BENCHMARKS.md by benchmarks_doc.py).
Usage: ``.venv/bin/python bench/bayes_opt_cost.py`` (about 3 minutes on 2 cores).
"""

from __future__ import annotations

import datetime
import os
import statistics
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from gp_problems import PROBLEMS
from machine import describe

from hpo_service.domain import History, Observation, Params
from hpo_service.optimisation import build_strategy, normalise_strategy
from hpo_service.optimisation.encoding import decode
from hpo_service.optimisation.gp.surrogate import clear_cache
from hpo_service.optimisation.random_search import sobol_points

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "bayes_opt.md"
PROBLEM = PROBLEMS["hartmann6"]
CONFIGS: dict[str, dict[str, Any]] = {
    "gp (EI), the engine": {"name": "gp", "acquisition": "ei"},
    "bayes_opt (UCB, kappa 2.576)": {"name": "bayes_opt", "acquisition": "ucb"},
    "bayes_opt (EI, xi 0.01)": {"name": "bayes_opt", "acquisition": "ei"},
}
SIZES = (50, 200)
REPEATS = 3
BUDGET = 30
SEEDS = (0, 1)


def _history(n: int) -> History:
    configs = [decode(PROBLEM.space, p) for p in sobol_points(6, 7, 0, n)]
    return History(completed=tuple(Observation(c, -PROBLEM(c)) for c in configs))


def _cost(config: dict[str, Any], n: int) -> tuple[float, float]:
    """Median seconds of (prepare + first proposal) and of a proposal after a new pending."""
    strategy = build_strategy(normalise_strategy(config, PROBLEM.space))
    history = _history(n)
    first, again = [], []
    for _ in range(REPEATS):
        clear_cache()
        start = time.perf_counter()
        proposer = strategy.prepare(PROBLEM.space, history, 1)
        proposal = proposer.propose([], 1)
        middle = time.perf_counter()
        proposer.propose(proposal, 1)
        first.append(middle - start)
        again.append(time.perf_counter() - middle)
    return statistics.median(first), statistics.median(again)


def _regret(config: dict[str, Any], seed: int) -> float:
    """Best simple regret after BUDGET sequential suggestions."""
    strategy = build_strategy(normalise_strategy(config, PROBLEM.space))
    done: list[Observation] = []
    clear_cache()
    for _ in range(BUDGET):
        history = History(completed=tuple(done))
        params: Params = strategy.prepare(PROBLEM.space, history, seed).propose([], 1)[0]
        done.append(Observation(params, -PROBLEM(params)))
    return PROBLEM.regret(min(-o.value for o in done))


def main() -> None:
    """Measure and write the Markdown section."""
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    rows = []
    for label, config in CONFIGS.items():
        costs = [_cost(config, n) for n in SIZES]
        regrets = [_regret(config, seed) for seed in SEEDS]
        rows.append((label, costs, regrets))
        print(label, costs, regrets, flush=True)
    versions = ", ".join(
        f"{p} {metadata.version(p)}" for p in ("bayesian-optimization", "scikit-learn", "scipy")
    )
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# The bayes_opt strategy against the gp engine",
        "",
        f"Measured {now} on {describe()}; {versions}; load average at start {load}. "
        f"Strategy alone (no database, no HTTP), Hartmann6 (6-D), observations from a Sobol "
        f"design; median of {REPEATS} runs. *Suggestion* = `prepare` + the first `propose` "
        "(what one suggest costs, mostly outside the study lock); *new pending* = a `propose` "
        "whose pending set changed since the snapshot (runs under the lock: the gp engine "
        "rescores its shortlist, bayes_opt runs the library's whole suggest again). "
        f"Regret: best Hartmann6 value minus the optimum after {BUDGET} sequential "
        f"suggestions, seeds {', '.join(map(str, SEEDS))}.",
        "",
        "| strategy | "
        + " | ".join(f"suggestion s, n={n} | new pending s, n={n}" for n in SIZES)
        + " | regret after 30 (per seed) |",
        "|---|" + "---:|" * (2 * len(SIZES) + 1),
    ]
    for label, costs, regrets in rows:
        cells = [f"{a:.3f} | {b:.3f}" for a, b in costs]
        lines.append(
            f"| {label} | "
            + " | ".join(cells)
            + " | "
            + ", ".join(f"{r:.3f}" for r in regrets)
            + " |"
        )
    lines += [
        "",
        "The library fits scikit-learn's GP with 5 optimiser restarts and maximises the "
        "acquisition with 10,000 random points plus 10 L-BFGS-B starts on every call, and it "
        "keeps no state between calls here: the service rebuilds it from the history each "
        "time, so its cost is that of a fresh `BayesianOptimization` that registers every "
        "observation and suggests once. Two seeds and 30 evaluations rank nothing; the regret "
        "column only shows both run end to end on the same problem. To compare them on your "
        "own objective, run two studies side by side (same space, one strategy each) and "
        "watch both in the dashboard.",
    ]
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
