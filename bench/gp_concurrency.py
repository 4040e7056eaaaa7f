"""One gp study, 8 concurrent client threads, against a real server process.

Measures suggestions per second (each client loops suggest -> report over HTTP on one
6-D Hartmann study with the gp strategy, 50 observations at the start), the database
connections held meanwhile, and how long the study lock is held:

- ``hpo serve`` on SQLite, built-in threaded server and gunicorn with 4 workers (to tell
  the one-process GIL from SQLite's database-wide write lock): open connections = the
  server processes' file descriptors on the .db file (``/proc/<pid>/fd``), every 50 ms;
- gunicorn with 4 workers on PostgreSQL (a database created and dropped here):
  ``pg_stat_activity`` of that database sampled every 50 ms by state;
- lock hold time: bench/lock_timing/sitecustomize.py is put on the server's PYTHONPATH and
  times each locked transaction with SQLAlchemy events (no service code changed); the
  PostgreSQL samples also give the age of the oldest open transaction as a cross-check.

Run:  .venv/bin/python bench/gp_concurrency.py [--seconds 30] [--clients 1,8]
Writes docs/benchmarks/gp_concurrency.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gp_problems import PROBLEMS
from gp_rest import study_body
from machine import cpu_model

from hpo_service.optimisation.encoding import decode
from hpo_service.optimisation.random_search import sobol_points
from tests.servers import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = PROBLEMS["hartmann6"]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SAMPLE_SECONDS = 0.05
Sampler = Callable[[], dict[str, float]]


@dataclass
class Run:
    """What one backend's run measured."""

    backend: str
    clients: int
    suggestions: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    samples: list[dict[str, float]] = field(default_factory=list)
    locks: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _create_study(base: str, name: str, observations: int) -> None:
    body = study_body(name)
    with httpx.Client(base_url=base, timeout=60) as http:
        http.post("/api/v1/studies", json=body).raise_for_status()
        for point in sobol_points(6, 7, 0, observations):
            params = decode(PROBLEM.space, point)
            value = PROBLEM({k: float(v) for k, v in params.items()})
            trial = {"params": params, "value": value}
            http.post(f"/api/v1/studies/{name}/trials", json=trial).raise_for_status()


def _client(base: str, name: str, stop: float, run: Run) -> None:
    """Suggest -> evaluate -> report until ``stop``; record each suggest's latency."""
    with httpx.Client(base_url=base, timeout=120) as http:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            response = http.post(f"/api/v1/studies/{name}/suggestions", json={"count": 1})
            if response.status_code != 200:
                run.errors.append(response.text)
                return
            run.latencies.append(time.perf_counter() - start)
            trial = response.json()["trials"][0]
            value = PROBLEM(trial["params"])
            url = f"/api/v1/studies/{name}/trials/{trial['number']}/report"
            if http.post(url, json={"value": value}).status_code != 200:
                run.errors.append(f"report of trial {trial['number']} failed")


def _sampler(sample: Sampler, done: threading.Event, run: Run) -> None:
    """Call ``sample`` every 50 ms until ``done``."""
    while not done.is_set():
        started = time.perf_counter()
        run.samples.append(sample())
        done.wait(max(0.0, SAMPLE_SECONDS - (time.perf_counter() - started)))


def drive(base: str, clients: int, seconds: float, sample: Sampler, run: Run) -> None:
    """Create the study, then run ``clients`` client threads and the sampler for ``seconds``."""
    name = f"conc-{uuid.uuid4().hex[:8]}"
    _create_study(base, name, 50)
    done = threading.Event()
    sampler = threading.Thread(target=_sampler, args=(sample, done, run))
    start = time.perf_counter()
    threads = [
        threading.Thread(target=_client, args=(base, name, start + seconds, run))
        for _ in range(clients)
    ]
    sampler.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    run.suggestions = len(run.latencies)


