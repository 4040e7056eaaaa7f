"""Real servers under concurrent workers: atomic suggest, restarts lose nothing."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hpo_service.persistence.migrate import upgrade
from tests.conftest import temporary_postgres
from tests.servers import ServerProcess

BUDGET = 400
THREADS = 32
GRID_SPACE = [
    {"name": "x", "type": "float", "low": -5.0, "high": 5.0},
    {"name": "y", "type": "float", "low": 0.0, "high": 10.0},
]


def _study(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "direction": "minimize",
        "space": GRID_SPACE,
        "strategy": {"name": "grid", "grid": 20},
        "max_trials": BUDGET,
    }


def _worker(
    base: str,
    name: str,
    worker_id: str,
    errors: list[str],
    reported: list[tuple[int, tuple[float, float]]],
) -> None:
    with httpx.Client(base_url=base, timeout=60) as http:
        while True:
            response = http.post(
                f"/api/v1/studies/{name}/suggestions", json={"worker_id": worker_id}
            )
            if response.status_code == 409:
                return
            if response.status_code != 200:
                errors.append(f"suggest {response.status_code}: {response.text}")
                return
            for trial in response.json()["trials"]:
                params = trial["params"]
                value = params["x"] ** 2 + params["y"]
                report = http.post(
                    f"/api/v1/studies/{name}/trials/{trial['number']}/report", json={"value": value}
                )
                if report.status_code != 200:
                    errors.append(f"report {report.status_code}: {report.text}")
                reported.append((trial["number"], (params["x"], params["y"])))


def run_workers(base: str, name: str) -> tuple[list[str], list[tuple[int, tuple[float, float]]]]:
    """32 threads suggest and report until the budget is used."""
    errors: list[str] = []
    reported: list[tuple[int, tuple[float, float]]] = []
    threads = [
        threading.Thread(target=_worker, args=(base, name, f"w{i}", errors, reported))
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return errors, reported


def _assert_complete(
    base: str, name: str, errors: list[str], reported: list[tuple[int, tuple[float, float]]]
) -> None:
    assert errors == []
    numbers = Counter(number for number, _ in reported)
    assert sorted(numbers) == list(range(BUDGET))
    assert max(numbers.values()) == 1
    assert len({point for _, point in reported}) == BUDGET
    summary = httpx.get(f"{base}/api/v1/studies/{name}").json()
    assert summary["trial_counts"]["complete"] == BUDGET
    assert summary["state"] == "completed"


def _use_the_budget(server: ServerProcess) -> None:
    """Start the server, create the grid study, run 32 threads, check the outcome."""
    server.start()
    try:
        assert httpx.post(f"{server.url}/api/v1/studies", json=_study("grid")).status_code == 201
        errors, reported = run_workers(server.url, "grid")
        _assert_complete(server.url, "grid", errors, reported)
    finally:
        server.stop()


@pytest.mark.slow
def test_32_threads_on_sqlite_builtin_server(tmp_path: Path) -> None:
    _use_the_budget(ServerProcess(f"sqlite:///{tmp_path / 'c.db'}", log_path=tmp_path / "s.log"))


@pytest.mark.slow
def test_32_threads_on_gunicorn_4_workers_postgres(tmp_path: Path) -> None:
    with temporary_postgres("hpo_gunicorn") as url:
        upgrade(url)
        _use_the_budget(ServerProcess(url, workers=4, log_path=tmp_path / "g.log"))


@pytest.fixture(params=["sqlite", "postgres"])
def server_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at head for a real server process: an SQLite file or a new PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'r.db'}"
        return
    with temporary_postgres("hpo_restart") as url:
        upgrade(url)
        yield url


@pytest.mark.slow
def test_restart_mid_study_loses_nothing(server_database: str, tmp_path: Path) -> None:
    server = ServerProcess(server_database, log_path=tmp_path / "r.log").start()
    body = {
        "name": "r",
        "direction": "maximize",
        "space": GRID_SPACE,
        "strategy": {"name": "random", "seed": 3},
        "max_trials": 10,
    }
    with httpx.Client(base_url=server.url, timeout=30) as http:
        http.post("/api/v1/studies", json=body)
        first = http.post("/api/v1/studies/r/suggestions", json={"count": 4}).json()["trials"]
        for trial in first[:3]:
            http.post(f"/api/v1/studies/r/trials/{trial['number']}/report", json={"value": 1.0})
    server.stop(kill=True)
    server = ServerProcess(server_database, port=server.port, log_path=tmp_path / "r.log").start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            trials = http.get("/api/v1/studies/r/trials").json()["trials"]
            assert [t["state"] for t in trials] == ["complete"] * 3 + ["running"]
            assert [t["params"] for t in trials] == [t["params"] for t in first]
            late = http.post("/api/v1/studies/r/trials/3/report", json={"value": 2.0})
            assert late.status_code == 200
            rest = http.post("/api/v1/studies/r/suggestions", json={"count": 10}).json()
            assert [t["number"] for t in rest["trials"]] == list(range(4, 10))
            assert http.get("/api/v1/studies/r/best").json()["number"] == 3
    finally:
        server.stop()
