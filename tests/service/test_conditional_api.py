"""Conditional parameters over REST (SQLite and PostgreSQL): definition, suggestions, checks."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask.testing import FlaskClient

from hpo_service.wire import space_from_json, space_to_json
from tests.conftest import study_body
from tests.service.test_studies_api import assert_problem

URL = "/api/v1/studies/cancer-mlp"
SPACE: list[dict[str, Any]] = [
    {"name": "n_layers", "type": "int", "low": 1, "high": 3},
    {
        "name": "units_2",
        "type": "int",
        "low": 8,
        "high": 64,
        "condition": {"param": "n_layers", "in": [2, 3]},
    },
    {"name": "solver", "type": "categorical", "choices": ["adam", "sgd"]},
    {
        "name": "momentum",
        "type": "float",
        "low": 0.0,
        "high": 0.99,
        "condition": {"param": "solver", "in": ["sgd"]},
    },
]
SHALLOW = {"n_layers": 1, "solver": "adam"}


def create(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    """Create the conditional study and return its JSON."""
    response = client.post("/api/v1/studies", json=study_body(space=SPACE, **overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def suggest(client: FlaskClient, count: int) -> list[dict[str, Any]]:
    """Suggest ``count`` trials and return them."""
    response = client.post(f"{URL}/suggestions", json={"worker_id": "w", "count": count})
    assert response.status_code == 200, response.get_data(as_text=True)
    trials: list[dict[str, Any]] = response.get_json()["trials"]
    return trials


def active_names(params: dict[str, Any]) -> list[str]:
    """The names a configuration must hold, worked out by hand from SPACE's conditions."""
    names = ["n_layers"] + (["units_2"] if params["n_layers"] in (2, 3) else []) + ["solver"]
    return names + (["momentum"] if params["solver"] == "sgd" else [])


def test_the_condition_round_trips_through_the_stored_study(client: FlaskClient) -> None:
    body = create(client)
    assert body["space"][1]["condition"] == {"param": "n_layers", "in": [2, 3]}
    assert "condition" not in body["space"][0]
    again = client.get(URL).get_json()
    assert again["space"] == body["space"]


def test_a_stored_space_without_conditions_still_loads() -> None:
    old = [
        {"name": "lr", "type": "float", "low": 0.001, "high": 0.1, "log": True},
        {"name": "act", "type": "categorical", "choices": ["relu", "tanh"]},
    ]
    assert space_to_json(space_from_json(old)) == old


@pytest.mark.parametrize("strategy", ["random", "grid", "gp"])
def test_suggestions_hold_exactly_the_active_parameters(client: FlaskClient, strategy: str) -> None:
    create(client, strategy={"name": strategy, "seed": 1}, max_trials=None)
    for trial in suggest(client, 6):
        assert list(trial["params"]) == active_names(trial["params"])
        assert None not in trial["params"].values()
        value = trial["params"]["n_layers"] + (trial["params"]["solver"] == "sgd")
        report = client.post(f"{URL}/trials/{trial['number']}/report", json={"value": value})
        assert report.status_code == 200
    for trial in suggest(client, 2):  # the gp now fits on those six
        assert list(trial["params"]) == active_names(trial["params"])


def test_grid_size_counts_the_tree(client: FlaskClient) -> None:
    grid = {"n_layers": 3, "units_2": 2, "momentum": 2}
    body = create(client, strategy={"name": "grid", "grid": grid}, max_trials=None)
    # n_layers 1 | (2, 3) x units_2 {8, 64};  solver adam | sgd x momentum {0, 0.99}
    assert body["max_trials"] == (1 + 2 * 2) * (1 + 2)
    trials = suggest(client, 15)
    assert len({tuple(sorted(t["params"].items())) for t in trials}) == 15
    assert_problem(client.post(f"{URL}/suggestions", json={}), 409)


def test_a_value_for_an_inactive_parameter_is_a_422_naming_the_condition(
    client: FlaskClient,
) -> None:
    create(client)
    body = assert_problem(
        client.post(f"{URL}/trials", json={"params": {**SHALLOW, "units_2": 16}}),
        422,
        "'units_2' is inactive",
        "n_layers in [2, 3]",
        "n_layers = 1",
        "leave 'units_2' out",
    )
    assert body["code"] == "invalid-params"
    assert_problem(
        client.post(f"{URL}/trials", json={"params": {**SHALLOW, "momentum": None}}), 422
    )
    assert_problem(
        client.post(f"{URL}/trials", json={"params": {"n_layers": 2, "solver": "adam"}}),
        422,
        "missing values for parameters ['units_2']",
    )
    queued = client.post(f"{URL}/trials", json={"params": SHALLOW, "value": 0.5})
    assert queued.status_code == 201 and queued.get_json()["params"] == SHALLOW


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        ({"param": "nope", "in": [1]}, "listed earlier"),
        ({"param": "n_layers", "in": [7]}, "'in' value 7 is invalid"),
        ({"param": "n_layers", "in": [2, 2]}, "repeated"),
        ({"param": "n_layers", "in": []}, "in"),
        ({"param": "n_layers"}, "in"),
    ],
)
def test_bad_conditions_are_422(
    client: FlaskClient, condition: dict[str, Any], fragment: str
) -> None:
    space = [*SPACE, {"name": "extra", "type": "int", "low": 1, "high": 2, "condition": condition}]
    response = client.post("/api/v1/studies", json=study_body(space=space))
    assert_problem(response, 422, fragment)


def test_a_float_parent_is_refused(client: FlaskClient) -> None:
    space = [*SPACE, {**SPACE[1], "name": "z", "condition": {"param": "momentum", "in": [0.5]}}]
    response = client.post("/api/v1/studies", json=study_body(space=space))
    assert_problem(response, 422, "only categorical or int parameters can be parents")


def test_export_leaves_inactive_cells_blank_and_analyses_work(client: FlaskClient) -> None:
    create(client, strategy={"name": "gp", "seed": 0})
    configs = [
        ({"n_layers": 1, "solver": "adam"}, 0.6),
        ({"n_layers": 2, "units_2": 32, "solver": "sgd", "momentum": 0.9}, 0.9),
        ({"n_layers": 3, "units_2": 8, "solver": "adam"}, 0.7),
        ({"n_layers": 1, "solver": "sgd", "momentum": 0.1}, 0.65),
    ]
    for params, value in configs:
        client.post(f"{URL}/trials", json={"params": params, "value": value})
    text = client.get(f"{URL}/export?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["params.units_2"] for r in rows] == ["", "32", "8", ""]
    assert [r["params.momentum"] for r in rows] == ["", "0.9", "", "0.1"]
    importance = client.get(f"{URL}/importance").get_json()
    assert {i["param"] for i in importance["importance"]} == {s["name"] for s in SPACE}
    slice_ = client.get(f"{URL}/surrogate?param=momentum&points=10").get_json()
    assert [o["x"] for o in slice_["observed"]] == [0.9, 0.1]
    assert slice_["held"]["solver"] == "sgd"
