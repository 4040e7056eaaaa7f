"""The OpenAPI 3.1 description, built from the same schemas that validate requests."""

from __future__ import annotations

from typing import Any

from hpo_service import __version__
from hpo_service.api.schemas import REQUEST_SCHEMAS

_TRIAL = {
    "type": "object",
    "properties": {
        "study": {"type": "string"},
        "number": {"type": "integer"},
        "params": {
            "type": "object",
            "description": "One value per active parameter; inactive conditional ones are absent",
        },
        "state": {"enum": ["pending", "running", "complete", "failed", "stale", "pruned"]},
        "value": {"type": ["number", "null"]},
        "worker_id": {"type": ["string", "null"]},
        "lease_expires_at": {"type": ["string", "null"], "format": "date-time"},
        "started_at": {"type": ["string", "null"], "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "duration_seconds": {"type": ["number", "null"]},
        "failure_reason": {"type": ["string", "null"]},
        "retries": {"type": "integer"},
        "intermediate_values": {"type": "array", "items": {"type": "object"}},
        "metadata": {"type": "object"},
        "seq": {"type": "integer"},
        "end_reason": {
            "enum": ["reported", "failed", "lease_expired", "pruned", None],
            "description": "Why a finished trial ended; null while unfinished.",
        },
        "pruned_step": {
            "type": ["integer", "null"],
            "description": "Step of a pruned trial's last intermediate value (its value).",
        },
    },
}
_DECISION = {
    "allOf": [
        {"$ref": "#/components/schemas/Trial"},
        {
            "type": "object",
            "properties": {
                "should_stop": {"type": "boolean"},
                "reason": {"type": ["string", "null"]},
            },
        },
    ],
    "description": "The trial and the pruner's answer: stop (then POST .../prune) or go on.",
}
_STUDY = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "direction": {"enum": ["minimize", "maximize"]},
        "metric": {"type": "string"},
        "space": {"type": "array", "items": {"$ref": "#/components/schemas/Parameter"}},
        "strategy": {"type": "object"},
        "max_trials": {"type": ["integer", "null"]},
        "lease_seconds": {"type": "integer"},
        "max_retries": {"type": "integer"},
        "seed": {"type": "integer"},
        "state": {"enum": ["running", "paused", "completed"]},
        "created_at": {"type": "string", "format": "date-time"},
        "trial_counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "best_value": {"type": ["number", "null"]},
        "best_trial": {"type": ["integer", "null"]},
        "last_activity": {"type": ["string", "null"], "format": "date-time"},
        "pruner": {"$ref": "#/components/schemas/Pruner"},
    },
}
_PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` names the error class.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
    },
}
RESPONSE_SCHEMAS = {
    "Trial": _TRIAL,
    "Study": _STUDY,
    "Problem": _PROBLEM,
    "IntermediateAnswer": _DECISION,
}

NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _op(
    summary: str,
    body: str | None = None,
    ok: Any = None,
    status: str = "200",
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": params or []}
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    content = {"application/json": {"schema": ok}} if ok else {}
    problem = {"application/problem+json": {"schema": _ref("Problem")}}
    op["responses"] = {
        status: {"description": "OK", "content": content},
        "4XX": {"description": "Client error", "content": problem},
    }
    return op


def _query(name: str, schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": text}


def _trial_paths() -> dict[str, Any]:
    base = "/api/v1/studies/{name}"
    trial = {"$ref": "#/components/schemas/Trial"}
    trials = {"type": "object", "properties": {"trials": {"type": "array", "items": trial}}}
    listing = [
        NAME,
        _query("state", {"type": "string"}, "Comma-separated states to keep"),
        _query("after", {"type": "integer"}, "Return trials numbered above this (pagination)"),
        _query("changed_since", {"type": "integer"}, "Return trials changed after this seq"),
        _query("limit", {"type": "integer", "maximum": 1000}, "Page size (default 100)"),
    ]
    return {
        f"{base}/suggestions": {
            "post": _op("Hand out trials to a worker", "SuggestRequest", trials, params=[NAME])
        },
        f"{base}/trials": {
            "get": _op("List trials (paginated, incremental)", ok=trials, params=listing),
            "post": _op(
                "Queue a configuration or record an evaluated one",
                "TrialCreate",
                trial,
                "201",
                [NAME],
            ),
        },
        f"{base}/trials/{{number}}": {
            "get": _op("One trial", ok=trial, params=[NAME, NUMBER]),
            "patch": _op(
                "Merge keys into its metadata", "TrialPatch", trial, params=[NAME, NUMBER]
            ),
        },
        f"{base}/trials/{{number}}/report": {
            "post": _op(
                "Report a value (idempotent)", "ReportRequest", trial, params=[NAME, NUMBER]
            )
        },
        f"{base}/trials/{{number}}/fail": {
            "post": _op("Report a failure", "FailRequest", trial, params=[NAME, NUMBER])
        },
        f"{base}/trials/{{number}}/heartbeat": {
            "post": _op(
                "Extend the lease", "HeartbeatRequest", {"type": "object"}, params=[NAME, NUMBER]
            )
        },
        f"{base}/trials/{{number}}/intermediate": {
            "post": _op(
                "Report an intermediate value (renews the lease); answers should_stop",
                "IntermediateRequest",
                _ref("IntermediateAnswer"),
                params=[NAME, NUMBER],
            )
        },
        f"{base}/trials/{{number}}/prune": {
            "post": _op(
                "End a stopped trial as pruned (idempotent)",
                "PruneRequest",
                trial,
                params=[NAME, NUMBER],
            )
        },
    }


def _study_paths() -> dict[str, Any]:
    study = _ref("Study")
    export = [NAME, _query("format", {"enum": ["csv", "json"]}, "Export format")]
    return {
        "/api/v1/studies": {
            "get": _op(
                "List studies with trial counts and best value",
                ok={"type": "object", "properties": {"studies": {"type": "array", "items": study}}},
            ),
            "post": _op("Create a study", "StudyCreate", study, "201"),
        },
        "/api/v1/studies/{name}": {
            "get": _op("One study", ok=study, params=[NAME]),
            "patch": _op(
                "Change state, budget, description or pruner", "StudyPatch", study, params=[NAME]
            ),
            "delete": _op("Delete a study and its trials", status="204", params=[NAME]),
        },
        "/api/v1/studies/{name}/best": {
            "get": _op(
                "Best trial by value, or the recommended one (best re-score)",
                ok=_ref("Trial"),
                params=[NAME, _query("by", {"enum": ["value", "rescore"]}, "value (default)")],
            )
        },
        "/api/v1/studies/{name}/export": {"get": _op("Export all trials", params=export)},
        "/healthz": {"get": _op("Liveness and database check", ok={"type": "object"})},
    }


EXTRA_PATHS: dict[str, Any] = {}


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hpo-service",
            "version": __version__,
            "description": "Hyperparameter optimisation over REST.",
        },
        "paths": {**_study_paths(), **_trial_paths(), **EXTRA_PATHS},
        "components": {"schemas": {**REQUEST_SCHEMAS, **RESPONSE_SCHEMAS}},
    }
