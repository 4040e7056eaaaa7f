"""Conditional vs flat search space on a synthetic hierarchical problem with a known optimum.

Run:  .venv/bin/python bench/conditional_space.py   (about 1 minute of CPU, 2 on a busy machine)
Writes docs/benchmarks/conditional.md; then run bench/benchmarks_doc.py for BENCHMARKS.md.
``--first-seed 10 --seeds 30 --output other.md`` repeats it on other seeds.

The problem (minimised, optimum 0) mimics an MLP's search space with 8 parameters:

- ``depth`` int in [1, 3] decides how many of ``w1``, ``w2``, ``w3`` (floats in [0, 1]) matter:
  ``B[depth] + sum_{i <= depth} (w_i - c_i)^2`` with B = (0.5, 0, 0.1), c = (0.2, 0.7, 0.4);
- ``kind`` categorical in {a, b, c}: a adds ``2 (ma - 0.8)^2``, b adds ``0.15 + (mb - 0.3)^2``
  and c adds 0.4 (``ma``, ``mb`` floats in [0, 1]);
- ``lr`` float in [0, 1], always active: ``(lr - 0.3)^2``.

The optimum 0 is at depth 2, w1 0.2, w2 0.7, kind a, ma 0.8, lr 0.3. The *conditional*
space says ``w2`` only when depth in [2, 3], ``w3`` only when depth 3, ``ma`` only when kind
a, ``mb`` only when kind b. The *flat* space has the same 8 parameters, all always
present; the objective ignores the ones that do not apply, exactly as a trainer that reads
``units_2`` only when it builds a second layer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from machine import describe
from threadpoolctl import threadpool_limits

from hpo_service.domain import (
    CategoricalParam,
    Condition,
    FloatParam,
    History,
    IntParam,
    Observation,
    Param,
    SearchSpace,
)
from hpo_service.optimisation import build_strategy, encoding, normalise_strategy
from hpo_service.optimisation.gp.surrogate import clear_cache

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(10)
BUDGETS = (15, 30, 60)
STUCK = 0.1  # a run above this regret is still off the best branch (kind b costs 0.15)
BASE = {1: 0.5, 2: 0.0, 3: 0.1}
CENTRES = (0.2, 0.7, 0.4)


def objective(params: Mapping[str, Any]) -> float:
    """The hierarchical function (minimised); reads only the parameters that apply."""
    depth = int(params["depth"])
    value = BASE[depth] + sum((float(params[f"w{i + 1}"]) - CENTRES[i]) ** 2 for i in range(depth))
    if params["kind"] == "a":
        value += 2.0 * (float(params["ma"]) - 0.8) ** 2
    elif params["kind"] == "b":
        value += 0.15 + (float(params["mb"]) - 0.3) ** 2
    else:
        value += 0.4
    return value + (float(params["lr"]) - 0.3) ** 2


def space(conditional: bool) -> SearchSpace:
    """The 8-parameter space, with or without its conditions."""

    def when(parent: str, *values: Any) -> Condition | None:
        return Condition(parent, values) if conditional else None

    params: tuple[Param, ...] = (
        IntParam("depth", 1, 3),
        FloatParam("w1", 0.0, 1.0),
        FloatParam("w2", 0.0, 1.0, condition=when("depth", 2, 3)),
        FloatParam("w3", 0.0, 1.0, condition=when("depth", 3)),
        CategoricalParam("kind", ("a", "b", "c")),
        FloatParam("ma", 0.0, 1.0, condition=when("kind", "a")),
        FloatParam("mb", 0.0, 1.0, condition=when("kind", "b")),
        FloatParam("lr", 0.0, 1.0),
    )
    return SearchSpace(params)


def run(strategy_name: str, conditional: bool, seed: int, budget: int) -> list[float]:
    """Best-so-far regret after each evaluation of one sequential run."""
    clear_cache()
    chosen = space(conditional)
    strategy = build_strategy(normalise_strategy({"name": strategy_name}, chosen))
    observations: list[Observation] = []
    for _ in range(budget):
        history = History(completed=tuple(observations))
        params = strategy.prepare(chosen, history, seed).propose([], 1)[0]
        observations.append(Observation(params, -objective(params)))
    return list(np.minimum.accumulate([-o.value for o in observations]))


def summary(curves: list[list[float]], at: int) -> str:
    """Median [quartiles] of the regret after ``at`` evaluations."""
    values = sorted(c[at - 1] for c in curves)
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    return f"{median:.3f} [{q1:.3f}, {q3:.3f}]"


Method = tuple[str, str, bool, Callable[[], None]]


DEFAULT_FEATURE = encoding.INACTIVE_FEATURE


def _default_imputation() -> None:
    encoding.INACTIVE_FEATURE = DEFAULT_FEATURE


def _outside_imputation() -> None:
    encoding.INACTIVE_FEATURE = -1.0


METHODS: list[Method] = [
    ("GP (EI), conditional space", "gp", True, _default_imputation),
    ("GP (EI), flat space", "gp", False, _default_imputation),
    ("GP (EI), conditional, inactive at -1 as SMAC3 (ablation)", "gp", True, _outside_imputation),
    ("random (Sobol), conditional space", "random", True, _default_imputation),
    ("random (Sobol), flat space", "random", False, _default_imputation),
]


def measure(seeds: range) -> list[dict[str, Any]]:
    """Every method over every seed at the largest budget."""
    rows = []
    for label, strategy_name, conditional, setup in METHODS:
        setup()
        start = time.process_time()
        curves = [run(strategy_name, conditional, seed, max(BUDGETS)) for seed in seeds]
        seconds = time.process_time() - start
        _default_imputation()
        rows.append({"label": label, "curves": curves, "cpu": seconds})
        print(f"{label}: {summary(curves, 60)} at 60, {seconds:.0f} s CPU", flush=True)
    return rows


def report(rows: list[dict[str, Any]], seeds: range) -> str:
    """The Markdown section."""
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("numpy", "scipy"))
    header = (
        "| method | "
        + " | ".join(f"regret at {b}" for b in BUDGETS)
        + f" | mean at 30 | mean at 60 | seeds above {STUCK} at 60 | CPU ms / suggestion |"
    )
    lines = [
        "# Conditional vs flat search space",
        "",
        f"Measured {date.today().isoformat()} on {describe()}; {versions}. "
        f"{len(seeds)} seeds per method (study seeds {seeds.start}-{seeds.stop - 1}), "
        "sequential runs of "
        f"{max(BUDGETS)} evaluations, default gp options (EI, n_initial = 10).",
        "",
        "Problem (minimised, optimum 0; see `bench/conditional_space.py`): `depth` in "
        "{1, 2, 3} chooses how many of `w1..w3` matter, `kind` in {a, b, c} chooses whether "
        "`ma`, `mb` or neither matters, `lr` always matters. Optimum at depth 2, kind a. "
        "The conditional space declares `w2` (depth in [2, 3]), `w3` (depth 3), `ma` (kind a), "
        "`mb` (kind b); the flat space lists the same 8 parameters unconditionally and the "
        "objective ignores the ones that do not apply.",
        "",
        "Best-so-far simple regret: median [first quartile, third quartile] over seeds, "
        f"their mean, and how many runs end above {STUCK} (lower is better). Random search "
        "gives the same numbers on both spaces: decoding reads a child's coordinate only "
        "when it applies, and the objective ignores it otherwise.",
        "",
        header,
        "|---|" + "---|" * len(BUDGETS) + "---:|" * 4,
    ]
    for row in rows:
        cells = [summary(row["curves"], b) for b in BUDGETS]
        means = [statistics.fmean(c[b - 1] for c in row["curves"]) for b in (30, 60)]
        stuck = sum(c[max(BUDGETS) - 1] > STUCK for c in row["curves"])
        per_suggestion = 1000 * row["cpu"] / (len(row["curves"]) * max(BUDGETS))
        cells += [f"{means[0]:.4f}", f"{means[1]:.4f}", f"{stuck} of {len(row['curves'])}"]
        cells.append(f"{per_suggestion:.0f}")
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    total = sum(row["cpu"] for row in rows)
    lines += ["", f"Total CPU time of the run: {total:.0f} s."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmark and write docs/benchmarks/conditional.md (keeping hand notes)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=len(SEEDS))
    parser.add_argument("--first-seed", type=int, default=SEEDS.start)
    parser.add_argument("--output", type=Path, default=ROOT / "docs/benchmarks/conditional.md")
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    with threadpool_limits(1):
        rows = measure(seeds)
    target = args.output
    notes = ""
    marker = "<!-- notes: hand-written, kept when the tables are regenerated -->"
    if target.exists() and marker in target.read_text():
        notes = "\n" + marker + target.read_text().split(marker, 1)[1]
    target.write_text(report(rows, seeds) + notes)


if __name__ == "__main__":
    main()
