"""Scale-out figures (issue 11), side by side in one run; writes docs/benchmarks/scale_out.md.

Parts (``--parts``, comma-separated; default all):

- ``throughput``: cycles/s and suggest latency of 1, 8, 32, 128 worker processes on one
  study on PostgreSQL, random and GP, against Optuna's RDB storage (bench/scale_throughput.py);
- ``async``: 1,000 simulated workers in one process (asyncio + httpx.AsyncClient) with trial
  durations drawn from 1-30 s (times ``--time-scale``) on one GP study (bench/scale_async.py);
- ``faults``: faults under load with acknowledged reports checked against the database
  (bench/scale_faults.py);
- ``cpu``: where a cycle's time goes at 32 processes (``--cpu-processes``): CPU per cycle
  of the server, PostgreSQL and the rest, how busy the cores were, and how long the study
  lock is held and on what (bench/scale_cpu.py).

Each part stores its results in bench/results/scale_out/<part>.json (with date, machine and
load average), and the Markdown is rendered from every stored part, so one part can be
re-measured without the others. Run under ``nice -n 5`` on a shared machine:

    nice -n 5 .venv/bin/python bench/scale_out.py [--parts throughput] [--seconds 20]
        [--processes 1,8,32,128] [--strategies random,gp] [--observations 500]
        [--server-workers 2] [--server-threads 1]
        [--workers 1000] [--time-scale 1.0]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from machine import describe, int_list  # noqa: E402
from scale_report import render  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scale_out"
OUT = ROOT / "docs" / "benchmarks" / "scale_out.md"


def _measure(part: str, args: argparse.Namespace) -> Any:
    if part == "throughput":
        import scale_throughput

        return scale_throughput.run(
            args.processes,
            args.strategies.split(","),
            args.seconds,
            args.observations,
            args.server_workers,
            args.server_threads,
            args.rounds,
        )
    if part == "async":
        import scale_async

        return scale_async.run(args.workers, args.time_scale, args.async_seconds, args.observations)
    if part == "faults":
        import scale_faults

        return scale_faults.run(args.fault_seconds, args.faults.split(","))
    if part == "cpu":
        import scale_cpu

        return scale_cpu.run(
            args.cpu_processes,
            args.seconds,
            args.observations,
            args.server_workers,
            args.server_threads,
            args.rounds,
        )
    if part == "gpcost":
        import scale_gpcost

        return scale_gpcost.run([300, 500, 1000])
    raise SystemExit(f"unknown part {part!r}: choose throughput, cpu, async, faults or gpcost")


def main() -> None:
    """Measure the chosen parts, store them, and rewrite the Markdown from every stored part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="throughput,cpu,async,faults,gpcost")
    parser.add_argument("--seconds", type=float, default=20.0, help="per throughput cell")
    parser.add_argument(
        "--rounds", type=int, default=3, help="throughput cells per system (medians shown)"
    )
    parser.add_argument("--processes", type=int_list, default=[1, 8, 32, 128])
    parser.add_argument("--strategies", default="random,gp")
    parser.add_argument("--cpu-processes", type=int, default=32, help="worker processes (cpu)")
    parser.add_argument("--observations", type=int, default=500)
    parser.add_argument(
        "--server-workers", type=int, default=2, help="gunicorn processes (hpo serve --workers)"
    )
    parser.add_argument(
        "--server-threads", type=int, default=1, help="threads per process (hpo serve --threads)"
    )
    parser.add_argument("--workers", type=int, default=1000, help="simulated async workers")
    parser.add_argument("--time-scale", type=float, default=1.0, help="x trial durations")
    parser.add_argument("--async-seconds", type=float, default=60.0)
    parser.add_argument("--fault-seconds", type=float, default=20.0)
    parser.add_argument(
        "--faults", default="kill-instance,terminate-backends,dask-worker,restart,freeze-instance"
    )
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.render_only:
        for part in args.parts.split(","):
            started = datetime.datetime.now(datetime.UTC)
            load = os.getloadavg()
            result = _measure(part, args)
            record = {
                "part": part,
                "date": started.strftime("%Y-%m-%d %H:%M UTC"),
                "machine": describe(),
                "load_start": [round(x, 2) for x in load],
                "load_end": [round(x, 2) for x in os.getloadavg()],
                "args": {k: v for k, v in vars(args).items() if k != "render_only"},
                "result": result,
            }
            (RESULTS / f"{part}.json").write_text(json.dumps(record, indent=1) + "\n")
    stored = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))}
    OUT.write_text(render(stored))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
