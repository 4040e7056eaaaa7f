"""JSON Schemas of every request body: they validate requests and generate the OpenAPI doc."""

from __future__ import annotations

from typing import Any

from hpo_service.access import PROJECT_PATTERN
from hpo_service.domain import PARAM_NAME_PATTERN, STUDY_NAME_PATTERN

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
NUMBER = {"type": "number"}
NAME = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": STUDY_NAME_PATTERN}
PROJECT = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": PROJECT_PATTERN}
SEED = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
WORKER_ID = {"type": "string", "minLength": 1, "maxLength": 256}
METADATA = {
    "type": "object",
    "description": "Free-form JSON stored with the trial (secondary metrics, host, ...).",
}
PARAM_VALUE = {"type": ["number", "string", "boolean"]}

PARAMETER: dict[str, Any] = {
    "type": "object",
    "description": "One search-space parameter. float/int need low < high (log needs low > 0); "
    "categorical needs a non-empty list of unique choices.",
    "required": ["name", "type"],
    "additionalProperties": False,
    "properties": {
        "name": {
            "type": "string",
            "pattern": PARAM_NAME_PATTERN,
            "description": "Identifier-like: [A-Za-z_][A-Za-z0-9_]*, at most 64 characters",
        },
        "type": {"enum": ["float", "int", "categorical"]},
        "low": NUMBER,
        "high": NUMBER,
        "log": {"type": "boolean", "default": False},
        "choices": {"type": "array", "items": PARAM_VALUE, "minItems": 1, "maxItems": 1000},
    },
}

STRATEGY: dict[str, Any] = {
    "type": "object",
    "description": "Strategy and its options: random {seed}; grid {grid: n | {param: n}}; "
    "gp {acquisition: ei|ucb|pi, xi, kappa, n_initial, seed}. Defaults to gp with EI.",
    "required": ["name"],
    "properties": {"name": {"enum": ["random", "grid", "gp"]}, "seed": SEED},
}

STUDY_CREATE: dict[str, Any] = {
    "type": "object",
    "required": ["name", "space"],
    "additionalProperties": False,
    "properties": {
        "name": NAME,
        "direction": {"enum": ["minimize", "maximize"], "default": "minimize"},
        "metric": {"type": "string", "minLength": 1, "maxLength": 128, "default": "value"},
        "space": {"type": "array", "items": PARAMETER, "minItems": 1, "maxItems": 64},
        "strategy": STRATEGY,
        "max_trials": {"type": ["integer", "null"], "minimum": 1, "maximum": 1_000_000},
        "lease_seconds": {"type": "integer", "minimum": 1, "maximum": 604_800, "default": 600},
        "max_retries": {"type": "integer", "minimum": 0, "maximum": 100, "default": 3},
        "seed": SEED,
        "description": {"type": "string", "maxLength": 10_000},
    },
}

STUDY_PATCH: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "state": {"enum": ["running", "paused", "completed"]},
        "max_trials": {"type": ["integer", "null"], "minimum": 1, "maximum": 1_000_000},
        "description": {"type": "string", "maxLength": 10_000},
    },
}

SUGGEST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "worker_id": WORKER_ID,
        "count": {"type": "integer", "minimum": 1, "maximum": 64, "default": 1},
    },
}

REPORT: dict[str, Any] = {
    "type": "object",
    "required": ["value"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "number", "description": "Finite; report NaN/inf as a failure."},
        "metadata": METADATA,
        "worker_id": WORKER_ID,
    },
}

FAIL: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "reason": {"type": "string", "maxLength": 10_000},
        "worker_id": WORKER_ID,
    },
}

HEARTBEAT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"worker_id": WORKER_ID},
}

ADD_TRIAL: dict[str, Any] = {
    "type": "object",
    "required": ["params"],
    "additionalProperties": False,
    "properties": {
        "params": {"type": "object", "additionalProperties": PARAM_VALUE},
        "value": {"type": ["number", "null"]},
        "metadata": METADATA,
    },
}

INTERMEDIATE: dict[str, Any] = {
    "type": "object",
    "required": ["step", "value"],
    "additionalProperties": False,
    "properties": {
        "step": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
        "value": NUMBER,
    },
}

TOKEN_CREATE: dict[str, Any] = {
    "type": "object",
    "required": ["name", "role"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 128},
        "role": {"enum": ["reader", "worker", "editor", "admin"]},
        "project": {
            **PROJECT,
            "description": "The project the token may act in; omit for every project (admin)",
        },
    },
}

SESSION_CREATE: dict[str, Any] = {
    "type": "object",
    "required": ["token"],
    "additionalProperties": False,
    "properties": {"token": {"type": "string", "minLength": 1, "maxLength": 256}},
}

REQUEST_SCHEMAS: dict[str, dict[str, Any]] = {
    "StudyCreate": STUDY_CREATE,
    "StudyPatch": STUDY_PATCH,
    "SuggestRequest": SUGGEST,
    "ReportRequest": REPORT,
    "FailRequest": FAIL,
    "HeartbeatRequest": HEARTBEAT,
    "TrialCreate": ADD_TRIAL,
    "IntermediateRequest": INTERMEDIATE,
    "TokenCreate": TOKEN_CREATE,
    "SessionCreate": SESSION_CREATE,
    "Parameter": PARAMETER,
    "Strategy": STRATEGY,
}
