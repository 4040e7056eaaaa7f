"""REST suggestion latency of the gp strategy with 2 and 3 objectives, a real `hpo serve`.

Usage: .venv/bin/python bench/multi_objective_latency.py [--sizes 100 500] [--repeats 20]

For each number of objectives (DTLZ2 with d = 5 and 2 or 3 objectives, bench/mo_problems.py)
one study is filled with Sobol points through `POST .../trials` with `values`; at each size
``repeats`` suggestions are timed at the client (`POST .../suggestions`, one HTTP round
trip: snapshot, fit of one GP per objective, EHVI maximisation, the locked hand-out), each
reported before the next, so the history grows by ``repeats`` during a cell. The server is
`hpo serve` (built-in threaded server) on a SQLite file. Results go to
bench/results/multi_objective/latency.json; `bench/multi_objective.py report` writes them
into docs/benchmarks/multi_objective.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import describe
from mo_problems import PROBLEMS, dtlz2_values

from hpo_service.optimisation.encoding import decode
from hpo_service.optimisation.random_search import sobol_points
from tests.servers import ServerProcess

RESULTS = Path(__file__).resolve().parent / "results" / "multi_objective" / "latency.json"
D = 5


def _values(params: dict[str, float], m: int) -> dict[str, float]:
    f = dtlz2_values(np.array([params[f"x{i}"] for i in range(D)]), m)
    return {f"f{i}": float(v) for i, v in enumerate(f)}


def _create(http: httpx.Client, name: str, m: int) -> None:
    body = {
        "name": name,
        "space": [{"name": f"x{i}", "type": "float", "low": 0.0, "high": 1.0} for i in range(D)],
        "objectives": [{"name": f"f{i}", "direction": "minimize"} for i in range(m)],
        "strategy": {"name": "gp", "seed": 1},
        "max_trials": 100_000,
    }
    response = http.post("/api/v1/studies", json=body)
    response.raise_for_status()


def _fill(http: httpx.Client, name: str, m: int, start: int, stop: int) -> None:
    space = PROBLEMS["dtlz2"].space
    for point in sobol_points(D, 7, start, stop - start):
        params = decode(space, point)
        body = {"params": params, "values": _values(params, m)}  # type: ignore[arg-type]
        http.post(f"/api/v1/studies/{name}/trials", json=body).raise_for_status()


def _timed_suggestion(http: httpx.Client, name: str, m: int) -> float:
    start = time.perf_counter()
    response = http.post(f"/api/v1/studies/{name}/suggestions", json={"count": 1})
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    trial = response.json()["trials"][0]
    report = {"values": _values(trial["params"], m)}
    http.post(f"/api/v1/studies/{name}/trials/{trial['number']}/report", json=report)
    return elapsed


def measure(base: str, sizes: list[int], repeats: int) -> list[dict[str, object]]:
    """One row per (objectives, size): median and p95 of the timed suggestions (ms)."""
    rows: list[dict[str, object]] = []
    with httpx.Client(base_url=base, timeout=600) as http:
        for m in (2, 3):
            name = f"latency-{m}"
            _create(http, name, m)
            have = 0
            for size in sizes:
                _fill(http, name, m, have, size)
                have = size
                times = [_timed_suggestion(http, name, m) for _ in range(repeats)]
                have += repeats  # those reports are observations too (Sobol skips them)
                ms = np.array(times) * 1000.0
                rows.append(
                    {
                        "objectives": m,
                        "observations": size,
                        "suggestions": repeats,
                        "median_ms": float(np.median(ms)),
                        "p95_ms": float(np.percentile(ms, 95)),
                        "max_ms": float(ms.max()),
                    }
                )
                print(rows[-1], flush=True)
    return rows


def main() -> None:
    """Serve, measure, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    load = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(f"sqlite:///{tmp}/latency.db").start()
        try:
            rows = measure(server.url, args.sizes, args.repeats)
        finally:
            server.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "rows": rows,
        "machine": describe(),
        "date": datetime.date.today().isoformat(),
        "load_at_start": load,
        "nice": os.nice(0),
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
