"""Faults under load, with every acknowledged report checked against the database.

A fleet of worker threads (the project's ``Client`` with failover and its one retry policy)
loops suggest -> "train" 50 ms -> report on one random study (lease 3 s) on PostgreSQL for
``seconds``; a third of the way in, one fault is injected:

- ``kill-instance``: two service instances (gunicorn, 2 workers each); kill -9 of one;
- ``terminate-backends``: every connection of the service's database is terminated inside
  PostgreSQL (``pg_terminate_backend``);
- ``dask-worker``: the loops run as tasks on a Dask LocalCluster (2 worker processes x 4
  threads); one Dask worker process is killed with SIGKILL mid-run;
- ``restart``: the only instance is stopped (SIGTERM) and started again 2 s later;
- ``freeze-instance``: two service instances (gunicorn, 2 workers each); one is stopped
  (SIGSTOP of its process group) at a moment one of its sessions holds the study's lock,
  and stays frozen to the end, as a host cut off by a partition would: no connection reset
  reaches PostgreSQL, which ends the session after the service's idle-in-transaction
  timeout (``database.SESSION_LIMITS``). This scenario runs that much longer.

Every HTTP answer is counted by status (a transport wrapper), every acknowledged report is
kept, and afterwards the trials table is read directly (bench/scale_async.check). Recovery
time = from the fault to the first acknowledged report of a cycle that started after it
(first) and until every loop had one (all). Used by bench/scale_out.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

import httpx
import psycopg
from scale_async import check
from scale_throughput import SPACE, postgres_database

from hpo_service.persistence.database import SESSION_LIMITS
from tests.servers import ServerProcess, freeze_holding_a_lock, terminate_every_backend

THREADS = 16
TRAIN_SECONDS = 0.05


class CountingTransport(httpx.HTTPTransport):
    """Writes the status of every answer (or 'no answer') to the loop's event log at once,
    so the counts of a loop whose process is killed are kept too."""

    def __init__(self, log: TextIO) -> None:
        super().__init__()
        self.log = log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Forward and count."""
        try:
            response = super().handle_request(request)
        except httpx.TransportError as exc:
            why = "timed out" if isinstance(exc, httpx.TimeoutException) else "refused/reset"
            self.log.write(json.dumps({"status": f"no answer ({why})"}) + "\n")
            raise
        self.log.write(json.dumps({"status": str(response.status_code)}) + "\n")
        return response


def fleet_loop(urls: list[str], name: str, stop: float, log_path: str, worker: str) -> None:
    """One worker loop; appends every handout, acknowledged report and status to ``log_path``
    (a file survives a killed process, a return value would not)."""
    from hpo_service.client import Client
    from hpo_service.errors import HpoError

    with open(log_path, "a", buffering=1) as log:
        transport = CountingTransport(log)
        client = Client(urls, retries=60, backoff=0.05, max_backoff=1.0, timeout=10,
                        transport=transport)  # fmt: skip
        with client:
            study = client.study(name)
            while time.time() < stop:
                began = time.time()
                try:
                    (trial,) = study.suggest(worker_id=worker)
                    log.write(json.dumps({"handed": trial.number, "worker": worker}) + "\n")
                    time.sleep(TRAIN_SECONDS)
                    value = float(trial.params["lr"]) * int(trial.params["layers"])
                    study.report(trial.number, value)
                    log.write(json.dumps({"acked": trial.number, "value": value, "began": began,
                                          "at": time.time(), "worker": worker}) + "\n")  # fmt: skip
                except HpoError as exc:
                    log.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300]}) + "\n")


