"""Epsilon-greedy steps and MACE against the engine's default, development half.

Run:     .venv/bin/python bench/gp_greedy.py run [--seeds 0-19] [--budgets 50 100]
Report:  .venv/bin/python bench/gp_greedy.py report   (docs/benchmarks/gp_greedy.md)

Arms, sequential runs of the engine (bench/gp_runners.engine_runner) on the development half
of the gp suite (bench/gp_suite_problems.py; the held-out half is not run: the option did
not become the default):

- ``default``: the engine's default configuration (EI, no greedy steps), run here too so
  that every arm is the same machine;
- ``greedy10`` / ``greedy25``: the same with ``greedy`` 0.1 / 0.25, the probability that a
  suggestion maximises the posterior mean instead of EI (De Ath et al. 2021);
- ``mace``: HEBO's acquisition ensemble over EI, PI and UCB, a point of their Pareto front
  per suggestion (bench/gp_ablations.MaceGPStrategy), a portfolio candidate for the default.
  It shares this script's ``default`` runs, which reproduce bit for bit on machines without
  AVX-512 (bench/results/gp_candidates/default does not on those).

Regret is the gp suite's (noise-free value of the recommendation minus the optimum; common
noise draws). The rule for a new default, as for earlier candidates in docs/benchmarks/gp.md
and gp_suite.md: the geometric mean of the ratios below 1 and no development problem worse
than 1.25x, at both budgets. One JSON file per (arm, problem, seed, budget) under
bench/results/gp_greedy/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gp_ablations import MaceGPStrategy
from gp_candidates import report_candidates
from gp_parallel import run_arms
from gp_runners import Runner, engine_runner
from gp_suite_problems import DEVELOPMENT

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gp_greedy"
DOC = ROOT / "docs" / "benchmarks" / "gp_greedy.md"
ARMS: dict[str, tuple[str, Runner]] = {
    "default": ("default (EI)", engine_runner(None)),
    "greedy10": ("greedy 0.1", engine_runner(None, options={"greedy": 0.1})),
    "greedy25": ("greedy 0.25", engine_runner(None, options={"greedy": 0.25})),
    "mace": ("MACE (EI, PI, UCB front)", engine_runner(None, MaceGPStrategy)),
}


def report(budgets: list[int]) -> None:
    """docs/benchmarks/gp_greedy.md: per problem and budget, each arm's median against the
    default's over the seeds both have, and the rule's verdict."""
    report_candidates(
        RESULTS,
        DOC,
        ARMS,
        "bench/gp_greedy.py",
        "Epsilon-greedy steps and MACE against the default, development half",
        "Sequential runs of the engine on the development half of the gp suite. Greedy q: "
        "with probability q a suggestion maximises the posterior mean instead of EI (gp "
        'option `greedy`; De Ath, Everson, Rahat & Fieldsend 2021, "Greed is good"). MACE: '
        "each suggestion a point of the Pareto front of EI, PI (xi 0.01) and UCB (kappa 2) "
        "over the points the engine's search finds for each, drawn from the study seed "
        "(HEBO's acquisition ensemble, Cowen-Rivers et al. 2022; run at budget 50 only).",
        budgets,
        "the default stays EI without greedy steps (option `greedy`, default 0)",
        DEVELOPMENT,
    )


def main() -> None:
    """Parse the command line: ``run`` or ``report``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("--arms", nargs="+", default=list(ARMS))
    go.add_argument("--seeds", default="0-19")
    go.add_argument("--budgets", type=int, nargs="+", default=[50, 100])
    go.add_argument("--problems", nargs="+", default=list(DEVELOPMENT))
    show = sub.add_parser("report")
    show.add_argument("--budgets", type=int, nargs="+", default=[50, 100])
    args = parser.parse_args()
    if args.command == "run":
        for budget in args.budgets:
            run_arms({a: ARMS[a] for a in args.arms}, RESULTS, args.problems, args.seeds, budget)
    report(args.budgets)


if __name__ == "__main__":
    main()
