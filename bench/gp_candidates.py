"""Candidate defaults for the engine (issue 13): acquisitions that exploit more and
length-scale priors that scale with the dimension, against the default, development half.

Run:     .venv/bin/python bench/gp_candidates.py run [--arms ...] [--seeds 0-9] [--budgets 50]
Report:  .venv/bin/python bench/gp_candidates.py report   (docs/benchmarks/gp_candidates.md)

Arms, sequential runs of the engine (bench/gp_runners.engine_runner) or of one variant of it
(bench/gp_ablations.py) on the development half of the gp suite (the held-out half is run
only for a candidate that passes the rule):

- ``default``: the engine's default (EI), run here too so that every arm is one machine;
- ``pi0``: PI with xi = 0 (gp options; PI's default xi is 0.01);
- ``mix50``: each suggestion EI or, with probability 1/2, PI with xi = 0;
- ``stag5`` / ``stag5x1`` / ``stag5x1m`` / ``stagM5`` / ``stagM5x1``: EI, exploiting
  while it stagnates: after 5 model steps without a new best, PI with xi = 0 until 2
  (``stag5x1``: 1) of its steps in a row miss; ``stag5x1m`` exploits with PI at xi = 0.01,
  ``stagM5`` (and ``stagM5x1``, until one miss) with the posterior mean;
- ``prior-lognormal`` / ``prior-scaled`` / ``prior-long``: length-scale priors that grow
  with the dimension D (Hvarfner et al. 2024's log-normal; the engine's prior with its mode
  moved to sqrt(D / 2); only its long-scale term scaled).

Regret is the gp suite's (noise-free value of the recommendation minus the optimum; common
noise draws). The rule for a new default, as for earlier candidates (docs/benchmarks/gp.md,
gp_suite.md, gp_greedy.md): geometric mean of the ratios below 1 and no development problem
worse than 1.25x, at every budget. One JSON file per (arm, problem, seed, budget) under
bench/results/gp_candidates/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks_doc
from gp_ablations import (
    CoinGPStrategy,
    LogNormalPriorGPStrategy,
    LongPriorGPStrategy,
    ScaledPriorGPStrategy,
    StagnationGPStrategy,
    StagnationMarginGPStrategy,
    StagnationMeanGPStrategy,
    StagnationMeanOnceGPStrategy,
    StagnationOnceGPStrategy,
)
from gp_parallel import FLOOR, finals, paired, run_arms
from gp_runners import Runner, engine_runner
from gp_suite import ratio_summary
from gp_suite_problems import DEVELOPMENT

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gp_candidates"
DOC = ROOT / "docs" / "benchmarks" / "gp_candidates.md"
RULE = 1.25
PI0 = {"acquisition": "pi", "xi": 0.0}
ARMS: dict[str, tuple[str, Runner]] = {
    "default": ("default (EI)", engine_runner(None)),
    "pi0": ("PI, xi 0", engine_runner(None, options=PI0)),
    "mix50": ("EI or PI xi 0, coin", engine_runner(None, CoinGPStrategy)),
    "stag5": ("stagnation -> PI", engine_runner(None, StagnationGPStrategy)),
    "stag5x1": ("stagnation -> PI, 1 miss", engine_runner(None, StagnationOnceGPStrategy)),
    "stag5x1m": (
        "stagnation -> PI xi 0.01, 1 miss",
        engine_runner(None, StagnationMarginGPStrategy),
    ),
    "stagM5": ("stagnation -> mean", engine_runner(None, StagnationMeanGPStrategy)),
    "stagM5x1": ("stagnation -> mean, 1 miss", engine_runner(None, StagnationMeanOnceGPStrategy)),
    "prior-lognormal": ("log-normal prior", engine_runner(None, LogNormalPriorGPStrategy)),
    "prior-scaled": ("scaled prior", engine_runner(None, ScaledPriorGPStrategy)),
    "prior-long": ("long-scale term scaled", engine_runner(None, LongPriorGPStrategy)),
}
INTRO = (
    "Sequential runs of the engine and of variants of it (bench/gp_ablations.py) on the "
    "development half of the gp suite. PI xi 0: probability of improvement without margin. "
    "Coin: each suggestion EI or PI xi 0 with probability 1/2. Stagnation: EI until 5 model "
    "steps in a row bring no new best, then the exploiting acquisition (PI xi 0; PI xi 0.01; "
    "the posterior mean) until 2 of its steps in a row miss (1 miss where the column says "
    "so). Priors on the length scales l, D input columns: log-normal, "
    "log l ~ N(sqrt 2 + log(D) / 2, 3) (Hvarfner, Hellsten & Nardi 2024); scaled, the "
    "engine's -0.1 (u^2 + 1/u^2) with u = l / sqrt(D / 2); long-scale term scaled, "
    "-0.1 (u^2 + 1/l^2); the three with the upper bound of l raised from 20 to 1,000."
)


def report_candidates(
    results: Path,
    doc: Path,
    arms: Mapping[str, tuple[str, Runner]],
    script: str,
    title: str,
    intro: str,
    budgets: Sequence[int],
    kept: str,
    names: Sequence[str] = DEVELOPMENT,
) -> None:
    """``doc``: per budget, each candidate's median against the default's over the seeds
    both have, and whether it meets the rule for a new default (``kept``: what stays when
    none does), over the problems ``names``. Every arm but ``default`` is a candidate."""
    records = [json.loads(p.read_text()) for p in results.glob("*/*/*.json")]
    if not records:
        return
    first = min(records, key=lambda r: str(r["date"]))
    candidates = [arm for arm in arms if arm != "default"]
    header = " | ".join(f"{arms[a][0]} | ratio" for a in candidates)
    lines = [
        f"# {title}",
        "",
        f"Measured {str(first['date'])[:10]} on {first['machine']}. Script: `{script}`.",
        "",
        f"{intro} Cells: median final regret (seeds); ratio = arm median / default median "
        f"over the seeds both have (medians under {FLOOR:g} count as {FLOOR:g}).",
    ]
    passed = set(candidates)
    for budget in budgets:
        ratios: dict[str, list[float]] = {arm: [] for arm in candidates}
        rows = []
        for name in names:
            base = finals(results, "default", name, budget)
            cells = [name, f"{statistics.median(base.values()):.3g} ({len(base)})" if base else "-"]
            for arm in candidates:
                pair = paired(finals(results, arm, name, budget), base)
                if pair is None:
                    cells += ["-", "-"]
                    continue
                mine, ratio, seeds = pair
                ratios[arm].append(ratio)
                cells += [f"{mine:.3g} ({seeds})", f"{ratio:.2f}"]
            rows.append("| " + " | ".join(cells) + " |")
        lines += [
            "",
            f"## Budget {budget}",
            "",
            f"| problem | {arms['default'][0]} | {header} |",
            "| --- | ---: | " + " | ".join("---: | ---:" for _ in candidates) + " |",
            *rows,
            "",
        ]
        for arm in candidates:
            values = ratios[arm]
            if not values or max(values) > RULE or statistics.geometric_mean(values) >= 1:
                passed.discard(arm)
            if values:
                worse = sum(r > RULE for r in values)
                lines.append(
                    f"- {arms[arm][0]}: {ratio_summary(values)}; "
                    f"{worse} of {len(values)} problems worse than {RULE}x."
                )
    met = [arms[arm][0] for arm in candidates if arm in passed]
    lines += [
        "",
        f"Rule for a new default: geometric mean below 1 and no problem worse than {RULE}x, at "
        f"every budget. Met by: {', '.join(met) or ('neither' if len(candidates) == 2 else 'none')}"
        + ("." if met else f"; {kept}."),
    ]
    doc.write_text("\n".join(lines).rstrip() + "\n")
    benchmarks_doc.main()


def main() -> None:
    """Parse the command line: ``run`` or ``report``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("--arms", nargs="+", default=list(ARMS))
    go.add_argument("--seeds", default="0-9")
    go.add_argument("--budgets", type=int, nargs="+", default=[50])
    go.add_argument("--problems", nargs="+", default=list(DEVELOPMENT))
    show = sub.add_parser("report")
    show.add_argument("--budgets", type=int, nargs="+", default=[50])
    args = parser.parse_args()
    if args.command == "run":
        chosen = {arm: ARMS[arm] for arm in args.arms}
        for budget in args.budgets:
            run_arms(chosen, RESULTS, args.problems, args.seeds, budget)
    report_candidates(
        RESULTS,
        DOC,
        ARMS,
        "bench/gp_candidates.py",
        "Candidate defaults against the default, development half",
        INTRO,
        args.budgets,
        "the default stays EI with the engine's prior",
        DEVELOPMENT,
    )


if __name__ == "__main__":
    main()
