"""CPU cost of one GP suggestion at 300-1000 observations: shared base model vs a refit.

In one process, no HTTP or database: a live study is imitated by adding one observation
per step and preparing + proposing with 16 pending trials (the 16 most recent
configurations), as the service does per suggest (``prepare`` outside the lock, ``propose``
under it with a pending set that changed meanwhile). "refit" is the engine before
gp/shared.py (``SHARE_FROM`` raised above n), "shared" the default. Used by
bench/scale_out.py (part ``gpcost``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scale_throughput import SPACE, seed_configs

from hpo_service.domain import History, Observation
from hpo_service.optimisation import build_strategy
from hpo_service.optimisation.gp import config, shared, surrogate
from hpo_service.optimisation.gp.threads import limit_blas_threads
from hpo_service.wire import space_from_json

STEPS = 40


def _observations(count: int) -> list[Observation]:
    return [Observation(t["params"], t["value"]) for t in seed_configs(count, seed=11)]


def _steps(n: int, share: bool) -> tuple[list[float], list[float]]:
    """Seconds of prepare and of propose (changed pending) for STEPS live-study steps."""
    space = space_from_json(SPACE)
    strategy = build_strategy(config.normalise({"name": "gp"}, space))
    pool = _observations(n + STEPS + 17)
    saved = shared.SHARE_FROM
    shared.SHARE_FROM = saved if share else 10**9
    surrogate.clear_cache()
    shared.clear_cache()
    prepares, proposes = [], []
    try:
        for step in range(STEPS):
            done = n + step
            pending = tuple(o.params for o in pool[done : done + 16])
            history = History(completed=tuple(pool[:done]), pending=pending)
            began = time.perf_counter()
            proposer = strategy.prepare(space, history, 3)
            middle = time.perf_counter()
            proposer.propose([*pending, pool[done + 16].params], 1)
            prepares.append(middle - began)
            proposes.append(time.perf_counter() - middle)
    finally:
        shared.SHARE_FROM = saved
    return prepares, proposes


def run(sizes: list[int]) -> list[dict[str, Any]]:
    """Median, p90 and mean costs per size and engine."""
    limit_blas_threads()
    rows = []
    for n in sizes:
        for share in (False, True):
            prepares, proposes = _steps(n, share)
            total = np.add(prepares, proposes)
            row = {
                "observations": n,
                "engine": "shared base model" if share else "refit every suggestion",
                "prepare_median_ms": round(1000 * float(np.median(prepares)), 1),
                "propose_median_ms": round(1000 * float(np.median(proposes)), 1),
                "total_median_ms": round(1000 * float(np.median(total)), 1),
                "total_p90_ms": round(1000 * float(np.quantile(total, 0.9)), 1),
                "total_mean_ms": round(1000 * float(np.mean(total)), 1),
            }
            print(row, flush=True)
            rows.append(row)
    return rows
