"""Cost of one intermediate report as the trial's learning curve grows (epochs 0 to 499).

A trainer reports every epoch, so a report whose cost grows with the curve makes a trial's
reports cost O(epochs^2). A study is filled in bulk with ``--trials`` complete trials of
``--epochs`` points (the end of a real study), then served by a real server process
(built-in threaded server on SQLite; gunicorn on PostgreSQL) with the median rule; one
client takes ``--reporting`` new trials one after the other and reports every epoch of each
(keeping on when told to stop), each round trip timed. Medians per band of 100 epochs, and
the seconds a whole trial's reports took. ``--label`` names the code measured, so runs of two
revisions (a worktree of the older one, this script copied in) sit side by side:

    .venv/bin/python bench/curve_growth.py --label "after (HEAD)"
    .venv/bin/python bench/curve_growth.py report     (writes docs/benchmarks/curve_growth.md)

One JSON file per label under bench/results/curve_growth/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import commit, describe
from pruning_latency import NAME, fill, postgres, report_trial

from hpo_service.persistence.migrate import upgrade
from tests.servers import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "curve_growth"
DOC = ROOT / "docs" / "benchmarks" / "curve_growth.md"
BAND = 100
PRUNER = {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 10}


def report_times(base: str, epochs: int) -> list[float]:
    """Take one new trial, report every epoch (each round trip timed), then its value."""
    times: list[float] = []
    report_trial(base, epochs, times, [])
    return times


def run_backend(url: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """Fill, serve and measure one backend: per-epoch latencies of every trial."""
    upgrade(url)
    fill(url, args.trials, args.epochs)
    server = ServerProcess(url, workers=workers).start()
    try:
        httpx.patch(
            f"{server.url}/api/v1/studies/{NAME}", json={"pruner": PRUNER}, timeout=30
        ).raise_for_status()
        runs = [report_times(server.url, args.epochs) for _ in range(args.reporting)]
    finally:
        server.stop()
    bands = [
        statistics.median(t for run in runs for t in run[start : start + BAND]) * 1000
        for start in range(0, args.epochs, BAND)
    ]
    return {
        "bands_ms": [round(b, 2) for b in bands],
        "trial_seconds": [round(sum(run), 2) for run in runs],
    }


def run(args: argparse.Namespace) -> None:
    """Measure both backends for this checkout; save bench/results/curve_growth/<label>.json."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = run_backend(f"sqlite:///{tmp}/b.db", 0, args)
    with postgres() as url:
        pg = run_backend(url, args.gunicorn, args)
    result = {
        "label": args.label,
        "revision": commit(),
        "date": datetime.date.today().isoformat(),
        "started": started,
        "machine": describe(),
        "load": load,
        "trials": args.trials,
        "epochs": args.epochs,
        "reporting": args.reporting,
        "gunicorn": args.gunicorn,
        "backends": {"SQLite, built-in threaded server": sqlite,
                     f"PostgreSQL, gunicorn {args.gunicorn} workers": pg},
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "-" for c in args.label).strip("-")
    (RESULTS / f"{slug}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


def report() -> str:
    """docs/benchmarks/curve_growth.md from every stored label."""
    runs = [json.loads(f.read_text()) for f in RESULTS.glob("*.json")]
    runs.sort(key=lambda r: r["started"])  # in the order they ran
    if not runs:
        raise SystemExit(f"no results in {RESULTS}: run the benchmark first")
    first = runs[0]
    epochs = first["epochs"]
    heads = [f"epochs {s}-{min(s + BAND, epochs) - 1}" for s in range(0, epochs, BAND)]
    lines = [
        "# Intermediate reports as the learning curve grows",
        "",
        f"Measured {', '.join(sorted({r['date'] for r in runs}))} on {first['machine']} by "
        "`bench/curve_growth.py`. A study of "
        f"{first['trials']} complete trials x {epochs} epochs (filled in bulk), the median "
        "rule (5 startup trials, 10 warm-up steps); one client takes "
        f"{first['reporting']} new trials one after the other and reports each of their "
        f"{epochs} epochs over REST (`POST .../intermediate`, timed at the client), going on "
        "when told to stop. Median milliseconds per report in each band of epochs; the last "
        "column is what a whole trial's reports took (seconds, per trial). Rows in the order "
        "they ran (UTC start time); compare rows run close together.",
        "",
        "| code | backend | " + " | ".join(heads) + " | one trial's reports, s |",
        "|---|---|" + "---:|" * (len(heads) + 1),
    ]
    for run_ in runs:
        code = (
            f"{run_['label']} ({run_['revision']}, {run_['started'][11:16]}, load {run_['load']})"
        )
        for backend, cells in run_["backends"].items():
            bands = " | ".join(f"{b:.1f}" for b in cells["bands_ms"])
            seconds = ", ".join(f"{s:.1f}" for s in cells["trial_seconds"])
            lines.append(f"| {code} | {backend} | {bands} | {seconds} |")
    text = "\n".join(lines) + "\n"
    DOC.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "report"])
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--reporting", type=int, default=3, help="trials reported, in turn")
    parser.add_argument("--gunicorn", type=int, default=2, help="gunicorn workers (PostgreSQL)")
    args = parser.parse_args()
    if args.command == "report":
        print(report())
    else:
        run(args)


if __name__ == "__main__":
    main()
