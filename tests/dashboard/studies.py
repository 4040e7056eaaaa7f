"""Build studies through the REST API, with trials in every state the dashboard draws."""

from __future__ import annotations

import time
from typing import Any

import httpx

SPACE = [
    {"name": "learning_rate", "type": "float", "low": 1e-4, "high": 0.1, "log": True},
    {"name": "layers", "type": "int", "low": 1, "high": 4},
    {"name": "activation", "type": "categorical", "choices": ["relu", "tanh", "logistic"]},
]


def create(api: httpx.Client, name: str, **extra: Any) -> None:
    """Create a maximised random-search study on the shared space (override with extra)."""
    body = {
        "name": name,
        "direction": "maximize",
        "metric": "accuracy",
        "space": SPACE,
        "strategy": {"name": "random"},
    }
    body.update(extra)
    body = {k: v for k, v in body.items() if v is not None}  # None drops a default
    response = api.post("/studies", json=body)
    assert response.status_code == 201, response.text


def params(i: int) -> dict[str, Any]:
    """A deterministic configuration."""
    return {
        "learning_rate": 10 ** (-4 + 3 * ((i * 7) % 10) / 10),
        "layers": 1 + i % 4,
        "activation": ["relu", "tanh", "logistic"][i % 3],
    }


def record(api: httpx.Client, name: str, values: list[float]) -> None:
    """Record already-evaluated trials."""
    for i, value in enumerate(values):
        response = api.post(f"/studies/{name}/trials", json={"params": params(i), "value": value})
        assert response.status_code == 201, response.text


def suggest(api: httpx.Client, name: str, count: int = 1) -> list[int]:
    """Hand out trials; return their numbers."""
    response = api.post(f"/studies/{name}/suggestions", json={"worker_id": "w1", "count": count})
    assert response.status_code == 200, response.text
    return [t["number"] for t in response.json()["trials"]]


def train(api: httpx.Client, name: str, curve: list[float]) -> int:
    """A handed-out trial that reports intermediate values, then its last one as its value."""
    (number,) = suggest(api, name)
    for step, value in enumerate(curve):
        api.post(
            f"/studies/{name}/trials/{number}/intermediate", json={"step": step, "value": value}
        )
    api.post(f"/studies/{name}/trials/{number}/report", json={"value": curve[-1]})
    return number


def prune(api: httpx.Client, name: str, curve: list[float]) -> int:
    """A handed-out trial that reports intermediate values and is then pruned."""
    (number,) = suggest(api, name)
    for step, value in enumerate(curve):
        api.post(
            f"/studies/{name}/trials/{number}/intermediate", json={"step": step, "value": value}
        )
    response = api.post(f"/studies/{name}/trials/{number}/prune", json={"worker_id": "w1"})
    assert response.status_code == 200, response.text
    return number


def fail(api: httpx.Client, name: str, count: int) -> None:
    """Trials that were handed out and failed."""
    for _ in range(count):
        (number,) = suggest(api, name)
        api.post(f"/studies/{name}/trials/{number}/fail", json={"reason": "diverged"})


def stale_and_running(api: httpx.Client, name: str) -> None:
    """One stale trial and one running retry (needs lease_seconds=1 on the study)."""
    suggest(api, name, count=2)
    time.sleep(1.2)
    suggest(api, name, count=1)  # expires both leases and re-offers the first as a retry


def counts(api: httpx.Client, name: str) -> dict[str, int]:
    """Trial counts per state."""
    counted: dict[str, int] = api.get(f"/studies/{name}").json()["trial_counts"]
    return counted
