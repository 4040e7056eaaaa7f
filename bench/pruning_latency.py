"""Latency of POST .../intermediate with a pruner on a study of 500 trials x 100 epochs.

A study is filled in bulk with 500 complete trials of 100 intermediate values each
(50,000 curve points, written straight into the database so setup takes seconds), then
served by a real server process (built-in threaded server on SQLite; gunicorn with
4 workers on PostgreSQL). For each pruner (set with PATCH, as a user would) new trials
are handed out and report 100 epochs each over REST, one client or 8 at once; every
report's round trip is timed. Usage:

    .venv/bin/python bench/pruning_latency.py [--trials 500] [--epochs 100]
        [--reporting 6] [--out docs/benchmarks/pruning.md]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import describe

from hpo_service.access import DEFAULT_PROJECT
from hpo_service.domain import EndReason, IntermediateValue, Trial, TrialState
from hpo_service.optimisation.pruners import normalise_pruner
from hpo_service.persistence import Database, Repository
from hpo_service.persistence.migrate import upgrade
from hpo_service.persistence.models import IntermediateValueRow, StudyRow, TrialRow
from hpo_service.service import Service
from hpo_service.service.pruning import decide
from tests.servers import ServerProcess

NAME = "latency"
SPACE = [
    {"name": "lr", "type": "float", "low": 1e-4, "high": 0.1, "log": True},
    {"name": "width", "type": "int", "low": 8, "high": 256},
]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PRUNERS = [
    {"name": "none"},
    {"name": "median", "n_startup_trials": 5},
    {"name": "successive_halving", "min_resource": 1, "reduction_factor": 3},
    {"name": "hyperband", "min_resource": 1, "max_resource": 100, "reduction_factor": 3},
]


def loss(seed: int, step: int) -> float:
    """A falling learning curve with a per-trial floor and a little noise."""
    rng = random.Random(seed * 1000 + step)
    floor = 0.1 + (seed * 7919 % 97) / 200.0
    return floor + math.exp(-step / 20.0) + rng.gauss(0, 0.01)


def fill(url: str, trials: int, epochs: int) -> None:
    """Create the study with ``trials`` complete trials of ``epochs`` points each."""
    database = Database(url)
    service = Service(database)
    service.create_study(
        DEFAULT_PROJECT, {"name": NAME, "space": SPACE, "strategy": {"name": "random"}}
    )
    now = datetime.datetime.now(UTC)
    with database.transaction(write=True) as session:
        repo = Repository(session, DEFAULT_PROJECT)
        for i in range(trials):
            trial = Trial(
                study=NAME,
                number=i,
                params={"lr": 10 ** random.uniform(-4, -1), "width": random.randint(8, 256)},
                state=TrialState.COMPLETE,
                value=loss(i, epochs - 1),
                started_at=now,
                finished_at=now,
                end_reason=EndReason.REPORTED,
            )
            repo.insert_trial(trial, now)
        study_id = session.scalar(select(StudyRow.id).where(StudyRow.name == NAME))
        ids = session.execute(
            select(TrialRow.id, TrialRow.number).where(TrialRow.study_id == study_id)
        )
        points = [
            {"trial_id": trial_id, "step": step, "value": loss(number, step)}
            for trial_id, number in ids
            for step in range(epochs)
        ]
        session.execute(insert(IntermediateValueRow), points)
    database.dispose()


def decision_times(url: str, pruner: dict[str, object], epochs: int, calls: int) -> list[float]:
    """Seconds per pruner decision in process (one read transaction each), no HTTP."""
    database = Database(url)
    rng = random.Random(0)
    times: list[float] = []
    with database.transaction() as session:
        study = dataclasses.replace(
            Repository(session, DEFAULT_PROJECT).get_study(NAME), pruner=normalise_pruner(pruner)
        )
    for _ in range(calls):
        last = rng.randrange(epochs)
        points = tuple(IntermediateValue(s, loss(10_000, s)) for s in range(last + 1))
        trial = Trial(NAME, 10_000, {}, TrialState.RUNNING, intermediate=points)
        with database.transaction() as session:
            started = time.perf_counter()
            decide(Repository(session, DEFAULT_PROJECT), study, trial)
            times.append(time.perf_counter() - started)
    database.dispose()
    return times


def percentiles(times: list[float]) -> tuple[float, float]:
    """Median and p95 in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def report_trial(base: str, epochs: int, times: list[float], stops: list[int]) -> None:
    """One worker: take a trial, report every epoch (timed), then its final value."""
    with httpx.Client(base_url=f"{base}/api/v1/studies/{NAME}", timeout=60) as http:
        trial = http.post("/suggestions", json={"worker_id": "bench"}).json()["trials"][0]
        number = trial["number"]
        stopped = None
        for step in range(epochs):
            body = {"step": step, "value": loss(number, step), "worker_id": "bench"}
            started = time.perf_counter()
            answer = http.post(f"/trials/{number}/intermediate", json=body)
            times.append(time.perf_counter() - started)
            answer.raise_for_status()
            if stopped is None and answer.json()["should_stop"]:
                stopped = step
        http.post(f"/trials/{number}/report", json={"value": loss(number, epochs - 1)})
        stops.append(stopped if stopped is not None else epochs)


