"""The recommendation of a noisy study: best GP posterior mean, not the luckiest observation."""

from __future__ import annotations

from typing import Any

import numpy as np
from flask.testing import FlaskClient

from hpo_service.optimisation.gp.surrogate import clear_cache
from tests.conftest import study_body
from tests.service.test_studies_api import assert_problem

URL = "/api/v1/studies/noisy"
SPACE = [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]
LUCKY_X = 0.9


def truth(x: float) -> float:
    """A smooth objective with its maximum 1.0 at x = 0.3."""
    return 1.0 - 4.0 * (x - 0.3) ** 2


def noisy_study(client: FlaskClient, direction: str = "maximize") -> None:
    """31 noisy evaluations on a grid, and one lucky draw far from the optimum."""
    body = study_body(name="noisy", space=SPACE, direction=direction, metric="score")
    assert client.post("/api/v1/studies", json=body).status_code == 201
    sign = 1.0 if direction == "maximize" else -1.0
    rng = np.random.default_rng(7)
    points = [*np.linspace(0.0, 1.0, 31).tolist(), LUCKY_X]
    for k, x in enumerate(points):
        value = truth(x) + 0.05 * float(rng.normal())
        if k == len(points) - 1:
            value = 1.3  # the luckiest observation: truth(0.9) is -0.44
        answer = client.post(f"{URL}/trials", json={"params": {"x": x}, "value": sign * value})
        assert answer.status_code == 201, answer.get_data(as_text=True)


def lucky_number(client: FlaskClient) -> int:
    trials = client.get(f"{URL}/trials?limit=100").get_json()["trials"]
    return int(max(trials, key=lambda t: t["number"])["number"])


def test_best_by_posterior_is_not_the_luckiest_observation(client: FlaskClient) -> None:
    noisy_study(client)
    lucky = lucky_number(client)
    by_value = client.get(f"{URL}/best").get_json()
    assert (by_value["number"], by_value["best_by"]) == (lucky, "value")
    answer = client.get(f"{URL}/best?by=posterior")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["best_by"] == "posterior"
    assert abs(body["params"]["x"] - 0.3) <= 0.1, body["params"]
    assert body["posterior"]["mean"] > 0.9 and body["posterior"]["sd"] > 0.0
    ranking = client.get(f"{URL}/ranking?limit=100").get_json()
    means = [t["posterior_mean"] for t in ranking["trials"]]
    assert means == sorted(means, reverse=True) and len(means) == 32
    assert ranking["trials"][0]["number"] == body["number"]
    lucky_row = next(t for t in ranking["trials"] if t["number"] == lucky)
    assert lucky_row["value"] == 1.3 and lucky_row["posterior_mean"] < 0.5  # shrunk to its peers


def test_posterior_ranking_of_a_minimised_study_is_in_its_own_units(client: FlaskClient) -> None:
    noisy_study(client, direction="minimize")
    body = client.get(f"{URL}/best?by=posterior").get_json()
    assert abs(body["params"]["x"] - 0.3) <= 0.1
    assert body["posterior"]["mean"] < -0.9  # minimised: the best mean is the lowest
    assert client.get(f"{URL}/best").get_json()["value"] == -1.3


def test_ranking_is_the_same_from_a_cold_process(client: FlaskClient) -> None:
    noisy_study(client)
    first = client.get(f"{URL}/ranking?limit=5").get_json()
    clear_cache()  # a process that never fitted this history
    assert client.get(f"{URL}/ranking?limit=5").get_json() == first


def test_recommended_prefers_rescore_then_posterior(client: FlaskClient) -> None:
    noisy_study(client)
    posterior = client.get(f"{URL}/best?by=posterior").get_json()
    recommended = client.get(f"{URL}/best?by=recommended").get_json()
    assert (recommended["number"], recommended["best_by"]) == (posterior["number"], "posterior")
    client.patch(f"{URL}/trials/3", json={"metadata": {"rescore": {"value": 0.99}}})
    rescored = client.get(f"{URL}/best?by=recommended").get_json()
    assert (rescored["number"], rescored["best_by"]) == (3, "rescore")
    assert "posterior" not in rescored


def test_posterior_needs_two_complete_trials(client: FlaskClient) -> None:
    body = study_body(name="noisy", space=SPACE)
    assert client.post("/api/v1/studies", json=body).status_code == 201
    assert_problem(client.get(f"{URL}/best?by=posterior"), 409, "at least 2")
    assert_problem(client.get(f"{URL}/ranking"), 409, "at least 2")
    one: dict[str, Any] = {"params": {"x": 0.5}, "value": 1.0}
    assert client.post(f"{URL}/trials", json=one).status_code == 201
    # recommended falls back to the best value while a posterior is not possible
    fallback = client.get(f"{URL}/best?by=recommended").get_json()
    assert (fallback["number"], fallback["best_by"]) == (0, "value")
    assert_problem(client.get(f"{URL}/ranking?limit=0"), 422, "limit")
