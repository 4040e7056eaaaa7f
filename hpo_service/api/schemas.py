"""JSON Schemas of every request body: they validate requests and generate the OpenAPI doc."""

from __future__ import annotations

from typing import Any

NUMBER = {"type": "number"}
NAME = {"type": "string", "minLength": 1, "maxLength": 128}
WORKER_ID = {"type": "string", "minLength": 1, "maxLength": 256}
METADATA = {
    "type": "object",
    "description": "Free-form JSON stored with the trial (secondary metrics, host, ...).",
}
PARAM_VALUE = {"type": ["number", "string", "boolean"]}

CONDITION: dict[str, Any] = {
    "type": "object",
    "description": "Makes the parameter conditional: it is active only when parameter `param` "
    "(listed EARLIER in the space, categorical or int) is active and its value is one of `in`. "
    "An inactive parameter is absent from a configuration (never null): suggestions leave it "
    "out, and giving a value for it (POST /trials) is a 422 naming the condition. Conditions "
    "may nest (a parent may itself be conditional).",
    "required": ["param", "in"],
    "additionalProperties": False,
    "properties": {
        "param": {"type": "string", "description": "Name of an earlier categorical/int parameter"},
        "in": {
            "type": "array",
            "items": PARAM_VALUE,
            "minItems": 1,
            "maxItems": 1000,
            "description": "Unique valid values of the parent that make this parameter active",
        },
    },
}

PARAMETER: dict[str, Any] = {
    "type": "object",
    "description": "One search-space parameter. float/int need low < high (log needs low > 0); "
    "categorical needs a non-empty list of unique choices. An optional `condition` makes it "
    "active only for some values of an earlier parameter.",
    "required": ["name", "type"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "description": "Identifier-like: [A-Za-z_][A-Za-z0-9_]*"},
        "type": {"enum": ["float", "int", "categorical"]},
        "low": NUMBER,
        "high": NUMBER,
        "log": {"type": "boolean", "default": False},
        "choices": {"type": "array", "items": PARAM_VALUE, "minItems": 1, "maxItems": 1000},
        "condition": CONDITION,
    },
}

STRATEGY: dict[str, Any] = {
    "type": "object",
    "description": "Strategy and its options: random {seed}; grid {grid: n | {param: n}}; "
    "gp {acquisition: ei|ucb|pi, xi, kappa, n_initial, seed}. Defaults to gp with EI.",
    "required": ["name"],
    "properties": {"name": {"enum": ["random", "grid", "gp"]}, "seed": {"type": "integer"}},
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
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
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
        "params": {
            "type": "object",
            "additionalProperties": PARAM_VALUE,
            "description": "A value for every active parameter and none for inactive ones "
            "(a parameter whose condition does not hold must be left out).",
        },
        "value": {"type": ["number", "null"]},
        "metadata": METADATA,
    },
}

TRIAL_PATCH: dict[str, Any] = {
    "type": "object",
    "required": ["metadata"],
    "additionalProperties": False,
    "properties": {
        "metadata": {
            **METADATA,
            "description": "Keys merged into the trial's metadata (a key given replaces the "
            'stored one), e.g. {"rescore": {...}} from hpo-trainer rescore.',
        }
    },
}

INTERMEDIATE: dict[str, Any] = {
    "type": "object",
    "required": ["step", "value"],
    "additionalProperties": False,
    "properties": {"step": {"type": "integer", "minimum": 0}, "value": NUMBER},
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
    "TrialPatch": TRIAL_PATCH,
    "Parameter": PARAMETER,
    "Condition": CONDITION,
    "Strategy": STRATEGY,
}
