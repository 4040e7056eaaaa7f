"""REST-level gp latency and 8-worker throughput, through the Flask app on a real SQLite file.

Run:  .venv/bin/python bench/gp_rest.py [--out docs/benchmarks/gp_rest.md]
The app comes from ``create_app`` and is driven through its in-process WSGI client, so every
suggestion includes the JSON decode/encode and the database read, lock and write.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gp_problems import PROBLEMS

from hpo_service.api import create_app
from hpo_service.optimisation.encoding import decode
from hpo_service.optimisation.random_search import sobol_points

PROBLEM = PROBLEMS["hartmann6"]
SPACE_JSON = [{"name": f"x{i}", "type": "float", "low": 0.0, "high": 1.0} for i in range(6)]


def study_body(name: str) -> dict[str, Any]:
    """A 6-D Hartmann gp study without a budget (shared with gp_concurrency.py)."""
    return {
        "name": name,
        "direction": "minimize",
        "metric": "hartmann6",
        "space": SPACE_JSON,
        "strategy": {"name": "gp", "seed": 1},
        "max_trials": 100_000,
    }


def _study(client: Any, name: str) -> None:
    body = study_body(name)
    response = client.post("/api/v1/studies", json=body)
    assert response.status_code in (200, 201), response.get_json()


def _add_observations(client: Any, name: str, start: int, stop: int) -> None:
    for point in sobol_points(6, 7, start, stop - start):
        params = decode(PROBLEM.space, point)
        body = {"params": params, "value": PROBLEM(params)}
        assert client.post(f"/api/v1/studies/{name}/trials", json=body).status_code == 201


def _suggest_and_report(client: Any, name: str) -> float:
    start = time.perf_counter()
    response = client.post(f"/api/v1/studies/{name}/suggestions", json={"count": 1})
    elapsed = time.perf_counter() - start
    trial = response.get_json()["trials"][0]
    value = PROBLEM(trial["params"])
    client.post(f"/api/v1/studies/{name}/trials/{trial['number']}/report", json={"value": value})
    return elapsed


def latency(app: Any, sizes: tuple[int, ...], repeats: int) -> list[tuple[int, float, float]]:
    """(observations, first suggestion after loading them, median of the next ``repeats``).

    The first suggestion after a jump in history fits the GP from a distant warm start (as
    after a restart); the following ones are the steady state of a live study, where each
    fit starts from the previous one.
    """
    client = app.test_client()
    _study(client, "latency")
    rows, have = [], 0
    for n in sizes:
        _add_observations(client, "latency", have, n)
        first = _suggest_and_report(client, "latency")
        times = [_suggest_and_report(client, "latency") for _ in range(repeats)]
        have = n + repeats + 1
        rows.append((n, first, statistics.median(times)))
        print(rows[-1], flush=True)
    return rows


def throughput(app: Any, workers: int, per_worker: int, start_with: int) -> tuple[float, int]:
    """Suggestions per second for one study with ``workers`` concurrent suggest/report loops."""
    client = app.test_client()
    _study(client, "throughput")
    _add_observations(client, "throughput", 0, start_with)
    done: list[float] = []

    def work() -> None:
        own = app.test_client()
        for _ in range(per_worker):
            done.append(_suggest_and_report(own, "throughput"))

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(done) / (time.perf_counter() - started), len(done)


def main() -> None:
    """Run both measurements and print a Markdown section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=None, help="append the Markdown section to this file")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="10,50,100,200,500,1000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "AUTO_UPGRADE": True})
        sizes = tuple(int(n) for n in args.sizes.split(","))
        rows = latency(app, sizes, args.repeats)
        rate, count = throughput(app, workers=8, per_worker=6, start_with=50)
    lines = [
        "## Latency of one suggestion through REST (POST /suggestions, SQLite, 6-D)",
        "",
        "| observations | first after loading them s | steady state (median) s |",
        "|---|---|---|",
    ]
    lines += [f"| {n} | {first:.3f} | {med:.3f} |" for n, first, med in rows]
    lines += [
        "",
        f"8 concurrent workers (threads, in-process WSGI, one study, 50 observations "
        f"at start): {rate:.1f} suggestions/s over {count} suggest+report cycles.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