def _group_pids(leader: int) -> list[int]:
    """Processes in the server's process group (gunicorn master and workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry.name)) == leader:
                    pids.append(int(entry.name))
    return pids


def _sqlite_sampler(leader: int, db_file: str) -> Sampler:
    """Count the server processes' file descriptors on the database file (one per open
    connection) and on its -wal file."""

    def sample() -> dict[str, float]:
        counts = {"db": 0.0, "wal": 0.0}
        for pid in _group_pids(leader):
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        target = os.readlink(fd)
                        counts["db"] += target == db_file
                        counts["wal"] += target == db_file + "-wal"
        return counts

    return sample


def _pg_sampler(database: str) -> Sampler:
    """pg_stat_activity of ``database`` by state (the sampler connects to another database)."""
    conn = psycopg.connect(PG_ADMIN, autocommit=True)
    query = (
        "SELECT coalesce(state, '?'), wait_event_type = 'Lock', count(*), "
        "coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0) "
        "FROM pg_stat_activity WHERE datname = %s GROUP BY 1, 2"
    )

    def sample() -> dict[str, float]:
        counts: dict[str, float] = {"total": 0, "oldest_xact": 0, "waiting_on_lock": 0}
        for state, waiting, count, oldest in conn.execute(query, (database,)).fetchall():
            counts["total"] += count
            counts[state] = counts.get(state, 0) + count
            counts["waiting_on_lock"] += count if waiting else 0
            counts["oldest_xact"] = max(counts["oldest_xact"], float(oldest))
        return counts

    return sample


def _read_locks(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _drive_all(
    args: argparse.Namespace, backend: str, base: str, sample: Sampler, lock_log: Path
) -> list[Run]:
    """One run per client count, each on a new study, with its own lock log."""
    runs = []
    for clients in args.clients:
        lock_log.unlink(missing_ok=True)
        run = Run(backend, clients)
        drive(base, clients, args.seconds, sample, run)
        run.locks = _read_locks(lock_log)
        runs.append(run)
    return runs


def run_sqlite(args: argparse.Namespace, lock_log: Path, workers: int = 0) -> list[Run]:
    """``hpo serve`` on a SQLite file: built-in threaded server, or gunicorn ``workers``."""
    backend = (
        f"SQLite, gunicorn {workers} workers x 4 threads"
        if workers
        else "SQLite, `hpo serve` (built-in threaded server)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        db_file = f"{tmp}/bench.db"
        server = ServerProcess(f"sqlite:///{db_file}", workers=workers).start()
        try:
            assert server.process is not None
            sampler = _sqlite_sampler(server.process.pid, os.path.realpath(db_file))
            return _drive_all(args, backend, server.url, sampler, lock_log)
        finally:
            server.stop()


def _create_pg_database() -> tuple[str, str]:
    name = f"hpo_conc_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    command = [sys.executable, "-m", "hpo_service.cli", "db", "upgrade", "--database-url", url]
    subprocess.run(command, check=True, capture_output=True)
    return name, url


def run_postgres(args: argparse.Namespace, lock_log: Path) -> list[Run]:
    """gunicorn with ``--pg-workers`` workers on a fresh PostgreSQL database."""
    backend = f"PostgreSQL, gunicorn {args.workers} workers x 4 threads"
    name, url = _create_pg_database()
    try:
        server = ServerProcess(url, workers=args.workers).start()
        try:
            return _drive_all(args, backend, server.url, _pg_sampler(name), lock_log)
        finally:
            server.stop()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _median_max(values: list[float], digits: int = 0) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.{digits}f} / {max(values):.{digits}f}"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def throughput_table(runs: list[Run]) -> list[str]:
    """Suggestions per second and suggest latency per backend."""
    lines = [
        "| backend | clients | suggestions / s | suggestions | suggest latency median s "
        "| p95 s | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lat = run.latencies or [float("nan")]
        lines.append(
            f"| {run.backend} | {run.clients} | {run.suggestions / run.seconds:.1f} | "
            f"{run.suggestions} | {statistics.median(lat):.3f} | {_quantile(lat, 0.95):.3f} | "
            f"{len(run.errors)} |"
        )
    return lines


def connection_lines(runs: list[Run]) -> list[str]:
    """Connections held during each run: median / max over the 50 ms samples."""
    lines = [
        "| backend | clients | samples | what was counted | median / max |",
        "|---|---:|---:|---|---:|",
    ]
    for run in runs:
        seen = {k for s in run.samples for k in s}
        for key in [k for k in _LABELS if k in seen] + sorted(seen - set(_LABELS)):
            digits = 3 if key == "oldest_xact" else 0
            values = [s.get(key, 0.0) for s in run.samples]
            lines.append(
                f"| {run.backend} | {run.clients} | {len(run.samples)} | {_LABELS.get(key, key)} | "
                f"{_median_max(values, digits)} |"
            )
    return lines


_LABELS = {
    "db": "open connections (fds on the .db file)",
    "wal": "fds on the -wal file",
    "total": "connections to the database (all states)",
    "active": "state 'active'",
    "idle": "state 'idle' (pooled)",
    "idle in transaction": "state 'idle in transaction'",
    "waiting_on_lock": "waiting on a lock (wait_event_type 'Lock')",
    "oldest_xact": "age of the oldest open transaction, s",
}


def lock_table(runs: list[Run]) -> list[str]:
    """Time inside the locked write transactions, per request kind."""
    lines = [
        "| backend | clients | request | transactions | held median ms | p95 ms | max ms "
        "| wait for lock median ms | p95 ms | lock busy (sum held / wall) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for kind in ("/suggestions", "/report"):
            rows = [r for r in run.locks if str(r["path"]).endswith(kind)]
            if not rows:
                continue
            held = [1000 * r["held"] for r in rows]
            wait = [1000 * r["wait"] for r in rows]
            lines.append(
                f"| {run.backend} | {run.clients} | {kind.strip('/')} | {len(rows)} | "
                f"{statistics.median(held):.1f} | {_quantile(held, 0.95):.1f} | {max(held):.1f} | "
                f"{statistics.median(wait):.1f} | {_quantile(wait, 0.95):.1f} | "
                f"{sum(held) / 1000 / run.seconds:.2f} |"
            )
    return lines


def _machine() -> str:
    cpu = cpu_model()
    return f"nproc {os.cpu_count()}, {cpu}, Python {platform.python_version()}"


def report(runs: list[Run], args: argparse.Namespace) -> str:
    """The Markdown section."""
    return "\n".join(
        [
            "# One gp study under 8 concurrent clients: throughput, connections, lock time",
            "",
            f"Measured {args.started} on {_machine()}; load average at start {args.load}. "
            f"Client threads ({', '.join(map(str, args.clients))} per run) loop suggest -> "
            "evaluate Hartmann6 -> report over "
            f"HTTP for {args.seconds:g} s on one 6-D study with the gp strategy (EI), 50 "
            "observations at the start. Server, database and clients share the machine.",
            "",
            *throughput_table(runs),
            "",
            "Database connections held during the run (sampled every 50 ms; median / max):",
            "",
            *connection_lines(runs),
            "",
            "Time the study lock is held (every locked write transaction during the run, timed "
            "in the server by SQLAlchemy events from bench/lock_timing/sitecustomize.py: from "
            "the end of the statement that takes the lock - `BEGIN IMMEDIATE` on SQLite, the "
            "study row's `SELECT ... FOR UPDATE` on PostgreSQL - to the end of COMMIT):",
            "",
            *lock_table(runs),
            "",
            *args.notes,
        ]
    ).rstrip()


NOTES = [
    "Notes on what was measured:",
    "",
    "- Suggestions / s = completed suggest calls / wall time. Each client also reports its "
    "result (a second locked write transaction per cycle), so this is the rate of a live "
    "study's worker loop, not of suggest alone; the Hartmann6 evaluation itself is negligible.",
    "- SQLite: SQLAlchemy's pool (5 + 10 overflow) gives each concurrent request thread its "
    "own connection; each open connection holds one descriptor on the .db file (and one on "
    "the -wal file once it has used it), read from `/proc/<server pid>/fd`.",
    "- PostgreSQL: every gunicorn worker has its own pool (5 + 10 overflow); the sampler is "
    "connected to the `postgres` database, so it is not counted. 'idle in transaction' is a "
    "connection inside a transaction between two statements (for suggest: while the proposal "
    "is computed under the lock). The oldest-transaction age includes read-only "
    "transactions (the history snapshot), not only locked ones.",
    "- Lock time is measured inside the server (event listeners loaded through PYTHONPATH, "
    "no service code changed); 'wait for lock' is the time the locking statement itself took "
    "(blocked behind another holder). 'Lock busy' near 1.0 would mean the lock is the "
    "bottleneck (suggest and report take the same lock, so add their two rows); below "
    "that, CPU (two cores shared by server, database and clients) is.",
]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", default="1,8", help="comma-separated client counts")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--backends", default="sqlite,sqlite-gunicorn,postgres")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks/gp_concurrency.md")
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",")]
    args.started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    args.notes = NOTES
    return args


def main() -> None:
    """Run the selected backends and write the section."""
    args = _arguments()
    lock_log = Path(tempfile.gettempdir()) / f"hpo_lock_{os.getpid()}.jsonl"
    os.environ["HPO_BENCH_LOCK_LOG"] = str(lock_log)
    probe = str(Path(__file__).resolve().parent / "lock_timing")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [probe, os.environ.get("PYTHONPATH")]))
    runners: dict[str, Callable[[argparse.Namespace, Path], list[Run]]] = {
        "sqlite": run_sqlite,
        "sqlite-gunicorn": lambda a, log: run_sqlite(a, log, workers=a.workers),
        "postgres": run_postgres,
    }
    runs = [run for b in args.backends.split(",") for run in runners[b](args, lock_log)]
    lock_log.unlink(missing_ok=True)
    text = report(runs, args) + "\n"
    print(text)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
