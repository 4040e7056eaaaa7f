"""JSON Schemas of every response body (the OpenAPI document's half that requests lack).

They describe exactly what ``wire.py`` writes: schemathesis checks every live response
against them, so a field added to a codec without its schema turns CI red.
"""

from __future__ import annotations

from typing import Any

from hpo_service.api.schemas import INT32_MAX, INT64_MAX, PARAM_VALUE

TIME = {"type": "string", "format": "date-time"}
TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
COUNT = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
STATES = ["pending", "running", "complete", "failed", "stale", "pruned"]


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    required = [name for name in properties if name not in optional]
    return {"type": "object", "required": required, "properties": properties}


TRIAL = _object(
    {
        "study": {"type": "string"},
        "number": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
        "params": {"type": "object", "additionalProperties": PARAM_VALUE},
        "state": {"enum": STATES},
        "value": {"type": ["number", "null"]},
        "worker_id": {"type": ["string", "null"]},
        "lease_expires_at": TIME_OR_NULL,
        "started_at": TIME_OR_NULL,
        "finished_at": TIME_OR_NULL,
        "duration_seconds": {"type": ["number", "null"]},
        "failure_reason": {"type": ["string", "null"]},
        "retries": COUNT,
        "intermediate_values": {
            "type": "array",
            "items": _object({"step": COUNT, "value": {"type": "number"}}),
        },
        "metadata": {"type": "object"},
        "seq": COUNT,
        "end_reason": {
            "enum": ["reported", "failed", "lease_expired", "pruned", None],
            "description": "Why a finished trial ended; null while unfinished.",
        },
        "pruned_step": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": INT32_MAX,
            "description": "Step of a pruned trial's last intermediate value (its value).",
        },
        "values": {
            "type": ["object", "null"],
            "additionalProperties": {"type": "number"},
            "description": "Every objective's and constrained metric's value by name; null "
            "until reported (and for pruned or failed trials). `value` is the first "
            "objective's.",
        },
        "feasible": {
            "type": ["boolean", "null"],
            "description": "Whether every constraint holds (true without constraints); null "
            "until reported. An infeasible trial is complete, never failed.",
        },
    }
)
INTERMEDIATE_ANSWER = {
    "allOf": [
        {"$ref": "#/components/schemas/Trial"},
        _object({"should_stop": {"type": "boolean"}, "reason": {"type": ["string", "null"]}}),
    ],
    "description": "The trial and the pruner's answer: stop (then POST .../prune) or go on.",
}
BEST = {
    "allOf": [
        {"$ref": "#/components/schemas/Trial"},
        _object(
            {
                "best_by": {"enum": ["value", "posterior", "rescore"]},
                "posterior": _object({"mean": {"type": "number"}, "sd": {"type": "number"}}),
            },
            optional=("posterior",),
        ),
    ],
    "description": "The trial and the rule that chose it; `posterior` when by GP posterior.",
}
STUDY = _object(
    {
        "project": {"type": "string"},
        "name": {"type": "string"},
        "direction": {"enum": ["minimize", "maximize"]},
        "metric": {"type": "string"},
        "space": {"type": "array", "items": {"$ref": "#/components/schemas/Parameter"}},
        "strategy": {"type": "object", "required": ["name"]},
        "max_trials": {"type": ["integer", "null"], "minimum": 1, "maximum": 1_000_000},
        "lease_seconds": {"type": "integer", "minimum": 1, "maximum": 604_800},
        "max_retries": COUNT,
        "seed": COUNT,
        "state": {"enum": ["running", "paused", "completed"]},
        "created_at": TIME,
        "description": {"type": "string"},
        "trial_counts": {"type": "object", "additionalProperties": COUNT},
        "best_value": {"type": ["number", "null"]},
        "best_trial": {"type": ["integer", "null"], "minimum": 0, "maximum": INT32_MAX},
        "last_activity": TIME_OR_NULL,
        "pruner": {"$ref": "#/components/schemas/Pruner"},
        "objectives": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Objective"},
            "description": "Always present; one entry (from direction and metric) for a "
            "single-objective study. direction and metric are the first objective's.",
        },
        "constraints": {
            "type": "array",
            "items": _object(
                {
                    "name": {"type": "string"},
                    "min": {"type": ["number", "null"]},
                    "max": {"type": ["number", "null"]},
                }
            ),
        },
        "reference_point": {
            "type": ["object", "null"],
            "additionalProperties": {"type": "number"},
            "description": "The declared hypervolume reference point, or null (derived).",
        },
    }
)
PROBLEM = {
    **_object(
        {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "instance": {"type": "string"},
            "request_id": {"type": "string"},
        }
    ),
    "description": "RFC 9457 problem details; `code` names the error class, `request_id` "
    "finds the request in the service's log.",
}
TOKEN = _object(
    {
        "id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
        "name": {"type": "string"},
        "role": {"enum": ["reader", "worker", "editor", "admin"]},
        "project": {"type": ["string", "null"]},
        "created_at": TIME,
        "last_used_at": TIME_OR_NULL,
        "revoked_at": TIME_OR_NULL,
    }
)
TOKEN_CREATED = {
    **TOKEN,
    "required": [*TOKEN["required"], "token"],
    "properties": {
        **TOKEN["properties"],
        "token": {"type": "string", "description": "The secret: shown in this answer only"},
    },
}
TRIAL_REF = {"$ref": "#/components/schemas/Trial"}
STUDY_REF = {"$ref": "#/components/schemas/Study"}
TRIALS = _object({"trials": {"type": "array", "items": TRIAL_REF}})
STUDIES = _object({"studies": {"type": "array", "items": STUDY_REF}})
PAGE = _object(
    {
        "trials": {"type": "array", "items": TRIAL_REF},
        "next_after": {"type": ["integer", "null"], "minimum": 0, "maximum": INT32_MAX},
        "next_changed_since": {"type": ["integer", "null"], "minimum": 0, "maximum": INT64_MAX},
        "has_more": {"type": "boolean"},
        "seq": COUNT,
    }
)
HEARTBEAT = _object({"number": COUNT, "lease_expires_at": TIME_OR_NULL})
REPORT_ANSWER = {
    "allOf": [
        TRIAL_REF,
        _object(
            {
                "next": {"type": "array", "items": TRIAL_REF},
                "next_problem": {"$ref": "#/components/schemas/Problem"},
            },
            optional=("next", "next_problem"),
        ),
    ],
    "description": "The reported trial. With `next` in the request, `next` lists the trials "
    "then handed to the same worker (running, leased); when it is empty, `next_problem` "
    "says why (budget used, study not running...) and the report still stands.",
}
HEALTH = _object(
    {"status": {"const": "ok"}, "version": {"type": "string"}, "database": {"type": "string"}}
)
EXPORT = _object({"study": STUDY_REF, "trials": {"type": "array", "items": TRIAL_REF}})
PARETO = {
    **_object(
        {
            "trials": {"type": "array", "items": TRIAL_REF},
            "hypervolume": {"type": ["number", "null"], "minimum": 0},
            "reference_point": {
                "type": ["object", "null"],
                "additionalProperties": {"type": "number"},
            },
            "reference": {"enum": ["declared", "derived", None]},
            "hypervolume_history": {
                "type": "array",
                "items": _object(
                    {
                        "number": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
                        "hypervolume": {"type": "number", "minimum": 0},
                    }
                ),
            },
            "feasible_trials": COUNT,
            "infeasible_trials": COUNT,
        }
    ),
    "description": "The feasible complete trials no other feasible complete trial dominates, "
    "in trial-number order; the hypervolume they dominate above the reference point "
    "(declared by the study, or derived: each objective's worst feasible value moved by 10% "
    "of its observed range); and the hypervolume after each feasible trial. Pruned, failed "
    "and infeasible trials never enter the front.",
}
TOKENS = _object({"tokens": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}})

RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "Trial": TRIAL,
    "Study": STUDY,
    "Problem": PROBLEM,
    "Token": TOKEN,
    "IntermediateAnswer": INTERMEDIATE_ANSWER,
    "ReportAnswer": REPORT_ANSWER,
    "TokenCreated": TOKEN_CREATED,
    "ParetoFront": PARETO,
}
