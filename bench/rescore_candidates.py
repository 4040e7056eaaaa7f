"""Which trials should the re-score step take: the top by posterior mean, or by raw value?

``hpo-trainer rescore`` re-scores the top 3 trials by the GP's posterior mean (``by=posterior``,
the default) and recommends the best re-score. This script replays that choice on every
stored GP study of ``bench/tuned_mlp.py`` (bench/results/tuned/*-50.json and the reruns): it
re-scores (CV seed 1, as the study's own re-score) the top 3 trials by value that the
posterior ranking left out, confirms (seed 2) every recommendation that changes, and
compares three rules on the confirmed scores, paired by study: posterior top 3 (what the
study did), value top 3, and their union (up to 6 re-scores).

    .venv/bin/python bench/rescore_candidates.py run       (about 40 minutes on 2 cores)
    .venv/bin/python bench/rescore_candidates.py report    (docs/benchmarks/rescore_candidates.md)

Scores are kept in bench/results/rescore_candidates/scores.json, keyed by problem,
configuration and CV seed, so a run can be stopped and resumed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import describe

from trainer.commands import scoring_pool
from trainer.evaluation import Protocol
from trainer.objectives import get_problem
from trainer.rescore import scores_of

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "bench" / "results" / "tuned"
SCORES = ROOT / "bench" / "results" / "rescore_candidates" / "scores.json"
DOC = ROOT / "docs" / "benchmarks" / "rescore_candidates.md"
TOP = 3
RULES = ("posterior", "value", "union")

Study = dict[str, Any]


def studies() -> Iterator[tuple[str, Study]]:
    """Every stored GP study with its history: (label, study)."""
    files = sorted(STUDIES.glob("*-50.json")) + sorted(STUDIES.glob("rerun-*/*.json"))
    for path in files:
        study = json.loads(path.read_text())
        if "history" in study:
            yield str(path.relative_to(STUDIES))[: -len("-50.json")], study


def sign(study: Study) -> int:
    """+1 where larger is better (accuracy), -1 where smaller is (RMSE)."""
    return 1 if study["problem"] == "breast-cancer" else -1


def key(study: Study, number: int, seed: int) -> str:
    """The score's key: problem, configuration (sorted JSON) and CV seed."""
    params = next(t["params"] for t in study["history"] if t["number"] == number)
    return f"{study['problem']}|{json.dumps(params, sort_keys=True)}|{seed}"


def by_value(study: Study) -> list[int]:
    """The top trials by the value the study saw (ties: lower number)."""
    complete = [t for t in study["history"] if t["state"] == "complete" and t["value"] is not None]
    complete.sort(key=lambda t: (-sign(study) * t["value"], t["number"]))
    return [t["number"] for t in complete[:TOP]]


def candidates(study: Study, rule: str) -> list[int]:
    """The trials a rule re-scores."""
    posterior = [r["number"] for r in study["rescored"]]
    value = by_value(study)
    return {"posterior": posterior, "value": value, "union": posterior + value}[rule]


def seed1(study: Study, number: int, scores: dict[str, float]) -> float | None:
    """A trial's re-score on seed 1: the study's own, else this script's."""
    for row in study["rescored"]:
        if row["number"] == number:
            return float(row["value"])
    return scores.get(key(study, number, 1))


def pick(study: Study, rule: str, scores: dict[str, float]) -> int | None:
    """The rule's recommendation: its best seed-1 re-score (None until all are scored)."""
    found = [(seed1(study, n, scores), n) for n in dict.fromkeys(candidates(study, rule))]
    if any(score is None for score, _ in found):
        return None
    return max(found, key=lambda c: (sign(study) * float(c[0] or 0.0), -c[1]))[1]


def confirmed(study: Study, number: int | None, scores: dict[str, float]) -> float | None:
    """The recommendation's score on seed 2: the study's own, else this script's."""
    if number is None:
        return None
    if number == study["best_number"]:
        return float(study["confirm"]["value"])
    return scores.get(key(study, number, 2))


