"""Trials resource: suggestions, reports, failures, heartbeats, queueing and listing."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from hpo_service.api.context import project, service
from hpo_service.api.decoding import int_arg, json_body, states_arg
from hpo_service.api.errors import error_body
from hpo_service.wire import decision_to_json, encode_time, page_to_json, trial_to_json

bp = Blueprint("trials", __name__, url_prefix="/api/v1/studies/<name>")

MAX_PAGE = 1000


@bp.post("/suggestions")
def suggest(name: str) -> Response:
    """Hand out trials to a worker: {"worker_id", "count"} -> {"trials": [...]}."""
    body = json_body("SuggestRequest", required=False)
    trials = service().suggest(project(), name, body.get("worker_id"), int(body.get("count", 1)))
    return jsonify({"trials": [trial_to_json(t) for t in trials]})


@bp.post("/trials/<int:number>/report")
def report(name: str, number: int) -> Response:
    """Record a trial's value (idempotent); with "next": N, then hand the same worker up
    to N trials -> the trial plus {"next": [...]} (and "next_problem" when none)."""
    body = json_body("ReportRequest")
    count = int(body.get("next", 0))
    trial, handed, why = service().report_then_suggest(project(), name, number, body, count)
    answer = trial_to_json(trial)
    if count:
        answer["next"] = [trial_to_json(t) for t in handed]
    if why is not None:
        answer["next_problem"] = error_body(why)
    return jsonify(answer)


@bp.post("/trials/<int:number>/fail")
def fail(name: str, number: int) -> Response:
    """Mark a trial failed with a reason."""
    body = json_body("FailRequest", required=False)
    trial = service().fail(project(), name, number, body.get("reason", ""), body.get("worker_id"))
    return jsonify(trial_to_json(trial))


@bp.post("/trials/<int:number>/release")
def release(name: str, number: int) -> Response:
    """Give back a handed-out trial that was never started (queued again; idempotent)."""
    body = json_body("ReleaseRequest", required=False)
    trial = service().release(project(), name, number, body.get("worker_id"))
    return jsonify(trial_to_json(trial))


@bp.post("/trials/<int:number>/heartbeat")
def heartbeat(name: str, number: int) -> Response:
    """Extend a running trial's lease -> {"lease_expires_at"}."""
    body = json_body("HeartbeatRequest", required=False)
    trial = service().heartbeat(project(), name, number, body.get("worker_id"))
    return jsonify(
        {"number": trial.number, "lease_expires_at": encode_time(trial.lease_expires_at)}
    )


@bp.post("/trials/<int:number>/intermediate")
def intermediate(name: str, number: int) -> Response:
    """Record a value reported during training -> the trial plus should_stop and reason."""
    body = json_body("IntermediateRequest")
    trial, decision = service().report_intermediate(
        project(), name, number, body["step"], body["value"], body.get("worker_id")
    )
    return jsonify(decision_to_json(trial, decision.should_stop, decision.reason))


@bp.post("/trials/<int:number>/prune")
def prune(name: str, number: int) -> Response:
    """End a trial as pruned at its last intermediate value (idempotent)."""
    body = json_body("PruneRequest", required=False)
    trial = service().prune(project(), name, number, body.get("worker_id"), body.get("metadata"))
    return jsonify(trial_to_json(trial))


@bp.post("/trials")
def add(name: str) -> tuple[Response, int]:
    """Queue a configuration to try next, or record one already evaluated (with "value")."""
    body = json_body("TrialCreate")
    trial = service().add_trial(
        project(), name, body["params"], body.get("value"), body.get("metadata"), body.get("values")
    )
    return jsonify(trial_to_json(trial)), 201


@bp.get("/trials")
def list_page(name: str) -> Response:
    """Trials by number after ``after``, or changed since ``changed_since``; paginated."""
    args = request.args
    limit = int_arg(args, "limit", 100, 1, MAX_PAGE) or 100
    after = int_arg(args, "after", None, -1, 2**31)
    changed_since = int_arg(args, "changed_since", None, 0, 2**62)
    page = service().list_trials(project(), name, states_arg(args), after, changed_since, limit)
    return jsonify(page_to_json(page, incremental=changed_since is not None, since=changed_since))


@bp.get("/trials/<int:number>")
def read(name: str, number: int) -> Response:
    """One trial."""
    return jsonify(trial_to_json(service().get_trial(project(), name, number)))


@bp.patch("/trials/<int:number>")
def annotate(name: str, number: int) -> Response:
    """Merge keys into a trial's metadata (a re-score, a note), whatever its state."""
    body = json_body("TrialPatch")
    return jsonify(trial_to_json(service().annotate(project(), name, number, body["metadata"])))
