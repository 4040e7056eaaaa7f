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
import math
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe
from scipy.stats import spearmanr

from hpo_service.domain import Direction, IntermediateValue, TrialState
from hpo_service.optimisation.pruners import Case, CurveRecord, build_pruner, decide_from_records
from trainer.objectives import get_problem

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "tuned"
OUT = ROOT / "docs" / "benchmarks" / "pruning_replay.md"
TOP = 3
BIAS_STEPS = (10, 50)
"""Epochs at which the short-horizon bias is measured (the median rule's warm-ups)."""
RULES: list[dict[str, Any]] = [
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 0},
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 10},
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 20},
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 50},
    {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 100},
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


def horizon_bias(result: Mapping[str, Any]) -> dict[str, Any]:
    """How much the learning rate decides a trial's early score compared with its final one.

    A stopping rule judges every trial at the same epoch, so it favours configurations that
    learn fast; if fast learners are not the ones that end best, it stops the eventual
    winners (the short-horizon bias). Per study: Spearman's rho between log learning rate and
    the score at each of BIAS_STEPS, and the final score (signed so that positive means "a
    larger step size scores better"), and how many of the top quarter of complete trials (by
    final score) were below the median of all trials at that epoch, which a median rule
    judging there would stop.
    """
    problem = get_problem(result["problem"])
    sign = 1.0 if Direction(problem.direction) is Direction.MAXIMIZE else -1.0
    trials = [t for t in result["history"] if t["state"] == "complete" and t.get("curve")]
    rates = [math.log(t["params"]["learning_rate_init"]) for t in trials]
    final = [sign * t["value"] for t in trials]
    cut = sorted(final)[len(final) - max(1, len(final) // 4)]
    top = [f >= cut for f in final]
    out: dict[str, Any] = {"final": float(spearmanr(rates, final)[0]), "top": sum(top)}
    for step in BIAS_STEPS:
        at = [sign * _value_at(t["curve"], step) for t in trials]
        median = statistics.median(at)
        out[f"rho_{step}"] = float(spearmanr(rates, at)[0])
        out[f"below_{step}"] = sum(t and a < median for t, a in zip(top, at, strict=True))
    return out


def _value_at(curve: Sequence[Sequence[float]], step: int) -> float:
    """The curve's value at ``step``, or its last value if it ended before."""
    earlier = [v for s, v in curve if s <= step]
    return float(earlier[-1] if earlier else curve[0][1])


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
        lines += ["", *_bias_table(results), ""]
    return "\n".join(lines)


def _bias_table(results: Sequence[Mapping[str, Any]]) -> list[str]:
    """Per study: the short-horizon bias (see ``horizon_bias``)."""
    header = " | ".join(f"rho at epoch {s} | top quarter below the epoch-{s} median"
                        for s in BIAS_STEPS)  # fmt: skip
    lines = [
        "Which trials look good early: Spearman's rho between log learning rate and the score "
        "(positive: a larger step size scores better), at the epochs a median rule judges and "
        "at the end, and how many of the top quarter of complete trials (by final score) were "
        "below the median of all trials at that epoch.",
        "",
        f"| study seed | {header} | rho at the end |",
        "| --- | " + "--- | " * (2 * len(BIAS_STEPS)) + "--- |",
    ]
    for result in results:
        bias = horizon_bias(result)
        cells = " | ".join(f"{bias[f'rho_{s}']:+.2f} | {bias[f'below_{s}']} of {bias['top']}"
                           for s in BIAS_STEPS)  # fmt: skip
        lines.append(f"| {result['seed']} | {cells} | {bias['final']:+.2f} |")
    return lines


def main() -> None:
    """Write the replay report."""
    OUT.write_text(report())
    print(OUT.read_text())


if __name__ == "__main__":
    main()
