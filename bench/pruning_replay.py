"""Replay stopping rules on the learning curves the tuned-MLP studies recorded.

Every study of ``bench/tuned_mlp.py`` keeps each trial's learning curve (epoch, mean
validation score over the CV folds). On an unpruned study every curve is whole, so any
rule can be replayed on it without training again: the trials are taken in the order they
were numbered, each judged at every epoch by the service's own pruner (``build_pruner`` +
``decide_from_records``, the code the service runs) against the curves of the trials
before it, and a stopped trial ends pruned there. The replay keeps the study's trials
fixed (it cannot say which configurations the GP would have proposed instead, which is
what the real studies measure); it says what a rule saves on these curves and whether it
would have stopped the trials the study ended up recommending. Usage:

    .venv/bin/python bench/pruning_replay.py

reads bench/results/tuned/*-none-*.json and writes docs/benchmarks/pruning_replay.md.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe

from hpo_service.domain import Direction, IntermediateValue, TrialState
from hpo_service.optimisation.pruners import Case, CurveRecord, build_pruner, decide_from_records
from trainer.objectives import get_problem

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "tuned"
OUT = ROOT / "docs" / "benchmarks" / "pruning_replay.md"
TOP = 3
RULES: list[dict[str, Any]] = [
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 0},
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 10},
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 20},
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 50},
    {"name": "successive_halving", "min_resource": 5, "reduction_factor": 3},
    {"name": "successive_halving", "min_resource": 20, "reduction_factor": 3},
]


def replay(
    history: Sequence[Mapping[str, Any]], rule: Mapping[str, Any], direction: Direction
) -> tuple[int, set[int]]:
    """Epochs the trials would have trained under ``rule`` and the numbers it stops."""
    pruner = build_pruner(rule)
    records: list[CurveRecord] = []
    spent = 0
    stopped: set[int] = set()
    for trial in sorted(history, key=lambda t: t["number"]):
        curve = tuple(IntermediateValue(int(s), float(v)) for s, v in trial["curve"])
        kept = len(curve)
        for k in range(1, len(curve) + 1):
            case = Case("replay", direction, trial["number"], curve[:k])
            if decide_from_records(pruner, case, records).should_stop:
                kept = k
                stopped.add(trial["number"])
                break
        spent += kept
        state = TrialState.PRUNED if trial["number"] in stopped else TrialState.COMPLETE
        records.append(CurveRecord(trial["number"], state, curve[:kept]))
    return spent, stopped


def _label(rule: Mapping[str, Any]) -> str:
    options = ", ".join(f"{k} {v}" for k, v in rule.items() if k != "name")
    return f"{rule['name']} ({options})"


def study_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per rule for one unpruned study."""
    problem = get_problem(result["problem"])
    direction = Direction(problem.direction)
    history = [t for t in result["history"] if t["state"] == "complete" and t.get("curve")]
    ranked = sorted(history, key=lambda t: t["value"], reverse=direction is Direction.MAXIMIZE)
    top = [t["number"] for t in ranked[:TOP]]
    whole = sum(len(t["curve"]) for t in history)
    rows = []
    for rule in RULES:
        spent, stopped = replay(history, rule, direction)
        survivors = [t for t in ranked if t["number"] not in stopped]
        rows.append(
            {
                "rule": _label(rule),
                "ratio": whole / spent,
                "stopped": len(stopped),
                "top_lost": sum(n in stopped for n in top),
                "best_kept_rank": ranked.index(survivors[0]) + 1 if survivors else None,
            }
        )
    return rows


def report() -> str:
    """docs/benchmarks/pruning_replay.md from every unpruned tuned-MLP study with curves."""
    lines = [
        "# Stopping rules replayed on the recorded curves of unpruned studies",
        "",
        f"Replayed {dt.datetime.now(dt.UTC):%Y-%m-%d} on {describe()} by "
        "`bench/pruning_replay.py`, from `bench/results/tuned/*-none-*.json` (the "
        "unpruned studies of `bench/tuned_mlp.py`; their trials are fixed, so this measures "
        "what a rule saves on those curves and whether it stops the trials that won, not "
        "which configurations the GP would have proposed instead). Trials are replayed in "
        "number order; each epoch is judged by the service's own pruner code. Epochs saved: "
        "curve epochs of the whole study over those trained under the rule (an epoch of the "
        f"curve is one epoch of every CV fold). Top {TOP} lost: how many of the study's "
        f"{TOP} best complete trials the rule stops. Best kept: the final rank of the best "
        "trial the rule lets finish (1 = the study's winner survives).",
        "",
    ]
    for problem in ("concrete", "breast-cancer"):
        files = sorted(RESULTS.glob(f"{problem}-none-*-*.json"))
        results = [json.loads(f.read_text()) for f in files]
        results = [r for r in results if any(t.get("curve") for t in r["history"])]
        if not results:
            continue
        seeds = ", ".join(str(r["seed"]) for r in results)
        lines += [
            f"## {problem} (study seeds {seeds})",
            "",
            "| rule | epochs saved, median [min, max] | trials stopped (median) | "
            f"top {TOP} lost, per study | best kept, per study |",
            "| --- | --- | --- | --- | --- |",
        ]
        per_study = [study_rows(r) for r in results]
        for k, rule in enumerate(RULES):
            rows = [rows[k] for rows in per_study]
            ratios = [r["ratio"] for r in rows]
            lines.append(
                f"| {_label(rule)} | {statistics.median(ratios):.2f}x "
                f"[{min(ratios):.2f}, {max(ratios):.2f}] | "
                f"{statistics.median(r['stopped'] for r in rows):.0f} | "
                f"{', '.join(str(r['top_lost']) for r in rows)} | "
                f"{', '.join(str(r['best_kept_rank']) for r in rows)} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    """Write the replay report."""
    OUT.write_text(report())
    print(OUT.read_text())


if __name__ == "__main__":
    main()
