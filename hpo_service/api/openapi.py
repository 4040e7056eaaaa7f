"""The OpenAPI 3.1 description, built from the same schemas that validate requests.

Every operation lists every status it can answer with, each with its content type and
schema (problem+json for errors; ``Retry-After`` on 503, ``WWW-Authenticate`` on 401),
so a client generator or schemathesis can rely on it.
"""

from __future__ import annotations

from typing import Any

from hpo_service import __version__
from hpo_service.api import responses as r
from hpo_service.api.responses import RESPONSE_SCHEMAS
from hpo_service.api.schemas import INT32_MAX, REQUEST_SCHEMAS
from hpo_service.api.schemas import NAME as NAME_SCHEMA

NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "schema": NAME_SCHEMA,
    "examples": {"study": {"value": "cancer-mlp"}},
}
NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
    "examples": {"first": {"value": 0}},
}
ERROR_TEXT = {
    "400": "Malformed body, or a Host header the service does not answer for",
    "401": "No valid API token (missing, unknown or revoked)",
    "403": "The token's role is below what this operation needs",
    "404": "No such study or trial in the caller's project (or no such token)",
    "409": "Valid, but clashes with the current state (name taken, budget used, ...)",
    "413": "The body is larger than 1 MiB",
    "415": "A write whose Content-Type is not application/json",
    "422": "The body or query is well-formed JSON but not valid; `detail` says how",
    "503": "The database is unavailable or busy; retry after Retry-After seconds",
}
READ_ERRORS = ("400", "401", "403", "404", "422", "503")
WRITE_ERRORS = ("400", "401", "403", "404", "409", "413", "415", "422", "503")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(status: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": ERROR_TEXT[status],
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }
    if status == "503":
        answer["headers"] = {
            "Retry-After": {
                "schema": {"type": "integer", "minimum": 0, "maximum": 3600},
                "required": True,
            }
        }
    if status == "401":
        answer["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return answer


def _op(
    summary: str,
    body: str | None = None,
    ok: Any = None,
    status: str = "200",
    params: list[dict[str, Any]] | None = None,
    *,
    errors: tuple[str, ...] | None = None,
    body_required: bool = True,
    content: dict[str, Any] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": list(params or [])}
    if body:
        op["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if content is None:
        content = {"application/json": {"schema": ok}} if ok else {}
    codes = errors if errors is not None else (WRITE_ERRORS if body else READ_ERRORS)
    op["responses"] = {
        status: {"description": "OK", "content": content} if content else {"description": "OK"},
        **{code: _error(code) for code in codes},
    }
    if public:
        op["security"] = []
    return op


def _query(name: str, schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": text}


def _trial_op(summary: str, body: str, ok: Any, required: bool = True) -> dict[str, Any]:
    return _op(summary, body, ok, params=[NAME, NUMBER], body_required=required)


def _trial_paths() -> dict[str, Any]:
    base = "/api/v1/studies/{name}"
    listing = [
        NAME,
        _query("state", {"type": "string", "maxLength": 200}, "Comma-separated states to keep"),
        _query(
            "after",
            {"type": "integer", "minimum": -1, "maximum": 2**31},
            "Return trials numbered above this (pagination)",
        ),
        _query(
            "changed_since",
            {"type": "integer", "minimum": 0, "maximum": 2**62},
            "Return trials changed after this seq",
        ),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page size (100)"),
    ]
    return {
        f"{base}/suggestions": {
            "post": _op(
                "Hand out trials to a worker (worker)",
                "SuggestRequest",
                r.TRIALS,
                params=[NAME],
                body_required=False,
            )
        },
        f"{base}/trials": {
            "get": _op("List trials, paginated or incremental (reader)", ok=r.PAGE, params=listing),
            "post": _op(
                "Queue a configuration or record an evaluated one (editor)",
                "TrialCreate",
                r.TRIAL_REF,
                "201",
                [NAME],
            ),
        },
        f"{base}/trials/{{number}}": {
            "get": _op("One trial (reader)", ok=r.TRIAL_REF, params=[NAME, NUMBER]),
            "patch": _trial_op(
                "Merge keys into its metadata, e.g. a re-score (worker)", "TrialPatch", r.TRIAL_REF
            ),
        },
        f"{base}/trials/{{number}}/report": {
            "post": _trial_op(
                "Report a value, idempotent; optionally take the next trial (worker)",
                "ReportRequest",
                _ref("ReportAnswer"),
            )
        },
        f"{base}/trials/{{number}}/release": {
            "post": _trial_op(
                "Give back a trial never started: queued again (worker)",
                "ReleaseRequest",
                r.TRIAL_REF,
                False,
            )
        },
        f"{base}/trials/{{number}}/fail": {
            "post": _trial_op("Report a failure (worker)", "FailRequest", r.TRIAL_REF, False)
        },
        f"{base}/trials/{{number}}/heartbeat": {
            "post": _trial_op("Extend the lease (worker)", "HeartbeatRequest", r.HEARTBEAT, False)
        },
        f"{base}/trials/{{number}}/intermediate": {
            "post": _trial_op(
                "Report an intermediate value, renews the lease; answers should_stop (worker)",
                "IntermediateRequest",
                _ref("IntermediateAnswer"),
            )
        },
        f"{base}/trials/{{number}}/prune": {
            "post": _trial_op(
                "End a stopped trial as pruned, idempotent (worker)",
                "PruneRequest",
                r.TRIAL_REF,
                False,
            )
        },
    }


def _study_paths() -> dict[str, Any]:
    export = [NAME, _query("format", {"enum": ["csv", "json"]}, "Export format (json)")]
    export_content = {
        "application/json": {"schema": r.EXPORT},
        "text/csv": {"schema": {"type": "string"}},
    }
    return {
        "/api/v1/studies": {
            "get": _op("The project's studies with trial counts and best value", ok=r.STUDIES),
            "post": _op("Create a study (editor)", "StudyCreate", r.STUDY_REF, "201"),
        },
        "/api/v1/studies/{name}": {
            "get": _op("One study (reader)", ok=r.STUDY_REF, params=[NAME]),
            "patch": _op(
                "Change state, budget, description or pruner (editor)",
                "StudyPatch",
                r.STUDY_REF,
                params=[NAME],
            ),
            "delete": _op("Delete a study and its trials (editor)", status="204", params=[NAME]),
        },
        "/api/v1/studies/{name}/best": {
            "get": _op(
                "Best feasible trial by value (default), by GP posterior mean (the "
                "recommendation of a noisy study), by re-score, or `recommended` (re-score if "
                "any, else posterior mean); `best_by` says which rule chose it; 409 for "
                "by=posterior below 2 complete trials. A study with several objectives "
                "answers its Pareto front, except by re-score (reader)",
                ok={"oneOf": [r.BEST, _ref("ParetoFront")]},
                params=[
                    NAME,
                    _query(
                        "by",
                        {"enum": ["value", "posterior", "rescore", "recommended"]},
                        "value (default)",
                    ),
                ],
                errors=(*READ_ERRORS, "409"),
            )
        },
        "/api/v1/studies/{name}/pareto": {
            "get": _op(
                "Pareto front of feasible complete trials, hypervolume and reference (reader)",
                ok=_ref("ParetoFront"),
                params=[NAME],
            )
        },
        "/api/v1/studies/{name}/export": {
            "get": _op("Export all trials (reader)", params=export, content=export_content)
        },
        "/healthz": {
            "get": _op(
                "Liveness and database check", ok=r.HEALTH, errors=("400", "503"), public=True
            )
        },
        "/api/v1/openapi.json": {
            "get": _op("This document", ok={"type": "object"}, errors=("400",), public=True)
        },
    }


def _token_paths() -> dict[str, Any]:
    token_id = {
        "name": "token_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
    }
    return {
        "/api/v1/tokens": {
            "get": _op("Active API tokens, never their secrets (admin)", ok=r.TOKENS),
            "post": _op(
                "Create an API token; the secret is in this answer only (admin)",
                "TokenCreate",
                _ref("TokenCreated"),
                "201",
            ),
        },
        "/api/v1/tokens/{token_id}": {
            "delete": _op(
                "Revoke a token at once, in every process; not the caller's own (admin)",
                status="204",
                params=[token_id],
                errors=(*READ_ERRORS, "409"),
            )
        },
    }


EXTRA_PATHS: dict[str, Any] = {}

SECURITY_TEXT = (
    "API tokens (`hpo token create`), sent as `Authorization: Bearer hpo_...`. Roles: "
    "reader (GETs), worker (+ suggest, heartbeat, intermediate, prune, report, fail, trial "
    "metadata), "
    "editor (+ create, patch, enqueue, delete studies), admin (+ tokens). A token sees "
    "only its project's studies (others answer 404). Optional on a loopback server. "
    "A project-less admin token (or any caller when auth is off) picks the project with "
    "the `X-HPO-Project` header (default `default`)."
)


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hpo-service",
            "version": __version__,
            "description": "Hyperparameter optimisation over REST. Writes must be "
            "`application/json`; errors are `application/problem+json`.",
        },
        "security": [{"bearerAuth": []}],
        "paths": {**_study_paths(), **_trial_paths(), **_token_paths(), **EXTRA_PATHS},
        "components": {
            "schemas": {**REQUEST_SCHEMAS, **RESPONSE_SCHEMAS},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": SECURITY_TEXT}
            },
        },
    }
