"""Service processes and request threads against cycles/s of one busy study.

The scale-out throughput cells (bench/scale_throughput.py: N worker processes, trivial
objective, one study on PostgreSQL) for a few ``--workers`` and ``--threads`` values of
``hpo serve``, in alternating rounds so that a drift of the shared machine hits every
setting alike. Each round starts a fresh server and a fresh database per setting. Both
loops: two requests per cycle, and report+next (one). The GP study starts from
``--observations`` complete trials. Each run is one record of
bench/results/server_threads.json (a run replaces the record of the same settings) and one
table of docs/benchmarks/server_threads.md.

    nice -n 5 .venv/bin/python bench/server_threads.py [--workers 2] [--threads 1,2,4]
        [--rounds 2] [--processes 32] [--strategies gp,random] [--seconds 20]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scale_throughput  # noqa: E402
from machine import commit, describe, int_list  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "server_threads.json"
OUT = ROOT / "docs" / "benchmarks" / "server_threads.md"
LOOPS = {False: "2 requests", True: "report+next"}


def measure(
    threads: int, strategy: str, processes: int, seconds: float, workers: int
) -> list[dict[str, Any]]:
    """Both loops on a fresh server (``workers`` x ``threads``) and database."""
    rows = []
    with (
        scale_throughput.postgres_database("hpo_threads") as url,
        scale_throughput.service(url, workers, threads) as server,
    ):
        for ahead in (False, True):
            cell = scale_throughput.measure_hpo(server, strategy, processes, seconds, ahead)
            row = cell.as_dict()
            rows.append(
                {
                    "workers": workers,
                    "threads": threads,
                    "strategy": strategy,
                    "loop": LOOPS[ahead],
                    "rate": row["rate"],
                    "p99_ms": row["p99_ms"],
                    "errors": row["errors"],
                }
            )
            print(rows[-1], flush=True)
    return rows


def settings(record: dict[str, Any]) -> list[tuple[int, int]]:
    """The (workers, threads) settings of a run, in the order they were measured (a run
    before workers could vary stored one number)."""
    args = record["args"]
    workers = args["workers"] if isinstance(args["workers"], list) else [args["workers"]]
    return [(w, t) for w in workers for t in args["threads"]]


def render(records: list[dict[str, Any]]) -> str:
    """The Markdown page: per run, the median and range of its rounds per setting."""
    lines = ["# Service processes and request threads (one busy study)", ""]
    for record in records:
        lines += _table(record)
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(record: dict[str, Any]) -> list[str]:
    args = record["args"]
    pairs = settings(record)
    lines = [
        f"Measured {record['date']} on {record['machine']}, commit {record['commit']}; load "
        f"average {record['load_start']} at the start. Produced by `bench/server_threads.py`.",
        "",
        f"The scale-out throughput cell ({args['processes']} worker processes on one study, "
        "trivial objective, PostgreSQL; see the scale-out section) served by "
        "`hpo serve --workers W --threads T`, "
        f"{args['rounds']} rounds alternating the settings, a fresh server and database each "
        f"time, {args['seconds']:g} s per cell. GP studies start from {args['observations']} "
        "complete trials. Cycles/s: median of the rounds (min-max).",
        "",
        "| strategy | loop | " + " | ".join(f"W = {w}, T = {t}" for w, t in pairs) + " |",
        "|---|---|" + "---:|" * len(pairs),
    ]
    rows = record["result"]
    default_workers = pairs[0][0]  # rows of a run before workers could vary name none
    for strategy in args["strategies"]:
        for loop in LOOPS.values():
            cells = []
            for workers, threads in pairs:
                rates = [
                    r["rate"]
                    for r in rows
                    if (r["strategy"], r["loop"], r["threads"], r.get("workers", default_workers))
                    == (strategy, loop, threads, workers)
                ]
                cells.append(
                    f"{statistics.median(rates):.1f} ({min(rates):.1f}-{max(rates):.1f})"
                    if rates
                    else "-"
                )
            lines.append(f"| {strategy} | {loop} | " + " | ".join(cells) + " |")
    errors = sum(r["errors"] for r in rows)
    return [*lines, "", f"Failed requests over all cells: {errors}.", ""]


def stored() -> list[dict[str, Any]]:
    """The stored runs (a file from before runs were kept apart holds one)."""
    if not RESULTS.exists():
        return []
    data = json.loads(RESULTS.read_text())
    return data if isinstance(data, list) else [data]


def main() -> None:
    """Measure every setting in alternating rounds, store the record, write the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int_list, default=[1, 2, 4])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--processes", type=int, default=32)
    parser.add_argument("--strategies", default="gp,random")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--observations", type=int, default=500)
    parser.add_argument("--workers", type=int_list, default=[2], help="service processes")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    if args.render_only:
        OUT.write_text(render(stored()))
        return
    scale_throughput.OBSERVATIONS[0] = args.observations
    strategies = args.strategies.split(",")
    record: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": describe(),
        "commit": commit(),
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "args": {**vars(args), "strategies": strategies},
        "result": [],
    }
    for _ in range(args.rounds):
        for strategy in strategies:
            for workers, threads in settings(record):
                record["result"] += measure(
                    threads, strategy, args.processes, args.seconds, workers
                )
    del record["args"]["render_only"]
    same = settings(record), record["args"]["strategies"]
    records = [r for r in stored() if (settings(r), r["args"]["strategies"]) != same]
    RESULTS.write_text(json.dumps([*records, record], indent=1) + "\n")
    OUT.write_text(render([*records, record]))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
