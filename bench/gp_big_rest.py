"""Big studies (issue 13): gp suggestion latency through REST at 1,000-10,000 observations.

Usage: .venv/bin/python bench/gp_big_rest.py [--sizes 1000 2000 5000 10000] [--cycles 8]
           [--server-workers N]

One 6-D Hartmann study (bench/gp_rest.py's, strategy gp with its defaults) on a SQLite file,
driven through the Flask app's in-process WSGI client, so a suggestion includes the JSON
round trip and the database snapshot, lock and write. The study is filled with Sobol points
(`POST .../trials` with a value) up to each size, then suggest + report cycles are timed at
the client (the suggestion request only): at least ``cycles``, and on until the history has
passed the next checkpoint of the shared base model (gp/shared.py), so the timed cycles
include one where a new base comes into use. The first cycle after a bulk fill builds its
base model itself (nothing was prefetched while the fill bypassed the strategy); later ones
use the base the background build prepared. Writes bench/results/gp_big_rest.json and
docs/benchmarks/gp_big_rest.md, then rebuilds docs/BENCHMARKS.md.

``--server-workers N``: the same study on PostgreSQL through HTTP, served by ``hpo serve
--workers N`` (gunicorn, N processes, 4 threads each), one client. Each process builds and
extends its own base models, and their background work shares the machine's memory bus;
the first cycle each process answers builds its base. Writes
bench/results/gp_big_rest_processes.json, shown as a second table of the same doc.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks_doc
import gp_rest
import httpx
from machine import commit, describe

from hpo_service.api import create_app
from hpo_service.optimisation.gp import shared

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gp_big_rest.json"
PROCESS_RESULTS = ROOT / "bench" / "results" / "gp_big_rest_processes.json"
DOC = ROOT / "docs" / "benchmarks" / "gp_big_rest.md"
TARGETS = {5000: 0.5, 10000: 1.0}  # issue 13: seconds per suggestion through REST


def measure(sizes: list[int], cycles: int) -> list[dict[str, object]]:
    """One row per size: fill time and the suggestion latencies of ``cycles`` cycles, in
    this process (the Flask app's WSGI client on SQLite)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/big.db", "AUTO_UPGRADE": True})
        return _cycles(app.test_client(), sizes, cycles)


def measure_processes(sizes: list[int], cycles: int, workers: int) -> list[dict[str, object]]:
    """``measure`` against ``hpo serve --workers workers`` on PostgreSQL, through HTTP."""
    from scale_throughput import postgres_database, service

    with (
        postgres_database("gp_big_rest") as url,
        service(url, workers, 4) as server,
        # a connection per request, so that the kernel hands requests to any process (over
        # one kept-alive connection a single gunicorn process would answer them all)
        httpx.Client(
            base_url=server.url, timeout=600, limits=httpx.Limits(max_keepalive_connections=0)
        ) as http,
    ):
        return _cycles(_HttpClient(http), sizes, cycles)


class _HttpClient:
    """The two calls gp_rest's helpers make of a Flask test client, over HTTP."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def post(self, path: str, json: object) -> _HttpResponse:
        return _HttpResponse(self.http.post(path, json=json))


class _HttpResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self._response = response

    def get_json(self) -> object:
        return self._response.json()


def _cycles(client: object, sizes: list[int], cycles: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    gp_rest._study(client, "big")
    have = 0
    for n in sizes:
        start = time.perf_counter()
        gp_rest._add_observations(client, "big", have, n)
        fill = time.perf_counter() - start
        crossing = shared.checkpoint(n) + shared.step(n) - n + 4  # past the next checkpoint
        count = max(cycles, crossing)
        seconds = [gp_rest._suggest_and_report(client, "big") for _ in range(count)]
        have = n + count
        rows.append({"observations": n, "fill_seconds": fill, "seconds": seconds})
        print(n, [round(s, 2) for s in seconds], flush=True)
    return rows


def write_doc(data: dict[str, object]) -> None:
    """docs/benchmarks/gp_big_rest.md from the results files."""
    load = ", ".join(str(x) for x in data["load_at_start"])  # type: ignore[attr-defined]
    lines = [
        "# Big studies: gp suggestion latency through REST",
        "",
        f"Measured {data['date']} on {data['machine']} (load average {load} at the start), "
        f"commit {data['commit']}. Script: `bench/gp_big_rest.py`.",
        "",
        "One 6-D Hartmann study, strategy gp with its defaults, SQLite, the Flask app through "
        "its in-process WSGI client (JSON, snapshot, lock and write included, no network). "
        "Filled with Sobol points up to each size, then suggest + report cycles, the "
        "suggestion timed, on until the history has passed the next checkpoint of the shared "
        "base model (so a new base comes into use among the timed cycles). The first cycle "
        "after a bulk fill builds its base model itself (a fill bypasses the strategy, so "
        "nothing was prepared in the background); the others use the base built in the "
        "background and condition it on the observations since. Target met: the median and "
        "the max of the rest both within it.",
        "",
        *_table(data["rows"], 1),  # type: ignore[arg-type]
    ]
    lines += ["", *data.get("notes", [])]  # type: ignore[attr-defined]
    if PROCESS_RESULTS.exists():
        procs = json.loads(PROCESS_RESULTS.read_text())
        workers = int(procs["server_workers"])
        lines += [
            "",
            f"## Served by {workers} processes",
            "",
            f"Measured {procs['date']} on {procs['machine']} (load average "
            f"{', '.join(str(x) for x in procs['load_at_start'])} at the start), commit "
            f"{procs['commit']}: `bench/gp_big_rest.py --server-workers {workers}`. The same "
            f"study and cycles on PostgreSQL through HTTP, served by `hpo serve --workers "
            f"{workers}` (gunicorn, 4 threads each), one client. Each process builds and "
            "extends its own base models (only the hyperparameters are shared): each builds "
            "one at the first cycle it answers after the fill, and the client cannot tell "
            f"which process answered, so the {workers} slowest cycles are shown apart as the "
            "builds. A connection per request, so "
            "that the kernel hands requests to either process. Their background work shares "
            "the memory bus.",
            "",
            *_table(procs["rows"], workers),
            "",
            *procs.get("notes", []),
        ]
    DOC.write_text("\n".join(lines).rstrip() + "\n")
    benchmarks_doc.main()


def _table(rows: list[dict[str, Any]], processes: int) -> list[str]:
    """Rows of latencies: the cycles that built a base model after the bulk fill, then the
    rest. One process builds at the first cycle; each of several builds at the first cycle
    it answers, which the client cannot see, so there the ``processes`` slowest cycles are
    taken as the builds (the doc gives their times)."""
    label = "first s" if processes == 1 else f"the {processes} slowest s"
    lines = [
        f"| observations | cycles | {label} | median of the rest s | p95 of the rest s "
        "| max of the rest s | target s | met |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        seconds = row["seconds"]
        order = sorted(range(len(seconds)), key=lambda i: -seconds[i])
        builds = [0] if processes == 1 else sorted(order[:processes])
        rest = [t for i, t in enumerate(seconds) if i not in builds] or seconds
        median, worst = statistics.median(rest), max(rest)
        p95 = statistics.quantiles(rest, n=20, method="inclusive")[-1] if len(rest) > 1 else rest[0]
        target = TARGETS.get(row["observations"])
        met = "-" if target is None else ("met" if worst <= target else "**missed**")
        target_text = "-" if target is None else f"{target:g}"
        shown = ", ".join(f"{seconds[i]:.2f} (cycle {i + 1})" for i in builds)
        if processes == 1:
            shown = f"{seconds[0]:.2f}"
        lines.append(
            f"| {row['observations']} | {len(seconds)} | {shown} | "
            f"{median:.2f} | {p95:.2f} | {worst:.2f} | {target_text} | {met} |"
        )
    return lines


def main() -> None:
    """Measure, save, write the doc."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000])
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--report", action="store_true", help="rewrite the doc only")
    parser.add_argument("--server-workers", type=int, help="hpo serve --workers N, over HTTP")
    args = parser.parse_args()
    if args.report:
        write_doc(json.loads(RESULTS.read_text()))
        return
    path = RESULTS if args.server_workers is None else PROCESS_RESULTS
    data: dict[str, object] = {
        "machine": describe(),
        "date": datetime.date.today().isoformat(),
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": commit(),
    }
    if args.server_workers is None:
        data["rows"] = measure(args.sizes, args.cycles)
    else:
        data["server_workers"] = args.server_workers
        data["rows"] = measure_processes(args.sizes, args.cycles, args.server_workers)
    previous = json.loads(path.read_text()) if path.exists() else {}
    data["notes"] = previous.get("notes", [])
    path.write_text(json.dumps(data, indent=1) + "\n")
    write_doc(json.loads(RESULTS.read_text()))


if __name__ == "__main__":
    main()