def _score_all(jobs: list[tuple[str, str, dict[str, Any], int]], scores: dict[str, float]) -> None:
    """Score the jobs in the trainer's scoring pool (2 processes), grouped by problem and CV
    seed; each score is saved as it comes, so a stopped run resumes."""
    SCORES.parent.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple[str, int], list[tuple[str, dict[str, Any]]]] = {}
    for k, problem, params, seed in jobs:
        groups.setdefault((problem, seed), []).append((k, params))
    with scoring_pool(2) as pool:
        for (problem, seed), items in groups.items():
            configs = [params for _, params in items]
            found = scores_of(get_problem(problem), configs, Protocol(seed=seed), pool)
            for (k, _), score in zip(items, found, strict=True):
                scores[k] = score.mean
                SCORES.write_text(json.dumps(scores, indent=1, sort_keys=True) + "\n")
                print(f"{k[:70]}... {scores[k]:.4f}", flush=True)


def _jobs(
    scores: dict[str, float], want: Callable[[Study], list[tuple[int, int]]]
) -> list[tuple[str, str, dict[str, Any], int]]:
    jobs: dict[str, tuple[str, str, dict[str, Any], int]] = {}
    for _, study in studies():
        for number, seed in want(study):
            k = key(study, number, seed)
            if k not in scores and k not in jobs:
                params = next(t["params"] for t in study["history"] if t["number"] == number)
                jobs[k] = (k, study["problem"], params, seed)
    return list(jobs.values())


def run() -> None:
    """Re-score what is missing on seed 1, then confirm every changed pick on seed 2."""
    scores: dict[str, float] = json.loads(SCORES.read_text()) if SCORES.exists() else {}
    first = _jobs(scores, lambda s: [(n, 1) for n in by_value(s) if seed1(s, n, {}) is None])
    print(f"{len(first)} re-scores on seed 1", flush=True)
    _score_all(first, scores)

    def changed(study: Study) -> list[tuple[int, int]]:
        picks = {pick(study, rule, scores) for rule in RULES}
        return [(n, 2) for n in picks if n is not None and n != study["best_number"]]

    second = _jobs(scores, changed)
    print(f"{len(second)} confirmations on seed 2", flush=True)
    _score_all(second, scores)


def report() -> str:
    """docs/benchmarks/rescore_candidates.md: per study and in sum, the three rules."""
    scores: dict[str, float] = json.loads(SCORES.read_text())
    lines = [
        "# Re-score candidates: top by posterior mean, by value, or both",
        "",
        f"Replayed {datetime.date.today()} on {describe()} by `bench/rescore_candidates.py`, "
        "on every stored GP study of `bench/tuned_mlp.py` (50 trials, each arm and seed). "
        f"Each rule re-scores its top {TOP} candidates on CV seed 1 (5 x 5-fold, CV seeds "
        "1000-1004), recommends the best, and the recommendation is confirmed on seed 2 (CV "
        "seeds 2000-2004). `posterior` is what the studies did (the service's default), "
        "`value` takes the top values the study saw, `union` re-scores both sets (up to 6). "
        "Confirmed scores; a gap is in the problem's better direction (positive: the rule "
        "beat `posterior`).",
        "",
    ]
    for problem in ("breast-cancer", "concrete"):
        rows = []
        for label, study in studies():
            if study["problem"] != problem:
                continue
            cells = [confirmed(study, pick(study, rule, scores), scores) for rule in RULES]
            if None not in cells:
                rows.append((label, study, [float(c or 0.0) for c in cells]))
        fmt = "{:.4f}" if problem == "breast-cancer" else "{:.3f}"
        lines += [
            f"## {problem}",
            "",
            "| study | " + " | ".join(RULES) + " |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {label} | " + " | ".join(fmt.format(c) for c in cells) + " |"
            for label, _, cells in rows
        ]
        lines.append("")
        for i, rule in enumerate(RULES[1:], start=1):
            gaps = [round(sign(s) * (cells[i] - cells[0]), 6) + 0.0 for _, s, cells in rows]
            wins, losses = sum(g > 0 for g in gaps), sum(g < 0 for g in gaps)
            lines.append(
                f"- `{rule}` against `posterior`, {len(gaps)} studies: median gap "
                f"{statistics.median(gaps):+.4f}, mean {statistics.mean(gaps):+.4f}; better in "
                f"{wins}, worse in {losses}, level in {len(gaps) - wins - losses} (the same pick)."
            )
        lines.append("")
    text = "\n".join(lines)
    DOC.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["run", "report"])
    if parser.parse_args().command == "run":
        run()
    else:
        print(report())


if __name__ == "__main__":
    main()
