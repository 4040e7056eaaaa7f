"""What one worker cycle costs the service: SQL statements, transactions and CPU, in-process.

No HTTP server and no worker processes: the real app on PostgreSQL through Flask's test
client, so the CPU measured is the service's own (Flask, the use cases, SQLAlchemy,
psycopg, the strategy), not the network stack or the clients. Two loops per strategy:

- ``suggest + report``: POST .../suggestions, then POST .../report (two requests);
- ``report+next``: POST .../report with ``"next": 1`` (one request per trial).

Random search starts from an empty study; the GP from 500 complete trials with 32 trials
held by 32 simulated workers (each cycle reports one of them, in turn, and takes a new one),
so its suggestions condition on 32 pending trials as under a fleet. Statements and commits
are counted with SQLAlchemy events on the app's engine. CPU is ``time.process_time`` of the
whole process (the GP's background conditioning included), median of ``--batches`` batches.
Writes bench/results/cycle_cost.json and docs/benchmarks/cycle_cost.md.

    nice -n 5 .venv/bin/python bench/cycle_cost.py [--cycles 200] [--batches 5]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flask.testing import FlaskClient  # noqa: E402
from machine import commit, describe  # noqa: E402
from scale_throughput import SPACE, objective, postgres_database, seed_configs  # noqa: E402
from sqlalchemy import event  # noqa: E402

from hpo_service.api import create_app  # noqa: E402

URL = "/api/v1/studies/s"
HELD = 32
RESULTS = ROOT / "bench" / "results" / "cycle_cost.json"
OUT = ROOT / "docs" / "benchmarks" / "cycle_cost.md"


class Loop:
    """Workers holding trials of one study; ``cycle(i)`` reports worker i's trial and gets
    it a new one, with two requests or one."""

    def __init__(self, client: FlaskClient, workers: int, ahead: bool) -> None:
        self.client = client
        self.ahead = ahead
        self.held = [self._suggest(f"w{i}") for i in range(workers)]

    def _suggest(self, worker: str) -> dict[str, Any]:
        answer = self.client.post(f"{URL}/suggestions", json={"worker_id": worker})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        trial: dict[str, Any] = answer.get_json()["trials"][0]
        return trial

    def cycle(self, i: int) -> None:
        slot = i % len(self.held)
        trial, worker = self.held[slot], f"w{slot}"
        body: dict[str, Any] = {"value": objective(**trial["params"]), "worker_id": worker}
        if self.ahead:
            body["next"] = 1
        answer = self.client.post(f"{URL}/trials/{trial['number']}/report", json=body)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        handed = answer.get_json().get("next") if self.ahead else None
        self.held[slot] = handed[0] if handed else self._suggest(worker)


def measure(strategy: str, ahead: bool, cycles: int, batches: int) -> dict[str, Any]:
    """One (strategy, loop) cell on a fresh PostgreSQL database."""
    with postgres_database("hpo_cycle") as url:
        app = create_app({"DATABASE_URL": url, "AUTO_UPGRADE": True})
        try:
            client = app.test_client()
            body = {"name": "s", "space": SPACE, "strategy": {"name": strategy, "seed": 1}}
            assert client.post("/api/v1/studies", json=body).status_code == 201
            observations = 500 if strategy == "gp" else 0
            for trial in seed_configs(observations):
                client.post(f"{URL}/trials", json=trial)
            loop = Loop(client, HELD if strategy == "gp" else 1, ahead)
            for i in range(2 * HELD):  # warm: caches, prepared statements, a first base model
                loop.cycle(i)
            counts = _counting(app.extensions["hpo_service"].database.engine)
            cpu, wall, statements, commits = [], [], [], []
            for _ in range(batches):
                counts["statements"] = counts["commits"] = 0
                began, cpu_began = time.perf_counter(), time.process_time()
                for i in range(cycles):
                    loop.cycle(i)
                cpu.append(1000 * (time.process_time() - cpu_began) / cycles)
                wall.append(1000 * (time.perf_counter() - began) / cycles)
                statements.append(counts["statements"] / cycles)
                commits.append(counts["commits"] / cycles)
        finally:
            app.extensions["hpo_service"].database.dispose()
    return {
        "strategy": strategy,
        "loop": "report+next" if ahead else "suggest + report",
        "requests": 1 if ahead else 2,
        "observations_at_start": observations,
        "statements": round(statistics.median(statements), 2),
        "commits": round(statistics.median(commits), 2),
        "cpu_ms": round(statistics.median(cpu), 2),
        "cpu_ms_range": [round(min(cpu), 2), round(max(cpu), 2)],
        "wall_ms": round(statistics.median(wall), 2),
    }


def _counting(engine: Any) -> dict[str, int]:
    counts = {"statements": 0, "commits": 0}

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if not sql.startswith("BEGIN"):  # the transactions are counted by their commits
            counts["statements"] += 1

    def commit(*_: Any) -> None:
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    return counts


def render(record: dict[str, Any]) -> str:
    """The Markdown section."""
    lines = [
        "# What one worker cycle costs the service (in-process)",
        "",
        f"Measured {record['date']} on {record['machine']}, commit {record['commit']}; load "
        f"average {record['load_start']} at the start. Produced by `bench/cycle_cost.py`.",
        "",
        "The real app on PostgreSQL through Flask's test client (no HTTP server, no worker "
        "processes), so the CPU is the service's own: Flask, the use cases, SQLAlchemy, "
        "psycopg and the strategy. One cycle = a trial reported and a new one handed out: "
        '`suggest + report` is two requests, `report+next` one (`"next": 1`). Random '
        "search on the 3-parameter space of the scale-out benchmark from an empty study; "
        f"the GP from 500 complete trials with {HELD} trials held by {HELD} simulated "
        "workers, reported in turn. Statements and commits are counted on the app's "
        "engine (reads commit too); CPU is the whole process (the GP's background "
        f"conditioning included), median of {record['args']['batches']} batches of "
        f"{record['args']['cycles']} cycles (min-max beside it). A shared machine moves the "
        "CPU figures by tens of percent between runs; the statement counts do not move.",
        "",
        "| strategy | loop | requests | SQL statements | transactions | CPU ms (min-max) "
        "| wall ms |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for r in record["result"]:
        low, high = r["cpu_ms_range"]
        lines.append(
            f"| {r['strategy']} | {r['loop']} | {r['requests']} | {r['statements']:g} | "
            f"{r['commits']:g} | {r['cpu_ms']:.1f} ({low:.1f}-{high:.1f}) | {r['wall_ms']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure every cell, store the record, write the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--batches", type=int, default=5)
    args = parser.parse_args()
    record = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": describe(),
        "commit": commit(),
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "args": vars(args),
        "result": [
            measure(strategy, ahead, args.cycles, args.batches)
            for strategy in ("random", "gp")
            for ahead in (False, True)
        ],
    }
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    OUT.write_text(render(record))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
