"""Request threads per service process against cycles/s of one busy study (hpo serve --threads).

The scale-out throughput cells (bench/scale_throughput.py: N worker processes, trivial
objective, one study on PostgreSQL) for a few ``--threads`` values of ``hpo serve
--workers 2``, in alternating rounds so that a drift of the shared machine hits every
setting alike. Each round starts a fresh server and a fresh database per setting. Both
loops: two requests per cycle, and report+next (one). The GP study starts from
``--observations`` complete trials. Writes bench/results/server_threads.json and
docs/benchmarks/server_threads.md.

    nice -n 5 .venv/bin/python bench/server_threads.py [--threads 1,2,4] [--rounds 2]
        [--processes 32] [--strategies gp,random] [--seconds 20]
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


def render(record: dict[str, Any]) -> str:
    """The Markdown section: median and range of the rounds per setting."""
    args = record["args"]
    lines = [
        "# Request threads per service process (one busy study)",
        "",
        f"Measured {record['date']} on {record['machine']}, commit {record['commit']}; load "
        f"average {record['load_start']} at the start. Produced by `bench/server_threads.py`.",
        "",
        f"The scale-out throughput cell ({args['processes']} worker processes on one study, "
        "trivial objective, PostgreSQL; see the scale-out section) served by "
        f"`hpo serve --workers {args['workers']} --threads T`, {args['rounds']} rounds "
        "alternating the settings, a fresh server and database each time, "
        f"{args['seconds']:g} s per cell. GP studies start from {args['observations']} "
        "complete trials. Cycles/s: median of the rounds (min-max).",
        "",
        "| strategy | loop | " + " | ".join(f"T = {t}" for t in args["threads"]) + " |",
        "|---|---|" + "---:|" * len(args["threads"]),
    ]
    rows = record["result"]
    for strategy in args["strategies"]:
        for loop in LOOPS.values():
            cells = []
            for threads in args["threads"]:
                rates = [
                    r["rate"]
                    for r in rows
                    if (r["strategy"], r["loop"], r["threads"]) == (strategy, loop, threads)
                ]
                cells.append(
                    f"{statistics.median(rates):.1f} ({min(rates):.1f}-{max(rates):.1f})"
                    if rates
                    else "-"
                )
            lines.append(f"| {strategy} | {loop} | " + " | ".join(cells) + " |")
    errors = sum(r["errors"] for r in rows)
    lines += ["", f"Failed requests over all cells: {errors}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure every setting in alternating rounds, store the record, write the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int_list, default=[1, 2, 4])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--processes", type=int, default=32)
    parser.add_argument("--strategies", default="gp,random")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--observations", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="service processes")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    if args.render_only:
        OUT.write_text(render(json.loads(RESULTS.read_text())))
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
            for threads in args.threads:
                record["result"] += measure(
                    threads, strategy, args.processes, args.seconds, args.workers
                )
    del record["args"]["render_only"]
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    OUT.write_text(render(record))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
