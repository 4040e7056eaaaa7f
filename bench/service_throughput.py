"""Suggest+report round trips per second for the random strategy, 1 / 8 / 32 clients.

Runs a real server process (built-in threaded server on SQLite; gunicorn with 4
workers on PostgreSQL), lets N client threads suggest and report for a fixed time,
and prints a Markdown table. Usage:

    .venv/bin/python bench/service_throughput.py [--seconds 10] [--out docs/benchmarks/service.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import cpu_model

from tests.servers import ServerProcess

SPACE = [
    {"name": "lr", "type": "float", "low": 1e-4, "high": 0.1, "log": True},
    {"name": "layers", "type": "int", "low": 1, "high": 3},
    {"name": "act", "type": "categorical", "choices": ["relu", "tanh", "logistic"]},
]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _client_loop(base: str, name: str, stop: float, counts: list[int], errors: list[str]) -> None:
    done = 0
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.perf_counter() < stop:
            response = http.post(f"/api/v1/studies/{name}/suggestions", json={"worker_id": "b"})
            if response.status_code != 200:
                errors.append(response.text)
                break
            number = response.json()["trials"][0]["number"]
            report = http.post(
                f"/api/v1/studies/{name}/trials/{number}/report", json={"value": 0.5}
            )
            if report.status_code != 200:
                errors.append(report.text)
            done += 1
    counts.append(done)


def measure(base: str, clients: int, seconds: float) -> float:
    """Round trips per second with ``clients`` concurrent threads on a new study."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    body = {"name": name, "space": SPACE, "strategy": {"name": "random", "seed": 1}}
    httpx.post(f"{base}/api/v1/studies", json=body, timeout=30).raise_for_status()
    counts: list[int] = []
    errors: list[str] = []
    start = time.perf_counter()
    stop = start + seconds
    threads = [
        threading.Thread(target=_client_loop, args=(base, name, stop, counts, errors))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} errors, first: {errors[0]}")
    return sum(counts) / elapsed


def _postgres_database() -> tuple[str, str]:
    name = f"hpo_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    subprocess.run(
        [sys.executable, "-m", "hpo_service.cli", "db", "upgrade", "--database-url", url],
        check=True,
        capture_output=True,
    )
    return name, url


def run(seconds: float) -> list[tuple[str, int, float]]:
    """Measure every backend and client count."""
    rows: list[tuple[str, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(f"sqlite:///{tmp}/bench.db").start()
        try:
            rows += [
                ("SQLite, built-in threaded server", n, measure(server.url, n, seconds))
                for n in (1, 8, 32)
            ]
        finally:
            server.stop()
    name, url = _postgres_database()
    server = ServerProcess(url, workers=4).start()
    try:
        rows += [
            ("PostgreSQL, gunicorn 4 workers x 4 threads", n, measure(server.url, n, seconds))
            for n in (1, 8, 32)
        ]
    finally:
        server.stop()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return rows


def _machine() -> str:
    cpu = cpu_model()
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> None:
    """Run and print / write the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = run(args.seconds)
    lines = [
        f"Measured {datetime.date.today()} on {_machine()}; load average {load} at the start; "
        f"{args.seconds:g} s per cell, each round trip = one suggest + one report over HTTP "
        "(random strategy, 3-parameter space, a new study per cell). All clients work on one "
        "study, so every suggest and report queues for that study's lock (the worst case); "
        "the client threads run in one Python process on the same 2 cores as the server.",
        "",
        "| backend | concurrent clients | round trips / s |",
        "|---|---:|---:|",
        *(f"| {backend} | {n} | {rate:.0f} |" for backend, n, rate in rows),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
