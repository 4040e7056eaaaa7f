"""Several objectives and constraints over REST: contract, validation, Pareto front, export."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import SPACE
from tests.service.test_studies_api import assert_problem

STUDIES = "/api/v1/studies"
URL = f"{STUDIES}/mo"
OBJECTIVES = [
    {"name": "cv_accuracy", "direction": "maximize"},
    {"name": "fit_seconds", "direction": "minimize"},
]


def mo_body(**overrides: Any) -> dict[str, Any]:
    """A two-objective study with a constraint on fit_seconds."""
    body: dict[str, Any] = {
        "name": "mo",
        "space": SPACE,
        "objectives": OBJECTIVES,
        "constraints": [{"name": "fit_seconds", "max": 60}],
        "strategy": {"name": "random"},
        "seed": 1,
    }
    body.update(overrides)
    return body


def create(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    """Create the study; return its JSON."""
    response = client.post(STUDIES, json=mo_body(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def run(client: FlaskClient, values: dict[str, float]) -> dict[str, Any]:
    """Suggest one trial and report ``values``; return the reported trial."""
    trial = client.post(f"{URL}/suggestions", json={}).get_json()["trials"][0]
    response = client.post(f"{URL}/trials/{trial['number']}/report", json={"values": values})
    assert response.status_code == 200, response.get_data(as_text=True)
    reported: dict[str, Any] = response.get_json()
    return reported


def test_study_json_shows_objectives_and_the_first_as_direction_and_metric(
    client: FlaskClient,
) -> None:
    body = create(client)
    assert body["objectives"] == OBJECTIVES
    assert body["constraints"] == [{"name": "fit_seconds", "min": None, "max": 60.0}]
    assert (body["direction"], body["metric"]) == ("maximize", "cv_accuracy")
    assert body["reference_point"] is None
    assert client.get(URL).get_json()["objectives"] == OBJECTIVES


def test_single_objective_study_is_unchanged_but_lists_its_one_objective(
    client: FlaskClient,
) -> None:
    body = client.post(
        STUDIES, json={"name": "plain", "space": SPACE, "direction": "maximize", "metric": "acc"}
    ).get_json()
    assert body["objectives"] == [{"name": "acc", "direction": "maximize"}]
    assert body["constraints"] == []
    trial = client.post(f"{STUDIES}/plain/suggestions", json={}).get_json()["trials"][0]
    reported = client.post(f"{STUDIES}/plain/trials/0/report", json={"value": 0.5}).get_json()
    assert reported["value"] == 0.5
    assert reported["values"] == {"acc": 0.5}
    assert reported["feasible"] is True
    assert trial["values"] is None and trial["feasible"] is None
    # the one objective's name in values works too, and is the same report (idempotent)
    again = client.post(f"{STUDIES}/plain/trials/0/report", json={"values": {"acc": 0.5}})
    assert again.status_code == 200
    assert client.get(f"{STUDIES}/plain/best").get_json()["number"] == 0


def test_report_values_sets_value_values_and_feasibility(client: FlaskClient) -> None:
    create(client)
    ok = run(client, {"cv_accuracy": 0.9, "fit_seconds": 12.5})
    assert ok["state"] == "complete"
    assert ok["value"] == 0.9
    assert ok["values"] == {"cv_accuracy": 0.9, "fit_seconds": 12.5}
    assert ok["feasible"] is True
    slow = run(client, {"cv_accuracy": 0.99, "fit_seconds": 61})
    assert slow["state"] == "complete" and slow["feasible"] is False
    assert slow["end_reason"] == "reported"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"values": {"cv_accuracy": 0.9}}, "missing ['fit_seconds']"),
        ({"values": {"cv_accuracy": 0.9, "fit_seconds": 1, "loss": 2}}, "unknown names ['loss']"),
        ({"value": 0.9}, 'report {"values"'),
        ({"value": 0.9, "values": {"cv_accuracy": 0.9, "fit_seconds": 1}}, "not both"),
        ({"values": {"cv_accuracy": "high", "fit_seconds": 1}}, ""),
        ({}, ""),
    ],
)
def test_bad_reports_are_422_and_record_nothing(
    client: FlaskClient, body: dict[str, Any], fragment: str
) -> None:
    create(client)
    client.post(f"{URL}/suggestions", json={})
    response = client.post(f"{URL}/trials/0/report", json=body)
    assert_problem(response, 422, fragment)
    trial = client.get(f"{URL}/trials/0").get_json()
    assert trial["state"] == "running"
    assert trial["values"] is None and trial["value"] is None


def test_non_finite_values_are_422(client: FlaskClient) -> None:
    create(client)
    client.post(f"{URL}/suggestions", json={})
    response = client.post(
        f"{URL}/trials/0/report",
        data='{"values": {"cv_accuracy": NaN, "fit_seconds": 1}}',
        content_type="application/json",
    )
    assert response.status_code in (400, 422)
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "running"


def test_a_different_values_report_is_a_conflict(client: FlaskClient) -> None:
    create(client)
    run(client, {"cv_accuracy": 0.9, "fit_seconds": 10})
    again = client.post(
        f"{URL}/trials/0/report", json={"values": {"cv_accuracy": 0.9, "fit_seconds": 10}}
    )
    assert again.status_code == 200
    other = client.post(
        f"{URL}/trials/0/report", json={"values": {"cv_accuracy": 0.9, "fit_seconds": 11}}
    )
    assert_problem(other, 409, "cannot replace")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (
            {"objectives": [OBJECTIVES[0], {"name": "cv_accuracy", "direction": "minimize"}]},
            "unique",
        ),
        ({"constraints": [{"name": "fit_seconds", "min": 5, "max": 1}]}, "must be below"),
        ({"constraints": [{"name": "c", "max": 1}, {"name": "c", "min": 0}]}, "unique"),
        ({"direction": "minimize"}, "differs from the first objective"),
        ({"metric": "loss"}, "differs from the first objective"),
        ({"strategy": {"name": "bayes_opt"}}, "bayes_opt"),
        ({"strategy": {"name": "gp", "acquisition": "ucb"}}, "acquisition 'ucb'"),
        ({"reference_point": {"cv_accuracy": 0.5}}, "exactly one number for each"),
        ({"objectives": [{"name": "bad name", "direction": "maximize"}]}, ""),
        ({"objectives": [{"name": "a", "direction": "up"}]}, ""),
        ({"constraints": [{"name": "fit_seconds", "limit": 3}]}, ""),
        ({"objectives": [{"name": f"o{i}", "direction": "minimize"} for i in range(4)]}, ""),
    ],
)
def test_bad_definitions_are_422_and_create_nothing(
    client: FlaskClient, overrides: dict[str, Any], fragment: str
) -> None:
    response = client.post(STUDIES, json=mo_body(**overrides))
    assert_problem(response, 422, fragment)
    assert client.get(URL).status_code == 404


def test_optuna_convention_constraint_means_at_most_zero(client: FlaskClient) -> None:
    create(client, constraints=[{"name": "c1"}])
    assert client.get(URL).get_json()["constraints"] == [{"name": "c1", "min": None, "max": 0.0}]
    feasible = run(client, {"cv_accuracy": 0.8, "fit_seconds": 3, "c1": 0.0})
    infeasible = run(client, {"cv_accuracy": 0.8, "fit_seconds": 3, "c1": 0.01})
    assert feasible["feasible"] is True and infeasible["feasible"] is False


def test_pareto_front_hypervolume_and_best(client: FlaskClient) -> None:
    create(client, reference_point={"cv_accuracy": 0.5, "fit_seconds": 60})
    run(client, {"cv_accuracy": 0.9, "fit_seconds": 30})  # 0: front
    run(client, {"cv_accuracy": 0.8, "fit_seconds": 10})  # 1: front
    run(client, {"cv_accuracy": 0.7, "fit_seconds": 40})  # 2: dominated by 0 and 1
    run(client, {"cv_accuracy": 0.99, "fit_seconds": 90})  # 3: infeasible (fit_seconds > 60)
    trial = client.post(f"{URL}/suggestions", json={}).get_json()["trials"][0]  # 4: failed
    client.post(f"{URL}/trials/{trial['number']}/fail", json={"reason": "oom"})
    front = client.get(f"{URL}/pareto").get_json()
    assert [t["number"] for t in front["trials"]] == [0, 1]
    assert front["reference"] == "declared"
    assert front["reference_point"] == {"cv_accuracy": 0.5, "fit_seconds": 60.0}
    # maximised: (0.9, -30), (0.8, -10) above (0.5, -60):
    # 0.4 * 30 (trial 0 alone) + 0.3 * 20 (what trial 1 adds)
    assert front["hypervolume"] == pytest.approx(0.4 * 30 + 0.3 * 20)
    assert [h["number"] for h in front["hypervolume_history"]] == [0, 1, 2]
    volumes = [h["hypervolume"] for h in front["hypervolume_history"]]
    assert volumes == pytest.approx([12.0, 18.0, 18.0])
    assert (front["feasible_trials"], front["infeasible_trials"]) == (3, 1)
    assert client.get(f"{URL}/best").get_json() == front


def test_derived_reference_point(client: FlaskClient) -> None:
    create(client)
    run(client, {"cv_accuracy": 0.9, "fit_seconds": 30})
    run(client, {"cv_accuracy": 0.8, "fit_seconds": 10})
    front = client.get(f"{URL}/pareto").get_json()
    assert front["reference"] == "derived"
    # nadir (0.8 accuracy, 30 s) moved by 10% of the ranges (0.1 and 20 s)
    assert front["reference_point"]["cv_accuracy"] == pytest.approx(0.79)
    assert front["reference_point"]["fit_seconds"] == pytest.approx(32.0)


def test_empty_front_before_any_feasible_trial(client: FlaskClient) -> None:
    create(client)
    run(client, {"cv_accuracy": 0.9, "fit_seconds": 100})
    front = client.get(f"{URL}/pareto").get_json()
    assert front["trials"] == [] and front["hypervolume"] is None
    assert front["infeasible_trials"] == 1


def test_single_objective_constrained_best_is_the_best_feasible(client: FlaskClient) -> None:
    create(client, objectives=[OBJECTIVES[0]])
    body = client.get(URL).get_json()
    assert body["constraints"][0]["name"] == "fit_seconds"
    run(client, {"cv_accuracy": 0.99, "fit_seconds": 100})
    run(client, {"cv_accuracy": 0.9, "fit_seconds": 10})
    assert client.get(f"{URL}/best").get_json()["number"] == 1
    assert client.get(URL).get_json()["best_value"] == 0.9


def test_recording_evaluated_trials_with_values(client: FlaskClient) -> None:
    create(client)
    params = {"learning_rate_init": 0.01, "hidden_layers": 2, "activation": "relu"}
    response = client.post(
        f"{URL}/trials", json={"params": params, "values": {"cv_accuracy": 0.9, "fit_seconds": 3}}
    )
    assert response.status_code == 201
    assert response.get_json()["feasible"] is True
    bad = client.post(f"{URL}/trials", json={"params": params, "value": 0.9})
    assert_problem(bad, 422, "fit_seconds")
    assert len(client.get(f"{URL}/trials").get_json()["trials"]) == 1


def test_export_carries_values_and_feasibility(client: FlaskClient) -> None:
    create(client)
    run(client, {"cv_accuracy": 0.9, "fit_seconds": 30})
    run(client, {"cv_accuracy": 0.95, "fit_seconds": 70})
    text = client.get(f"{URL}/export?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["values.fit_seconds"] for r in rows] == ["30.0", "70.0"]
    assert [r["feasible"] for r in rows] == ["True", "False"]
    exported = client.get(f"{URL}/export").get_json()
    assert exported["study"]["objectives"] == OBJECTIVES
    assert exported["trials"][1]["values"] == {"cv_accuracy": 0.95, "fit_seconds": 70.0}


@pytest.mark.parametrize("strategy", ["random", "grid", "gp"])
def test_every_strategy_suggests_for_several_objectives(client: FlaskClient, strategy: str) -> None:
    create(client, strategy={"name": strategy}, max_trials=8)
    for i in range(8):
        run(client, {"cv_accuracy": 0.5 + i / 20, "fit_seconds": 5.0 * (i % 4) + 1})
    front = client.get(f"{URL}/pareto").get_json()
    assert front["trials"], front