def measure(
    base: str, pruner: dict[str, object], clients: int, trials: int, epochs: int
) -> tuple[float, float, int, str]:
    """Median and p95 latency (ms) of the reports, and how many trials were told to stop."""
    httpx.patch(
        f"{base}/api/v1/studies/{NAME}", json={"pruner": pruner}, timeout=30
    ).raise_for_status()
    times: list[float] = []
    stops: list[int] = []
    for _ in range(max(1, trials // clients)):
        threads = [
            threading.Thread(target=report_trial, args=(base, epochs, times, stops))
            for _ in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    median, p95 = percentiles(times)
    told = sum(s < epochs for s in stops)
    return median, p95, len(times), f"{told}/{len(stops)}"


@contextmanager
def postgres() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"hpo_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_backend(
    label: str, url: str, workers: int, args: argparse.Namespace
) -> tuple[list[str], list[str]]:
    """Fill, serve and measure one backend; return decision rows and REST rows."""
    upgrade(url)
    started = time.perf_counter()
    fill(url, args.trials, args.epochs)
    print(f"{label}: filled in {time.perf_counter() - started:.0f} s", flush=True)
    decisions = []
    for pruner in PRUNERS[1:]:
        median, p95 = percentiles(decision_times(url, pruner, args.epochs, args.calls))
        decisions.append(
            f"| {label} | {pruner['name']} | {args.calls} | {median:.2f} | {p95:.2f} |"
        )
        print(decisions[-1], flush=True)
    server = ServerProcess(url, workers=workers).start()
    rows = []
    try:
        for pruner in PRUNERS:
            for clients in (1, 8):
                med, p95, n, told = measure(
                    server.url, pruner, clients, args.reporting, args.epochs
                )
                cells = [label, pruner["name"], clients, n, f"{med:.1f}", f"{p95:.1f}", told]
                row = "| " + " | ".join(map(str, cells)) + " |"
                print(row, flush=True)
                rows.append(row)
    finally:
        server.stop()
    return decisions, rows


def main() -> None:
    """Run every backend and write the section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--reporting", type=int, default=8, help="new trials per cell")
    parser.add_argument("--calls", type=int, default=300, help="in-process decisions timed")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    decisions: list[str] = []
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{tmp}/b.db"
        found = run_backend("SQLite, built-in threaded server", sqlite_url, 0, args)
        decisions, rows = decisions + found[0], rows + found[1]
    with postgres() as url:
        found = run_backend("PostgreSQL, gunicorn 4 workers", url, 4, args)
        decisions, rows = decisions + found[0], rows + found[1]
    text = "\n".join(
        [
            f"Measured {datetime.date.today()} on {describe()}; load average {load} at the start.",
            "",
            f"A study of {args.trials} complete trials x {args.epochs} epochs "
            f"({args.trials * args.epochs:,} curve points) on each backend; per cell, "
            f"{args.reporting} new trials each report {args.epochs} epochs over REST "
            "(`POST .../intermediate`, one HTTP round trip each, timed at the client), by one "
            "client or 8 at once. The pruner is changed with PATCH between cells; `none` is the "
            'baseline (append the point, renew the lease, no decision). "told to stop" counts '
            "trials that got `should_stop: true` at some epoch (they kept reporting, as a worker "
            "that ignores the answer would).",
            "",
            "| backend | pruner | clients | reports | median ms | p95 ms | told to stop |",
            "|---|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "The decision alone, in process (`service.pruning.decide` in one read transaction on "
            f"the same {args.trials} x {args.epochs} study, a curve of random length each time, "
            "no HTTP, no lock): what the pruner adds to a report.",
            "",
            "| database | pruner | decisions | median ms | p95 ms |",
            "|---|---|---:|---:|---:|",
            *decisions,
        ]
    )
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
