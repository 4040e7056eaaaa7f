"""End-to-end fixtures: a real `hpo serve` process and real `hpo-trainer work` processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hpo_service.client import Client
from hpo_service.domain import Trial
from tests.servers import ServerProcess

REPORTED = re.compile(r"reported trial (\d+) value=(\S+)")
# Small objective settings so a trial takes well under a second on 2 cores.
FAST = ["--folds", "3", "--max-iter", "30"]


class Cluster:
    """One service process, its database file, and the worker processes started against it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.server = ServerProcess(
            f"sqlite:///{directory / 'hpo.db'}", log_path=directory / "server.log"
        )
        self.workers: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "HPO_DATA_DIR"},
            "PYTHONWARNINGS": "ignore",
        }

    @property
    def url(self) -> str:
        """The service's base URL."""
        return self.server.url

    def client(self) -> Client:
        """A client that rides out a short outage."""
        return Client(self.url, retries=30, backoff=0.1, max_backoff=1.0)

    def trainer(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one `hpo-trainer` command to completion."""
        command = [sys.executable, "-m", "trainer", *args, "--server", self.url]
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=120, check=True
        )

    def create_study(self, problem: str, name: str, trials: int = 12, lease: int = 3) -> None:
        """`hpo-trainer create-study` with random search (fast suggestions), seeded."""
        self.trainer(
            "create-study", "--problem", problem, "--name", name, "--strategy", "random",
            "--max-trials", str(trials), "--lease-seconds", str(lease), "--seed", "0",
        )  # fmt: skip

    def start_worker(self, study: str, *extra: str) -> subprocess.Popen[bytes]:
        """`hpo-trainer -v work --study NAME` in its own process, logging to a file."""
        log = self.directory / f"worker-{len(self.workers)}.log"
        command = [sys.executable, "-m", "trainer", "work", "-v", "--study", study,
                   "--server", self.url, *extra]  # fmt: skip
        with open(log, "wb") as stream:
            process = subprocess.Popen(
                command, env=self.env, stdout=stream, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.workers.append((process, log))
        return process

    def wait_workers(self, timeout: float = 150.0) -> list[int]:
        """Wait for every worker to exit; return their exit codes."""
        deadline = time.monotonic() + timeout
        codes = []
        for process, _ in self.workers:
            codes.append(process.wait(timeout=max(1.0, deadline - time.monotonic())))
        return codes

    def reports(self) -> list[tuple[int, float]]:
        """Every (trial, value) a worker logged as accepted by the service."""
        found = []
        for _, log in self.workers:
            for match in REPORTED.finditer(log.read_text(errors="replace")):
                found.append((int(match.group(1)), float(match.group(2))))
        return found

    def logs(self) -> str:
        """All worker logs, concatenated (for assertion messages)."""
        return "\n".join(log.read_text(errors="replace")[-3000:] for _, log in self.workers)

    def stop(self) -> None:
        """Kill any worker still running and stop the server."""
        for process, _ in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.server.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A started service on a free port and a fresh SQLite file; stopped afterwards."""
    running = Cluster(tmp_path)
    running.server.start(timeout=60)
    yield running
    running.stop()


def wait_until(condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    """Poll until ``condition()`` holds; the limit only guards against a hang."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def assert_reports_kept(trials: list[Trial], reports: list[tuple[int, float]]) -> None:
    """Every value a worker saw accepted is the value the service holds for that trial."""
    held = {t.number: t.value for t in trials}
    assert reports, "no worker logged a report"
    for number, value in reports:
        assert held[number] == value, f"trial {number}: reported {value}, held {held[number]}"
