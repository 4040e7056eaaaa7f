"""Big studies (issue 13): gp suggestion latency through REST at 1,000-10,000 observations.

Usage: .venv/bin/python bench/gp_big_rest.py [--sizes 1000 2000 5000 10000] [--cycles 8]

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks_doc
import gp_rest
from machine import commit, describe

from hpo_service.api import create_app
from hpo_service.optimisation.gp import shared

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gp_big_rest.json"
DOC = ROOT / "docs" / "benchmarks" / "gp_big_rest.md"
TARGETS = {5000: 0.5, 10000: 1.0}  # issue 13: seconds per suggestion through REST


def measure(sizes: list[int], cycles: int) -> list[dict[str, object]]:
    """One row per size: fill time and the suggestion latencies of ``cycles`` cycles."""
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/big.db", "AUTO_UPGRADE": True})
        client = app.test_client()
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
    """docs/benchmarks/gp_big_rest.md from the results file."""
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
        "| observations | cycles | first s | median of the rest s | p95 of the rest s | "
        "max of the rest s | target s | met |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in data["rows"]:  # type: ignore[attr-defined]
        seconds = row["seconds"]
        rest = seconds[1:] or seconds
        median, worst = statistics.median(rest), max(rest)
        p95 = statistics.quantiles(rest, n=20)[-1] if len(rest) > 1 else rest[0]
        target = TARGETS.get(row["observations"])
        met = "-" if target is None else ("met" if worst <= target else "**missed**")
        target_text = "-" if target is None else f"{target:g}"
        lines.append(
            f"| {row['observations']} | {len(seconds)} | {seconds[0]:.2f} | {median:.2f} | "
            f"{p95:.2f} | {worst:.2f} | {target_text} | {met} |"
        )
    lines += ["", *data.get("notes", []), ""]  # type: ignore[attr-defined]
    DOC.write_text("\n".join(lines).rstrip() + "\n")
    benchmarks_doc.main()


def main() -> None:
    """Measure, save, write the doc."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000])
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--report", action="store_true", help="rewrite the doc only")
    args = parser.parse_args()
    if args.report:
        write_doc(json.loads(RESULTS.read_text()))
        return
    data: dict[str, object] = {
        "machine": describe(),
        "date": datetime.date.today().isoformat(),
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": commit(),
    }
    data["rows"] = measure(args.sizes, args.cycles)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data["notes"] = previous.get("notes", [])
    RESULTS.write_text(json.dumps(data, indent=1) + "\n")
    write_doc(data)


if __name__ == "__main__":
    main()
