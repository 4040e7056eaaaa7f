"""GP proposals depend on history and seed only: not on what the process fitted before."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from hpo_service.api import create_app
from hpo_service.domain import FloatParam, Observation, SearchSpace
from hpo_service.optimisation.gp import surrogate

SPACE = [
    {"name": "x", "type": "float", "low": -2.0, "high": 2.0},
    {"name": "y", "type": "float", "low": -2.0, "high": 2.0},
]
TRIALS = 20


def _run(client: FlaskClient, name: str, trials: int) -> list[dict[str, Any]]:
    """Drive a seeded GP study serially with a fixed objective; return the configurations."""
    client.post(
        "/api/v1/studies",
        json={"name": name, "space": SPACE, "strategy": {"name": "gp", "seed": 7},
              "seed": 7, "max_trials": TRIALS, "direction": "minimize"},
    )  # fmt: skip
    seen = []
    for _ in range(trials):
        (trial,) = client.post(f"/api/v1/studies/{name}/suggestions", json={}).get_json()["trials"]
        params = trial["params"]
        value = (params["x"] - 0.5) ** 2 + (params["y"] + 0.3) ** 2
        client.post(
            f"/api/v1/studies/{name}/trials/{trial['number']}/report", json={"value": value}
        )
        seen.append(params)
    return seen


def test_two_identical_studies_in_one_process_get_identical_trials(tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    client = app.test_client()
    try:
        first = _run(client, "first", TRIALS)
        # The second study runs on a process whose fit cache holds the first study's fits
        # (same space and seed); a third one interleaves with a half-done fourth.
        second = _run(client, "second", TRIALS)
        _run(client, "fourth", TRIALS // 2)
        surrogate.clear_cache()
        third = _run(client, "third", TRIALS)
    finally:
        app.extensions["hpo_service"].database.dispose()
    assert len(first) == TRIALS
    assert second == first
    assert third == first


def test_concurrent_fits_of_one_history_run_once() -> None:
    space = SearchSpace((FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0)))
    observations = [
        Observation({"x": i / 23, "y": (i * 7 % 23) / 23}, float(i % 5)) for i in range(23)
    ]
    surrogate.clear_cache()
    calls: list[int] = []
    original = surrogate.fit_hyperparameters

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[0]))
        return original(*args, **kwargs)

    surrogate.fit_hyperparameters = counting  # type: ignore[assignment]
    try:
        results: list[Any] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(surrogate.build_surrogate(space, observations, 3))
            )
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        surrogate.fit_hyperparameters = original  # type: ignore[assignment]
    assert len(results) == 6
    assert sorted(calls) == [8, 16, 23]  # one fit per checkpoint and one for the history
    assert all(r.best == results[0].best for r in results)
