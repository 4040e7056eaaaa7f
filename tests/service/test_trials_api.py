"""Trials over REST: suggest, report, fail, heartbeat, queueing, leases, listing, export."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import FakeClock, study_body
from tests.service.test_studies_api import assert_problem

URL = "/api/v1/studies/cancer-mlp"


def create(client: FlaskClient, **overrides: Any) -> None:
    """Create the example study."""
    response = client.post("/api/v1/studies", json=study_body(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)


def suggest(client: FlaskClient, count: int = 1, worker: str = "w1") -> list[dict[str, Any]]:
    """Suggest and return the trials."""
    response = client.post(f"{URL}/suggestions", json={"worker_id": worker, "count": count})
    assert response.status_code == 200, response.get_data(as_text=True)
    trials: list[dict[str, Any]] = response.get_json()["trials"]
    return trials


def test_suggest_hands_out_numbered_in_bounds_trials(client: FlaskClient) -> None:
    create(client)
    trials = suggest(client, 3)
    assert [t["number"] for t in trials] == [0, 1, 2]
    for trial in trials:
        params = trial["params"]
        assert 1e-4 <= params["learning_rate_init"] <= 0.1
        assert params["hidden_layers"] in (1, 2, 3)
        assert params["activation"] in ("relu", "tanh", "logistic")
        assert trial["state"] == "running"
        assert trial["lease_expires_at"].startswith("2026-01-01T12:10:00")
    assert len({str(t["params"]) for t in trials}) == 3


def test_same_seed_same_suggestions(client: FlaskClient) -> None:
    create(client)
    first = [t["params"] for t in suggest(client, 4)]
    create(client, name="twin")
    twin = client.post("/api/v1/studies/twin/suggestions", json={"count": 4}).get_json()
    assert [t["params"] for t in twin["trials"]] == first


def test_report_is_idempotent_and_conflicts_on_a_different_value(client: FlaskClient) -> None:
    create(client)
    suggest(client)
    first = client.post(f"{URL}/trials/0/report", json={"value": 0.93})
    again = client.post(f"{URL}/trials/0/report", json={"value": 0.93})
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert first.get_json()["state"] == "complete"
    body = assert_problem(client.post(f"{URL}/trials/0/report", json={"value": 0.5}), 409, "0.93")
    assert body["code"] == "trial-already-finished"
    assert client.get(f"{URL}/trials/0").get_json()["value"] == 0.93


def test_non_finite_values_are_rejected_unless_sent_as_failure(client: FlaskClient) -> None:
    create(client)
    suggest(client)
    for text in ('{"value": NaN}', '{"value": Infinity}', '{"value": -Infinity}'):
        response = client.post(f"{URL}/trials/0/report", data=text, content_type="application/json")
        assert_problem(response, 422, "not finite", "fail")
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "running"
    failed = client.post(f"{URL}/trials/0/fail", json={"reason": "loss was NaN"})
    assert failed.get_json()["state"] == "failed"
    assert failed.get_json()["failure_reason"] == "loss was NaN"
    assert client.post(f"{URL}/trials/0/fail", json={"reason": "x"}).status_code == 200
    assert_problem(client.post(f"{URL}/trials/0/report", json={"value": 1}), 409, "failed")


def test_unknown_trial_and_malformed_bodies(client: FlaskClient) -> None:
    create(client)
    assert_problem(client.post(f"{URL}/trials/7/report", json={"value": 1}), 404, "no trial 7")
    bad_json = client.post(
        f"{URL}/trials/0/report", data="{value: 1", content_type="application/json"
    )
    assert_problem(bad_json, 400, "not valid JSON")
    assert_problem(client.post(f"{URL}/trials/0/report", json=[1]), 400, "JSON object")
    assert_problem(client.post(f"{URL}/trials/0/report", json={"value": "high"}), 422, "value")
    assert_problem(client.post(f"{URL}/suggestions", json={"count": 0}), 422, "count")
    assert_problem(client.post(f"{URL}/suggestions", json={"count": "2"}), 422, "count")
    huge = client.post(
        f"{URL}/trials", data="x" * (2 * 1024 * 1024), content_type="application/json"
    )
    assert_problem(huge, 413, "larger than")


def test_enqueued_configurations_come_first(client: FlaskClient) -> None:
    create(client)
    params = {"learning_rate_init": 0.01, "hidden_layers": 2, "activation": "tanh"}
    queued = client.post(f"{URL}/trials", json={"params": params})
    assert queued.status_code == 201
    assert queued.get_json()["state"] == "pending"
    trial = suggest(client)[0]
    assert trial["number"] == 0
    assert trial["params"] == params
    assert suggest(client)[0]["number"] == 1
    wrong = {"learning_rate_init": 5.0, "hidden_layers": 2, "activation": "tanh"}
    assert_problem(client.post(f"{URL}/trials", json={"params": wrong}), 422, "outside")
    assert_problem(client.post(f"{URL}/trials", json={"params": {"x": 1}}), 422, "unknown")


def test_recording_an_evaluated_configuration(client: FlaskClient) -> None:
    create(client)
    params = {"learning_rate_init": 0.001, "hidden_layers": 1, "activation": "relu"}
    recorded = client.post(
        f"{URL}/trials", json={"params": params, "value": 0.95, "metadata": {"roc_auc": 0.99}}
    )
    assert recorded.status_code == 201
    body = recorded.get_json()
    assert (body["state"], body["value"], body["metadata"]) == ("complete", 0.95, {"roc_auc": 0.99})
    assert client.get(f"{URL}/best").get_json()["number"] == 0


def test_budget_and_completion(client: FlaskClient) -> None:
    create(client, max_trials=2)
    suggest(client, 2)
    body = assert_problem(client.post(f"{URL}/suggestions", json={}), 409, "budget")
    assert body["code"] == "budget-exhausted"
    client.post(f"{URL}/trials/0/report", json={"value": 0.5})
    assert client.get(URL).get_json()["state"] == "running"
    client.post(f"{URL}/trials/1/report", json={"value": 0.6})
    assert client.get(URL).get_json()["state"] == "completed"


def test_grid_hands_out_every_combination_once_then_completes(client: FlaskClient) -> None:
    create(client, strategy={"name": "grid", "grid": 2}, max_trials=None)
    assert client.get(URL).get_json()["max_trials"] == 2 * 2 * 3
    trials = suggest(client, 5) + suggest(client, 5) + suggest(client, 5)
    assert len(trials) == 12
    keys = {tuple(sorted(t["params"].items())) for t in trials}
    assert len(keys) == 12
    assert_problem(client.post(f"{URL}/suggestions", json={}), 409)
    for trial in trials:
        client.post(f"{URL}/trials/{trial['number']}/report", json={"value": 1.0})
    assert client.get(URL).get_json()["state"] == "completed"


def test_best_respects_direction_and_ties_go_to_the_earlier_trial(client: FlaskClient) -> None:
    create(client, direction="minimize", name="cancer-mlp")
    suggest(client, 4)
    for number, value in enumerate([0.3, 0.1, 0.1, 0.2]):
        client.post(f"{URL}/trials/{number}/report", json={"value": value})
    assert client.get(f"{URL}/best").get_json()["number"] == 1
    create(client, name="max")
    assert_problem(client.get("/api/v1/studies/max/best"), 404, "no complete trial")


def test_heartbeat_extends_the_lease(client: FlaskClient, clock: FakeClock) -> None:
    create(client, lease_seconds=60)
    suggest(client)
    clock.advance(50)
    beat = client.post(f"{URL}/trials/0/heartbeat", json={"worker_id": "w1"})
    assert beat.get_json()["lease_expires_at"].startswith("2026-01-01T12:01:50")
    clock.advance(50)
    assert suggest(client, worker="w2")[0]["number"] == 1
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "running"


def test_expired_lease_goes_stale_and_is_offered_again(
    client: FlaskClient, clock: FakeClock
) -> None:
    create(client, lease_seconds=60)
    original = suggest(client)[0]
    clock.advance(61)
    retry = suggest(client, worker="w2")[0]
    assert retry["number"] == 0
    assert retry["params"] == original["params"]
    assert (retry["retries"], retry["worker_id"], retry["state"]) == (1, "w2", "running")
    stale_beat = client.post(f"{URL}/trials/0/heartbeat", json={"worker_id": "w1"})
    assert_problem(stale_beat, 409, "w2")
    late = client.post(f"{URL}/trials/0/report", json={"value": 0.8})
    assert late.get_json()["state"] == "complete"
    assert_problem(client.post(f"{URL}/trials/0/heartbeat", json={"worker_id": "w2"}), 409)


def test_stale_trial_is_visible_and_revived_by_its_own_worker(
    client: FlaskClient, clock: FakeClock
) -> None:
    create(client, lease_seconds=60)
    suggest(client, 2)
    clock.advance(61)
    client.post(f"{URL}/trials/1/report", json={"value": 0.5})  # any write sweeps leases
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "stale"
    stale = client.get(f"{URL}/trials?state=stale").get_json()["trials"]
    assert [t["number"] for t in stale] == [0]
    beat = client.post(f"{URL}/trials/0/heartbeat", json={"worker_id": "w1"})
    assert beat.status_code == 200
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "running"
    assert suggest(client, worker="w2")[0]["number"] == 2


def test_retries_are_limited_then_the_trial_fails(client: FlaskClient, clock: FakeClock) -> None:
    create(client, lease_seconds=10, max_retries=1)
    suggest(client)
    clock.advance(11)
    assert suggest(client)[0]["retries"] == 1
    clock.advance(11)
    fresh = suggest(client)[0]
    assert fresh["number"] == 1
    failed = client.get(f"{URL}/trials/0").get_json()
    assert failed["state"] == "failed"
    assert failed["end_reason"] == "lease_expired"
    assert "lease expired" in failed["failure_reason"]
    late = client.post(f"{URL}/trials/0/report", json={"value": 0.4})
    assert late.status_code == 200
    assert late.get_json()["state"] == "complete"


def test_listing_paginates_and_filters(client: FlaskClient) -> None:
    create(client)
    suggest(client, 5)
    client.post(f"{URL}/trials/1/report", json={"value": 0.5})
    client.post(f"{URL}/trials/3/report", json={"value": 0.6})
    page = client.get(f"{URL}/trials?limit=2").get_json()
    assert [t["number"] for t in page["trials"]] == [0, 1]
    assert page["has_more"] and page["next_after"] == 1
    page = client.get(f"{URL}/trials?limit=2&after=1").get_json()
    assert [t["number"] for t in page["trials"]] == [2, 3]
    done = client.get(f"{URL}/trials?state=complete").get_json()["trials"]
    assert [t["number"] for t in done] == [1, 3]
    assert_problem(client.get(f"{URL}/trials?state=done"), 422, "done")
    assert_problem(client.get(f"{URL}/trials?limit=0"), 422, "limit")
    assert_problem(client.get(f"{URL}/trials?after=x"), 422, "after")


def test_changed_since_returns_only_changes(client: FlaskClient) -> None:
    create(client)
    suggest(client, 3)
    seq = client.get(f"{URL}/trials").get_json()["seq"]
    client.post(f"{URL}/trials/1/report", json={"value": 0.5})
    suggest(client)
    changes = client.get(f"{URL}/trials?changed_since={seq}").get_json()
    assert [t["number"] for t in changes["trials"]] == [1, 3]
    again = client.get(f"{URL}/trials?changed_since={changes['next_changed_since']}").get_json()
    assert again["trials"] == []


def test_intermediate_values(client: FlaskClient) -> None:
    create(client)
    suggest(client)
    for step, value in [(1, 0.5), (2, 0.7), (2, 0.7)]:
        response = client.post(f"{URL}/trials/0/intermediate", json={"step": step, "value": value})
        assert response.status_code == 200
        assert response.get_json()["should_stop"] is False
    assert_problem(
        client.post(f"{URL}/trials/0/intermediate", json={"step": 2, "value": 0.75}),
        409,
        "already reported 0.7 at step 2",
    )
    values = client.get(f"{URL}/trials/0").get_json()["intermediate_values"]
    assert values == [{"step": 1, "value": 0.5}, {"step": 2, "value": 0.7}]


def test_export_csv_and_json_have_one_row_per_trial(client: FlaskClient) -> None:
    create(client)
    suggest(client, 3)
    client.post(f"{URL}/trials/0/report", json={"value": 0.5})
    response = client.get(f"{URL}/export?format=csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["number"] for r in rows] == ["0", "1", "2"]
    assert rows[0]["value"] == "0.5" and rows[0]["params.hidden_layers"] in ("1", "2", "3")
    exported = client.get(f"{URL}/export?format=json").get_json()
    assert len(exported["trials"]) == 3
    assert_problem(client.get(f"{URL}/export?format=xml"), 422, "xml")


def test_study_completes_when_the_last_trial_runs_out_of_retries(
    client: FlaskClient, clock: FakeClock
) -> None:
    create(client, lease_seconds=10, max_retries=0, max_trials=1)
    suggest(client)
    clock.advance(11)
    assert_problem(client.post(f"{URL}/suggestions", json={}), 409, "budget of 1")
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "failed"
    assert client.get(URL).get_json()["state"] == "completed"


def test_a_broken_strategy_falls_back_to_random_and_logs_why(
    client: FlaskClient, monkeypatch: Any, caplog: Any
) -> None:
    from hpo_service import optimisation

    class Broken:
        def prepare(self, *args: Any) -> Any:
            raise FloatingPointError("Cholesky failed")

    class BrokenFactory:
        def normalise(self, config: Any, space: Any) -> dict[str, Any]:
            return {"name": "random"}

        def build(self, config: Any) -> Broken:
            return Broken()

    create(client)
    monkeypatch.setitem(optimisation.FACTORIES, "random", BrokenFactory())
    trials = suggest(client, 2)
    assert len(trials) == 2 and trials[0]["params"] != trials[1]["params"]
    assert "Cholesky failed" in caplog.text
    assert "proposing at random" in caplog.text


def test_expired_leases_read_as_stale_without_any_write(
    client: FlaskClient, clock: FakeClock
) -> None:
    create(client, lease_seconds=30)
    suggest(client, 2)
    client.post(f"{URL}/trials/1/heartbeat", json={})
    clock.advance(20)
    client.post(f"{URL}/trials/1/heartbeat", json={})
    clock.advance(20)
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "stale"
    counts = client.get(URL).get_json()["trial_counts"]
    assert (counts["stale"], counts["running"]) == (1, 1)
    listed = client.get("/api/v1/studies").get_json()["studies"][0]["trial_counts"]
    assert listed["stale"] == 1


def test_only_the_holder_can_fail_a_reoffered_trial_but_any_report_counts(
    client: FlaskClient, clock: FakeClock
) -> None:
    create(client, lease_seconds=10)
    suggest(client, worker="w1")
    clock.advance(11)
    assert suggest(client, worker="w2")[0]["number"] == 0
    refused = client.post(f"{URL}/trials/0/fail", json={"reason": "oom", "worker_id": "w1"})
    assert_problem(refused, 409, "only the worker holding it")
    late = client.post(f"{URL}/trials/0/report", json={"value": 0.7, "worker_id": "w1"})
    assert (late.get_json()["state"], late.get_json()["worker_id"]) == ("complete", "w1")


def test_budget_conflict_says_how_many_trials_are_still_out(client: FlaskClient) -> None:
    create(client, max_trials=2)
    suggest(client, 2)
    client.post(f"{URL}/trials/0/report", json={"value": 0.1})
    body = assert_problem(client.post(f"{URL}/suggestions", json={}), 409, "1 of them")
    assert body["unfinished"] == 1
    client.post(f"{URL}/trials/1/report", json={"value": 0.2})
    body = client.post(f"{URL}/suggestions", json={}).get_json()
    assert body["code"] == "study-not-running"


def test_a_full_last_page_says_there_is_no_more(client: FlaskClient) -> None:
    create(client)
    suggest(client, 4)
    last = client.get(f"{URL}/trials?limit=2&after=1").get_json()
    assert [t["number"] for t in last["trials"]] == [2, 3]
    assert (last["has_more"], last["next_after"]) == (False, None)


def test_patch_merges_metadata_and_best_by_rescore_names_the_recommendation(
    client: FlaskClient,
) -> None:
    create(client, direction="maximize")
    for value in (0.99, 0.97, 0.98):
        params = {"learning_rate_init": 0.01, "hidden_layers": 1 + len(str(value)) % 3,
                  "activation": ["relu", "tanh", "logistic"][int(value * 100) % 3]}  # fmt: skip
        body = {"params": params, "value": value, "metadata": {"host": "a"}}
        assert client.post(f"{URL}/trials", json=body).status_code == 201
    assert_problem(client.get(f"{URL}/best?by=rescore"), 404, "hpo-trainer rescore")
    assert_problem(client.get(f"{URL}/best?by=luck"), 422, "by must be one of")
    for number, value in ((0, 0.975), (2, 0.981)):
        answer = client.patch(
            f"{URL}/trials/{number}", json={"metadata": {"rescore": {"value": value}}}
        )
        assert answer.status_code == 200
        assert answer.get_json()["metadata"] == {"host": "a", "rescore": {"value": value}}
    assert client.get(f"{URL}/best").get_json()["number"] == 0  # the luckiest study value
    assert client.get(f"{URL}/best?by=rescore").get_json()["number"] == 2
    assert_problem(client.patch(f"{URL}/trials/2", json={"metadata": []}), 422)
    assert_problem(client.patch(f"{URL}/trials/9", json={"metadata": {}}), 404)
