"""Many workers reporting intermediate values at once to a real server: nothing lost, and
every decision is the one the pruner gives on the same curves."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hpo_service.domain import Direction, IntermediateValue, TrialState
from hpo_service.optimisation.pruners import (
    Case,
    CurveRecord,
    build_pruner,
    decide_from_records,
    normalise_pruner,
)
from hpo_service.persistence.migrate import upgrade
from tests.conftest import temporary_postgres
from tests.servers import ServerProcess

THREADS = 12
EPOCHS = 15
PRUNER = {"name": "median", "n_startup_trials": 4, "n_warmup_steps": 2}
SPACE = [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]


def value(number: int, step: int) -> float:
    """A loss curve that falls with the step; its floor depends on the trial number."""
    return 1.0 / (step + 1) + (number * 37 % 11) / 20.0


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server: the built-in one on SQLite, or gunicorn with 4 workers on PostgreSQL."""
    if request.param == "sqlite":
        process = ServerProcess(f"sqlite:///{tmp_path / 'p.db'}", log_path=tmp_path / "p.log")
        yield process.start()
        process.stop()
        return
    with temporary_postgres("hpo_prune") as url:
        upgrade(url)
        process = ServerProcess(url, workers=4, log_path=tmp_path / "p.log")
        yield process.start()
        process.stop()


def _work(http: httpx.Client, number: int, stops: dict[int, int], errors: list[str]) -> None:
    """Report the curve (each point twice, as a retry would), prune where told to stop."""
    base = f"/api/v1/studies/p/trials/{number}"
    for step in range(EPOCHS):
        for _ in range(2):
            body = {"step": step, "value": value(number, step), "worker_id": f"w{number}"}
            answer = http.post(f"{base}/intermediate", json=body)
            if answer.status_code != 200:
                errors.append(f"{number}@{step}: {answer.status_code} {answer.text}")
                return
        if answer.json()["should_stop"]:
            stops[number] = step
            break
    pruned = http.post(f"{base}/prune", json={"worker_id": f"w{number}"})
    if pruned.status_code != 200:
        errors.append(f"prune {number}: {pruned.status_code} {pruned.text}")


def _complete_four(http: httpx.Client) -> list[CurveRecord]:
    records = []
    for trial in http.post("/api/v1/studies/p/suggestions", json={"count": 4}).json()["trials"]:
        number = trial["number"]
        for step in range(EPOCHS):
            body = {"step": step, "value": value(number, step)}
            http.post(f"/api/v1/studies/p/trials/{number}/intermediate", json=body)
        http.post(f"/api/v1/studies/p/trials/{number}/report", json={"value": 0.0})
        curve = tuple(IntermediateValue(s, value(number, s)) for s in range(EPOCHS))
        records.append(CurveRecord(number, TrialState.COMPLETE, curve))
    return records


def _expected_stop(number: int, records: list[CurveRecord]) -> int | None:
    pruner = build_pruner(normalise_pruner(PRUNER))
    for step in range(EPOCHS):
        curve = tuple(IntermediateValue(s, value(number, s)) for s in range(step + 1))
        case = Case("p", Direction.MINIMIZE, number, curve)
        if decide_from_records(pruner, case, records).should_stop:
            return step
    return None


@pytest.mark.slow
def test_concurrent_intermediate_reports_decide_as_the_pruner_does(
    server: ServerProcess,
) -> None:
    study: dict[str, Any] = {"name": "p", "space": SPACE, "pruner": PRUNER, "max_trials": 100}
    with httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.post("/api/v1/studies", json=study).status_code == 201
        records = _complete_four(http)
        numbers = [
            t["number"]
            for t in http.post("/api/v1/studies/p/suggestions", json={"count": THREADS}).json()[
                "trials"
            ]
        ]
        stops: dict[int, int] = {}
        errors: list[str] = []
        clients = [httpx.Client(base_url=server.url, timeout=60) for _ in numbers]
        threads = [
            threading.Thread(target=_work, args=(c, n, stops, errors))
            for c, n in zip(clients, numbers, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        for client in clients:
            client.close()
        assert errors == []
        expected = {n: _expected_stop(n, records) for n in numbers}
        assert stops == {n: s for n, s in expected.items() if s is not None}
        assert 0 < len(stops) < THREADS
        for number in numbers:
            trial = http.get(f"/api/v1/studies/p/trials/{number}").json()
            last = stops.get(number, EPOCHS - 1)
            assert [v["step"] for v in trial["intermediate_values"]] == list(range(last + 1))
            assert (trial["state"], trial["pruned_step"]) == ("pruned", last)
        assert http.get("/api/v1/studies/p").json()["trial_counts"]["pruned"] == THREADS
