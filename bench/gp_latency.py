"""Latency of one gp suggestion (strategy alone) against the number of observations, 6-D."""

from __future__ import annotations

import statistics
import time

from gp_problems import PROBLEMS

from hpo_service.domain import History, Observation
from hpo_service.optimisation.encoding import decode
from hpo_service.optimisation.gp import GPFactory
from hpo_service.optimisation.gp.surrogate import clear_cache
from hpo_service.optimisation.random_search import sobol_points


def _history(n: int) -> History:
    problem = PROBLEMS["hartmann6"]
    points = sobol_points(6, 7, 0, n)
    configs = [decode(problem.space, p) for p in points]
    return History(completed=tuple(Observation(c, -problem(c)) for c in configs))


def _time_one(n: int, warm: bool) -> dict[str, float]:
    space = PROBLEMS["hartmann6"].space
    strategy = GPFactory().build(GPFactory().normalise({"name": "gp"}, space))
    history = _history(n)
    clear_cache()
    if warm:  # the previous suggestion's fit (n - 1 observations) is in the cache
        strategy.prepare(space, History(completed=history.completed[:-1]), 1)
    start = time.perf_counter()
    proposer = strategy.prepare(space, history, 1)
    prepared = time.perf_counter()
    first = proposer.propose([], 1)[0]
    locked = time.perf_counter()
    proposer.propose([first], 1)  # a pending trial that arrived after the snapshot
    conditioned = time.perf_counter()
    return {
        "total": locked - start,
        "prepare": prepared - start,
        "propose": locked - prepared,
        "propose_new_pending": conditioned - locked,
    }


def latency_rows(sizes: tuple[int, ...], repeats: int) -> list[dict[str, object]]:
    """Median timings per size, cold (empty cache) and warm (previous fit cached)."""
    rows: list[dict[str, object]] = []
    for n in sizes:
        for warm in (False, True):
            runs = [_time_one(n, warm) for _ in range(repeats)]
            row: dict[str, object] = {"section": "latency", "n": n, "warm": warm}
            for key in runs[0]:
                row[key] = statistics.median(r[key] for r in runs)
            rows.append(row)
    return rows
