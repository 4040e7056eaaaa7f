"""What a worker's per-epoch reports cost it: sent in step with training, or pipelined.

A real server (``hpo serve`` on SQLite, or gunicorn on PostgreSQL) and two ``hpo-trainer``
worker processes on this machine, as in the tuned studies; the study's trials are all one
fixed configuration of a shipped problem (queued with ``enqueue``, no pruner), so both modes
train exactly the same epochs and only the reporting differs. Rounds alternate between the
modes. Per round: the study's wall time, and summed over its trials the worker's seconds
(``fit_seconds``) and of those the seconds spent in the per-epoch callback
(``report_seconds``: for pipelined reports, only the waits for a free slot).

    .venv/bin/python bench/report_pipeline.py [--rounds 3] [--trials 8] [--problem concrete]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import describe

from hpo_service.client import Client
from tests.servers import ServerProcess
from trainer.commands import create_problem_study, run_work
from trainer.objectives import get_problem
from trainer.worker import WorkerConfig

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks" / "report_pipeline.md"
RESULTS = ROOT / "bench" / "results" / "report_pipeline.json"
CONFIGS = {
    # mid-sized networks: an epoch of 5 folds x 2 networks takes tens of milliseconds
    "breast-cancer": {
        "input_transform": "standard", "n_layers": 1, "units_1": 32, "activation": "tanh",
        "learning_rate_init": 1e-3, "alpha": 0.3, "batch_size": 64, "ensemble": 2,
    },
    "concrete": {
        "input_transform": "standard", "n_layers": 2, "units_1": 64, "units_2": 32,
        "activation": "relu", "learning_rate_init": 3e-3, "alpha": 1e-3, "batch_size": 64,
        "ensemble": 2,
    },
}  # fmt: skip
MODES = {"in step": False, "pipelined": True}


def one_round(url: str, problem: str, trials: int, pipelined: bool, name: str) -> dict[str, Any]:
    """One study of ``trials`` copies of the problem's configuration, two workers."""
    with Client(url) as client:
        study = create_problem_study(
            client, get_problem(problem), name, {"name": "random", "seed": 0},
            max_trials=trials, lease_seconds=300,
        )  # fmt: skip
        for _ in range(trials):
            study.enqueue(CONFIGS[problem])
        config = WorkerConfig(
            server=url, study=name, problem=problem, max_iter=200, pipeline_reports=pipelined
        )
        started = time.perf_counter()
        run_work(client, config, 2, 0, progress=False)
        wall = time.perf_counter() - started
        done = list(study.trials())
    meta = [t.metadata for t in done]
    return {
        "wall_seconds": round(wall, 2),
        "fit_seconds": round(sum(m.get("fit_seconds", 0.0) for m in meta), 2),
        "report_seconds": round(sum(m.get("report_seconds", 0.0) for m in meta), 2),
        "reports": sum(len(t.intermediate) for t in done),
        "states": sorted({t.state.value for t in done}),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Alternate the modes for ``rounds`` rounds on one server."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(f"sqlite:///{tmp}/p.db", workers=0).start()
        try:
            for r in range(args.rounds):
                order = list(MODES.items()) if r % 2 == 0 else list(MODES.items())[::-1]
                for mode, pipelined in order:
                    name = f"pipe-{r}-{'on' if pipelined else 'off'}"
                    row = one_round(server.url, args.problem, args.trials, pipelined, name)
                    rows.append({"round": r, "mode": mode, **row})
                    print(json.dumps(rows[-1]), flush=True)
        finally:
            server.stop()
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": describe(),
        "load": load,
        "problem": args.problem,
        "trials": args.trials,
        "config": CONFIGS[args.problem],
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    return result


def report(result: dict[str, Any]) -> str:
    """docs/benchmarks/report_pipeline.md from the stored rows."""
    rows = result["rows"]
    lines = [
        "# A worker's per-epoch reports: in step with training or pipelined",
        "",
        f"Measured {result['date']} on {result['machine']} (load average {result['load']} at "
        f"the start) by `bench/report_pipeline.py`: `hpo serve` on SQLite and two "
        f"`hpo-trainer` worker processes on this machine; each study is {result['trials']} "
        f"trials of one {result['problem']} configuration (`{json.dumps(result['config'])}`, "
        "5-fold CV, epoch cap 200, no pruner), so both modes train the same epochs. Rounds "
        "alternate the modes. `fit s`: the workers' seconds on the trials, summed; `in the "
        "callback s`: of those, the time the per-epoch callback held training up (the round "
        "trips in step; only the waits for a free slot when pipelined).",
        "",
        "| round | mode | reports | study wall s | fit s | in the callback s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['round']} | {row['mode']} | {row['reports']} | {row['wall_seconds']:.1f} "
            f"| {row['fit_seconds']:.1f} | {row['report_seconds']:.1f} |"
        )
    lines.append("")
    for mode in MODES:
        walls = [r["wall_seconds"] for r in rows if r["mode"] == mode]
        waits = [r["report_seconds"] for r in rows if r["mode"] == mode]
        lines.append(
            f"- {mode}: median study wall {statistics.median(walls):.1f} s, median time in "
            f"the callback {statistics.median(waits):.1f} s."
        )
    text = "\n".join(lines) + "\n"
    DOC.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "report"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--problem", default="concrete", choices=sorted(CONFIGS))
    args = parser.parse_args()
    result = run(args) if args.command == "run" else json.loads(RESULTS.read_text())
    print(report(result))


if __name__ == "__main__":
    main()
