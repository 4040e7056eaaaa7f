"""JSON Schemas of every request body: they validate requests and generate the OpenAPI doc."""

from __future__ import annotations

from typing import Any

from hpo_service.access import PROJECT_PATTERN
from hpo_service.domain import PARAM_NAME_PATTERN, STUDY_NAME_PATTERN
from hpo_service.objectives import METRIC_NAME_PATTERN

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
        "condition": CONDITION,
    },
}

STRATEGY: dict[str, Any] = {
    "type": "object",
    "description": "Strategy and its options: random {seed}; grid {grid: n | {param: n}}; "
    "gp {acquisition: ei|ucb|pi, xi, kappa, greedy (share of suggestions that maximise the "
    "posterior mean, default 0), n_initial, seed}; bayes_opt (the "
    "bayesian-optimization library itself) {acquisition: ucb|ei|pi, kappa, xi, "
    "exploration_decay, exploration_decay_delay, init_points, liar: max|mean|min, seed}. "
    "Defaults to gp with EI.",
    "required": ["name"],
    "properties": {"name": {"enum": ["random", "grid", "gp", "bayes_opt"]}, "seed": SEED},
}

COUNT = {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}
POSITIVE = {"type": "integer", "minimum": 1, "maximum": 1_000_000_000}
FACTOR = {"type": "integer", "minimum": 2, "maximum": 1_000_000_000}

PRUNER: dict[str, Any] = {
    "type": "object",
    "description": "Early stopping, named and shaped as in Optuna (defaults in brackets): "
    "none; median {n_startup_trials [5], n_warmup_steps [0], interval_steps [1], "
    'n_min_trials [1]}; successive_halving {min_resource ["auto"], reduction_factor [4], '
    "min_early_stopping_rate [0], bootstrap_count [0]}; hyperband {min_resource [1], "
    "max_resource [100], reduction_factor [3], bootstrap_count [0]}. Other options are "
    "refused with a 422 that lists the pruner's options.",
    "required": ["name"],
    "properties": {
        "name": {"enum": ["none", "median", "successive_halving", "hyperband"]},
        "n_startup_trials": COUNT,
        "n_warmup_steps": COUNT,
        "interval_steps": POSITIVE,
        "n_min_trials": POSITIVE,
        "min_resource": {"oneOf": [POSITIVE, {"const": "auto"}]},
        "max_resource": POSITIVE,
        "reduction_factor": FACTOR,
        "min_early_stopping_rate": COUNT,
        "bootstrap_count": COUNT,
    },
}

METRIC_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 128,
    "pattern": METRIC_NAME_PATTERN,
    "description": "Letters, digits, '_', '.', '-'; starts with a letter or '_'",
}
OBJECTIVE: dict[str, Any] = {
    "type": "object",
    "description": "One objective: a metric name and whether to minimise or maximise it.",
    "required": ["name", "direction"],
    "additionalProperties": False,
    "properties": {"name": METRIC_NAME, "direction": {"enum": ["minimize", "maximize"]}},
}
CONSTRAINT: dict[str, Any] = {
    "type": "object",
    "description": "A metric that must satisfy min <= value <= max (bounds inclusive; give "
    "either or both). A name alone means value <= 0 (Optuna's convention). A trial that "
    "violates a constraint is complete with feasible=false; it never enters the Pareto front.",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": METRIC_NAME, "min": NUMBER, "max": NUMBER},
}
VALUES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": NUMBER,
    "maxProperties": 16,
    "description": "One finite number for each objective and each constrained metric, by "
    "name, no others (see the study's `objectives` and `constraints`).",
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
        "pruner": PRUNER,
        "objectives": {
            "type": "array",
            "items": OBJECTIVE,
            "minItems": 1,
            "maxItems": 3,
            "description": "Several objectives (names unique); replaces direction/metric, "
            "which, if also sent, must equal the first objective. Default: one objective "
            "from direction and metric.",
        },
        "constraints": {"type": "array", "items": CONSTRAINT, "maxItems": 8},
        "reference_point": {
            "type": "object",
            "additionalProperties": NUMBER,
            "description": "Hypervolume reference point: one number per objective, in the "
            "objectives' own units (a worst acceptable value). Default: derived from the "
            "feasible observations (docs/multi_objective.md).",
        },
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
        "pruner": PRUNER,
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
    "description": "Give `value` (a study with one objective and no constraints) or "
    "`values` (by name: every objective and constrained metric), not both.",
    "anyOf": [{"required": ["value"]}, {"required": ["values"]}],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "number", "description": "Finite; report NaN/inf as a failure."},
        "values": VALUES,
        "metadata": METADATA,
        "worker_id": WORKER_ID,
        "next": {
            "type": "integer",
            "minimum": 0,
            "maximum": 64,
            "default": 0,
            "description": "Once the report is recorded, hand up to this many trials to the "
            "same worker (as POST .../suggestions would) and list them in the answer's "
            "`next`: one request per trial for a worker loop. Give back a trial you will "
            "not start with POST .../release.",
        },
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
        "values": VALUES,
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
    "properties": {
        "step": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
        "value": {"type": "number", "description": "Finite; steps must increase."},
        "worker_id": WORKER_ID,
    },
}

PRUNE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"worker_id": WORKER_ID, "metadata": METADATA},
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
    "ReleaseRequest": HEARTBEAT,
    "TrialCreate": ADD_TRIAL,
    "IntermediateRequest": INTERMEDIATE,
    "TrialPatch": TRIAL_PATCH,
    "PruneRequest": PRUNE,
    "Pruner": PRUNER,
    "TokenCreate": TOKEN_CREATE,
    "SessionCreate": SESSION_CREATE,
    "Parameter": PARAMETER,
    "Condition": CONDITION,
    "Strategy": STRATEGY,
    "Objective": OBJECTIVE,
    "Constraint": CONSTRAINT,
}
