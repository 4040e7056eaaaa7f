"""Real server processes for tests: `hpo serve` (built-in server or gunicorn) on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import psycopg


def _admin(database_url: str) -> tuple[psycopg.Connection[Any], str]:
    """An autocommit connection to the server's ``postgres`` database, and the name of
    ``database_url``'s database (its query string, if any, left out)."""
    import psycopg

    server, database = database_url.split("?", 1)[0].rsplit("/", 1)
    return psycopg.connect(f"{server}/postgres", autocommit=True), database


def terminate_every_backend(database_url: str) -> int:
    """Kill every connection to the PostgreSQL database of ``database_url`` inside the server
    (``pg_terminate_backend``, as an administrator or a failover would); how many there were."""
    conn, database = _admin(database_url)
    with conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()
    return int(row[0]) if row else 0


def sessions(database_url: str, application_name: str) -> tuple[set[int], int]:
    """Of the sessions of ``database_url``'s database named ``application_name`` (the URL's
    ``application_name``): the pids of those idle inside a transaction that locked or wrote
    a row (it has a transaction id; every write of the service locks its study row first,
    so they hold a study's lock), and how many are waiting for a lock."""
    conn, database = _admin(database_url)
    with conn:
        rows = conn.execute(
            "SELECT pid, state = 'idle in transaction' AND backend_xid IS NOT NULL, "
            "wait_event_type = 'Lock' FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s",
            (database, application_name),
        ).fetchall()
    return {pid for pid, holding, _ in rows if holding}, sum(bool(w) for _, _, w in rows)


def freeze_holding_a_lock(
    process_group: int, database_url: str, application_name: str, waiting: int = 0
) -> None:
    """Stop (SIGSTOP) a server's whole process group at a moment one of its sessions (named
    ``application_name``) holds a study's lock and at least ``waiting`` others wait for a
    lock: a frozen VM or a host cut off by a partition. Retries with SIGCONT in between."""
    for _ in range(2000):
        os.killpg(process_group, signal.SIGSTOP)
        time.sleep(0.005)
        holders, waiters = sessions(database_url, application_name)
        if holders and waiters >= waiting:
            return
        os.killpg(process_group, signal.SIGCONT)
        time.sleep(0.003)
    raise RuntimeError("the server was never caught holding a lock with enough waiters")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`hpo serve` in a child process; start() waits for /healthz."""

    def __init__(
        self,
        database_url: str,
        port: int | None = None,
        workers: int = 0,
        log_path: Path | None = None,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.port = port or free_port()
        self.workers = workers
        self.log_path = log_path
        self.args = list(args)
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Launch and wait until healthy."""
        command = [
            sys.executable,
            "-m",
            "hpo_service.cli",
            "serve",
            "--port",
            str(self.port),
            "--database-url",
            self.database_url,
            "--workers",
            str(self.workers),
            *self.args,
        ]
        with Path(self.log_path or os.devnull).open("ab") as log_file:
            self.process = subprocess.Popen(
                command,
                stdout=log_file,
                stderr=log_file,
                env={**os.environ, "PYTHONWARNINGS": "ignore", **self.env},
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server on port {self.port} did not become healthy")

    def stop(self, kill: bool = False) -> None:
        """Stop the whole process group (gunicorn master and workers)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