def _create_study(url: str, name: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        body = {"name": name, "space": SPACE, "strategy": {"name": "random", "seed": 1},
                "lease_seconds": 3}  # fmt: skip
        http.post("/api/v1/studies", json=body).raise_for_status()


def _threads(urls: list[str], name: str, stop: float, log_path: str) -> list[threading.Thread]:
    threads = [
        threading.Thread(
            target=fleet_loop,
            args=(urls if i % 2 else urls[::-1], name, stop, log_path, f"w{i}"),
        )
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    return threads


def _kill_instance(db: str, seconds: float, log: str) -> tuple[float, str]:
    servers = [ServerProcess(db, workers=2).start() for _ in range(2)]
    try:
        _create_study(servers[0].url, "fault")
        stop = time.time() + seconds
        threads = _threads([s.url for s in servers], "fault", stop, log)
        time.sleep(seconds / 3)
        fault = time.time()
        assert servers[0].process is not None
        os.killpg(servers[0].process.pid, signal.SIGKILL)
        for thread in threads:
            thread.join()
    finally:
        for server in servers:
            server.stop(kill=True)
    return fault, "kill -9 of one of two instances (gunicorn 2 workers each)"


def _terminate_backends(db: str, seconds: float, log: str) -> tuple[float, str]:
    server = ServerProcess(db, workers=4).start()
    try:
        _create_study(server.url, "fault")
        stop = time.time() + seconds
        threads = _threads([server.url], "fault", stop, log)
        time.sleep(seconds / 3)
        fault = time.time()
        count = terminate_every_backend(db)
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    return fault, f"pg_terminate_backend of all {count} connections of one instance (gunicorn 4)"


def _freeze_instance(db: str, seconds: float, log: str) -> tuple[float, str]:
    timeout = SESSION_LIMITS["idle_in_transaction_session_timeout"]
    lock = SESSION_LIMITS["lock_timeout"]
    frozen_url = f"{db}?application_name=hpo-frozen"
    servers = [ServerProcess(url, workers=2).start() for url in (frozen_url, db)]
    frozen = servers[0].process
    assert frozen is not None
    try:
        _create_study(servers[1].url, "fault")
        stop = time.time() + seconds + timeout
        threads = _threads([s.url for s in servers], "fault", stop, log)
        time.sleep(seconds / 3)
        freeze_holding_a_lock(frozen.pid, frozen_url, "hpo-frozen")
        fault = time.time()
        for thread in threads:
            thread.join()
    finally:
        os.killpg(frozen.pid, signal.SIGCONT)
        for server in servers:
            server.stop(kill=True)
    return fault, (
        "SIGSTOP of one of two instances (gunicorn 2 workers each) while it held the "
        f"study's lock, frozen to the end (idle-in-transaction timeout {timeout} s, "
        f"lock timeout {lock}s; the run is {timeout} s longer)"
    )


def _restart(db: str, seconds: float, log: str) -> tuple[float, str]:
    server = ServerProcess(db, workers=2).start()
    try:
        _create_study(server.url, "fault")
        stop = time.time() + seconds
        threads = _threads([server.url], "fault", stop, log)
        time.sleep(seconds / 3)
        fault = time.time()
        server.stop()  # gunicorn's graceful stop lets requests in progress finish
        stopped = time.time() - fault
        time.sleep(2.0)
        server = ServerProcess(db, port=server.port, workers=2).start()
        healthy = time.time() - fault
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    return fault, (
        f"the only instance (gunicorn 2) stopped with SIGTERM (down after {stopped:.1f} s), "
        f"started again 2 s later (healthy {healthy:.1f} s after the SIGTERM)"
    )


def _dask_worker(db: str, seconds: float, log: str) -> tuple[float, str]:
    import cloudpickle
    from distributed import Client as DaskClient
    from distributed import LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    server = ServerProcess(db, workers=2).start()
    try:
        _create_study(server.url, "fault")
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=4, processes=True, dashboard_address=None
            ) as cluster,  # fmt: skip
            DaskClient(cluster) as dask,
        ):
            stop = time.time() + seconds
            futures = [
                dask.submit(fleet_loop, [server.url], "fault", stop, log, f"d{i}", pure=False)
                for i in range(8)
            ]
            time.sleep(seconds / 3)
            pids = dask.run(os.getpid)
            fault = time.time()
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            dask.gather(futures, errors="skip")
    finally:
        server.stop()
    return fault, "SIGKILL of one of two Dask worker processes (LocalCluster, 4 threads each)"


SCENARIOS = {
    "kill-instance": _kill_instance,
    "terminate-backends": _terminate_backends,
    "dask-worker": _dask_worker,
    "restart": _restart,
    "freeze-instance": _freeze_instance,
}


def _summarise(db: str, fault: float, what: str, log: Path) -> dict[str, Any]:
    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    acks = [e for e in events if "acked" in e]
    statuses: Counter[str] = Counter()
    statuses.update(e["status"] for e in events if "status" in e)
    after = [e for e in acks if e["began"] >= fault]
    first = {}
    for e in sorted(after, key=lambda e: e["at"]):
        first.setdefault(e["worker"], e["at"] - fault)
    handed = [(e["handed"], e["worker"]) for e in events if "handed" in e]
    checked = check(db, "fault", [(e["acked"], e["value"]) for e in acks], handed)
    server_errors = sum(v for k, v in statuses.items() if k.startswith("5") and k != "503")
    return {
        "fault": what,
        "statuses": dict(sorted(statuses.items())),
        "5xx_other_than_503": server_errors,
        "client_errors_raised": sum("error" in e for e in events),
        "first_error": next((e["error"] for e in events if "error" in e), None),
        "recovery_first_s": round(min(first.values()), 2) if first else None,
        "recovery_all_s": round(max(first.values()), 2) if first else None,
        "loops_recovered": len(first),
        "reoffered_done_after_s": _reoffered_done(db, fault),
        **checked,
    }


def _reoffered_done(db: str, fault: float) -> float | None:
    """Seconds from the fault until the last re-offered trial (lease ran out) was finished."""
    with psycopg.connect(db) as conn:
        row = conn.execute(
            "SELECT max(extract(epoch FROM finished_at AT TIME ZONE 'UTC')) FROM trials "
            "WHERE retries > 0"
        ).fetchone()
    return round(float(row[0]) - fault, 2) if row and row[0] is not None else None


def run(seconds: float, faults: list[str]) -> list[dict[str, Any]]:
    """Each chosen scenario on its own new PostgreSQL database."""
    rows = []
    for fault_name in faults:
        with postgres_database("hpo_fault") as db, tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "hpo_service.cli", "db", "upgrade", "--database-url", db],
                check=True,
                capture_output=True,
            )
            log = Path(tmp) / "events.jsonl"
            log.touch()
            fault, what = SCENARIOS[fault_name](db, seconds, str(log))
            row = {"scenario": fault_name, **_summarise(db, fault, what, log)}
            print(row, flush=True)
            rows.append(row)
    return rows
