"""How good the shortlist search under the study lock is, against the wider climb.

A big study (``shared.SHARE_FROM`` observations or more) proposes by climbing the acquisition
from its base model's shortlist. Outside the lock that climb is wide (``with_quick_prepared``:
proposer.N_STARTS starts, up to 50 L-BFGS-B iterations); under the lock, when the pending set
changed since the snapshot, it is narrow (proposer.LOCK_STARTS starts, 25 iterations). A
busy study (strategy.BUSY_PENDING pending trials or more) makes only the narrow one, under
the lock (``GPProposer.with_belief_only``). This measures what the narrow search gives up:
on the same believed acquisition surface, the log acquisition value each search reaches and
its time, over problems of the development half and the throughput benchmark's space.

Each instance: ``n`` observations (half uniform in the cube, half Gaussian perturbations of
the best ten, as a study that has found something), ``pending`` trials near the best (the
kriging believer conditions on them), and the same comparison with 3 more pending trials
(the case where the set changed before the lock).

Run: .venv/bin/python bench/gp_lock_search.py   (about 5 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import gp_suite_problems  # noqa: E402
import scale_throughput  # noqa: E402
from gp_problems import Problem  # noqa: E402
from machine import commit, describe, int_list  # noqa: E402

from hpo_service.domain import History, Observation, Params, SearchSpace  # noqa: E402
from hpo_service.optimisation import build_strategy, normalise_strategy  # noqa: E402
from hpo_service.optimisation.encoding import decode, encode, snap  # noqa: E402
from hpo_service.optimisation.gp.proposer import GPProposer, _first_free  # noqa: E402
from hpo_service.wire import space_from_json  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "gp_lock_search.json"
OUT = ROOT / "docs" / "benchmarks" / "gp_lock_search.md"
SUITE = ("hartmann3_3d", "noisy_hartmann6_6d", "mixed_levy_6d", "ackley_10d")
TIE = 1e-3  # log-acquisition difference below which the two searches count as level


def throughput_problem() -> Problem:
    """The space and trivial objective of the scale-out throughput benchmark, minimised."""
    space = space_from_json(scale_throughput.SPACE)

    def minus_objective(x: np.ndarray) -> float:
        return -scale_throughput.objective(x[0], int(x[1]), scale_throughput.CHOICES[int(x[2])])

    return Problem("throughput_3d", (), 0.0, minus_objective, parameters=space.params)


def instance(
    problem: Problem, n: int, pending: int, seed: int
) -> tuple[SearchSpace, History, list[Params]]:
    """A history of ``n`` observations with ``pending`` trials out, and 3 newer pending ones."""
    space = problem.space
    rng = np.random.default_rng(seed)
    d = len(space.params)
    uniform = snap(space, rng.random((n // 2, d)))
    values = [problem(decode(space, row)) for row in uniform]
    best = uniform[np.argsort(values)[:10]]

    def near(count: int, sd: float) -> np.ndarray:
        moved = best[rng.integers(0, 10, count)] + sd * rng.normal(size=(count, d))
        return snap(space, np.clip(moved, 0.0, 1.0))

    cube = np.vstack([uniform, near(n - n // 2, 0.05)])
    configs = [space.check(decode(space, row)) for row in cube]
    observed = tuple(Observation(c, -problem(c)) for c in configs)
    out = [space.check(decode(space, row)) for row in near(pending + 3, 0.1)]
    return space, History(completed=observed, pending=tuple(out[:pending])), out


def compare(problem: Problem, n: int, pending: int, seed: int) -> list[dict[str, Any]]:
    """The wide and the narrow search on one instance, with the pending set as prepared and
    with 3 more pending trials."""
    space, history, out = instance(problem, n, pending, seed)
    strategy = build_strategy(normalise_strategy({"name": "gp", "seed": seed}, space))
    proposer = strategy.prepare(space, history, seed)
    assert isinstance(proposer, GPProposer), "a big study proposes with the GP"
    rows = []
    for extra in (0, 3):
        now = out[: pending + extra]
        taken = set(proposer.taken) | {space.key(p) for p in now}
        began = time.perf_counter()
        wide = proposer.with_quick_prepared(now).prepared
        wide_s = time.perf_counter() - began
        began = time.perf_counter()
        narrow = _first_free(space, proposer.candidates(now, under_lock=True), taken)
        narrow_s = time.perf_counter() - began
        assert wide is not None and narrow is not None
        scores = proposer._surface(now).score(
            np.vstack([encode(space, wide), encode(space, narrow)])
        )
        rows.append(
            {
                "problem": problem.name,
                "n": n,
                "pending": pending + extra,
                "seed": seed,
                "gap": float(scores[0] - scores[1]),
                "wide_ms": wide_s * 1e3,
                "narrow_ms": narrow_s * 1e3,
            }
        )
    return rows


def run(sizes: list[int], pending: list[int], seeds: int) -> list[dict[str, Any]]:
    """Every (problem, size, pending, seed) instance."""
    problems = [throughput_problem()] + [gp_suite_problems.PROBLEMS[name] for name in SUITE]
    rows: list[dict[str, Any]] = []
    for problem in problems:
        for n in sizes:
            for k in pending:
                for seed in range(seeds):
                    rows += compare(problem, n, k, seed)
            print(problem.name, n, flush=True)
    return rows


def render(record: dict[str, Any]) -> str:
    """The Markdown section: per problem and size, how often the narrow search is level."""
    rows = record["rows"]
    lines = [
        "# The shortlist search under the study lock against the wider climb",
        "",
        f"Measured {record['date']} on {record['machine']}, commit {record['commit']}. "
        "Produced by `bench/gp_lock_search.py`.",
        "",
        "A big study climbs the acquisition from its base model's shortlist: outside the lock "
        "widely (6 starts, up to 50 L-BFGS-B iterations), under the lock narrowly (2 starts, "
        "25 iterations). A busy study (8 or more pending trials) searches only under the lock, "
        "narrowly. Per instance both searches run on the same believed acquisition surface; "
        "'gap' is the wide search's log acquisition minus the narrow one's at their proposals "
        f"(level: below {TIE:g}). Instances: {record['args']['seeds']} seeds x pending "
        f"{record['args']['pending']} (and 3 more) per problem and size; half the observations "
        "uniform, half near the best ten. Times: one process, nothing else running.",
        "",
        "| problem | observations | instances | level | narrow better | worst gap "
        "| wide ms (median) | narrow ms (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    keys = sorted({(r["problem"], r["n"]) for r in rows}, key=lambda k: (k[0], k[1]))
    for problem, n in keys:
        mine = [r for r in rows if (r["problem"], r["n"]) == (problem, n)]
        gaps = np.array([r["gap"] for r in mine])
        lines.append(
            f"| {problem} | {n} | {len(mine)} | {int((gaps < TIE).sum())} "
            f"| {int((gaps < -TIE).sum())} | {gaps.max():.3g} "
            f"| {np.median([r['wide_ms'] for r in mine]):.1f} "
            f"| {np.median([r['narrow_ms'] for r in mine]):.1f} |"
        )
    busy = [r for r in rows if r["pending"] >= 8]
    level = sum(r["gap"] < TIE for r in busy)
    worst = max(r["gap"] for r in busy)
    lines += [
        "",
        f"Busy instances (8+ pending): the narrow search is level in {level} of {len(busy)}; "
        f"its worst gap is {worst:.3g} (an acquisition {1 - np.exp(-worst):.0%} lower).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every instance, store the record, write the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int_list, default=[300, 600, 1000])
    parser.add_argument("--pending", type=int_list, default=[2, 16])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    if not args.render_only:
        record = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": describe(),
            "commit": commit(),
            "args": {"sizes": args.sizes, "pending": args.pending, "seeds": args.seeds},
            "rows": run(args.sizes, args.pending, args.seeds),
        }
        RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    OUT.write_text(render(json.loads(RESULTS.read_text())))


if __name__ == "__main__":
    main()
