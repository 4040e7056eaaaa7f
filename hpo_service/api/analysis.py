"""Analysis resource for the dashboard: parameter importance and the GP surrogate slice."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from hpo_service.api.context import project, service
from hpo_service.api.decoding import int_arg
from hpo_service.api.openapi import EXTRA_PATHS, NAME, READ_ERRORS, _op, _query
from hpo_service.errors import InvalidRequest
from hpo_service.service import analysis

bp = Blueprint("analysis", __name__, url_prefix="/api/v1/studies/<name>")


@bp.get("/importance")
def importance(name: str) -> Response:
    """Each parameter's importance for the value (random forest, cached per history)."""
    return jsonify(service().importance(project(), name))


@bp.get("/surrogate")
def surrogate(name: str) -> Response:
    """GP posterior mean, std and acquisition along ``param`` (others held at the best trial)."""
    param = request.args.get("param", "")
    if not param:
        raise InvalidRequest("query parameter 'param' names the parameter to slice along")
    points = int_arg(request.args, "points", 100, analysis.MIN_POINTS, analysis.MAX_POINTS)
    return jsonify(service().surrogate(project(), name, param, points or 100))


MAX_RANKING = 1000


@bp.get("/ranking")
def ranking(name: str) -> Response:
    """Complete trials ranked by the GP posterior mean of their objective, best first."""
    limit = int_arg(request.args, "limit", 10, 1, MAX_RANKING) or 10
    ranked = service().ranking(project(), name)[:limit]
    return jsonify(
        {
            "study": name,
            "by": "posterior",
            "trials": [
                {
                    "number": r.trial.number,
                    "value": r.trial.value,
                    "posterior_mean": r.mean,
                    "posterior_sd": r.sd,
                    "params": r.trial.params,
                }
                for r in ranked
            ],
        }
    )


CONFLICT_READ_ERRORS = (*READ_ERRORS, "409")


def _paths() -> dict[str, Any]:
    number_list = {"type": "array", "items": {"type": ["number", "null"]}}
    importance_body = {
        "type": "object",
        "required": ["complete_trials", "method", "importance"],
        "properties": {
            "complete_trials": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
            "method": {"type": "string"},
            "importance": {"type": "array", "items": {"type": "object"}},
        },
    }
    surrogate_body = {
        "type": "object",
        "required": ["param", "acquisition", "grid", "mean", "std", "observed"],
        "properties": {
            "param": {"type": "string"},
            "acquisition": {"enum": ["ei", "ucb", "pi"]},
            "grid": {"type": "array"},
            "mean": number_list,
            "std": number_list,
            "acquisition_values": number_list,
            "observed": {"type": "array", "items": {"type": "object"}},
            "next": {"type": ["object", "null"]},
        },
    }
    surrogate_params = [
        NAME,
        _query("param", {"type": "string", "maxLength": 64}, "The parameter to slice along"),
        _query("points", {"type": "integer", "minimum": 10, "maximum": 500}, "Grid size"),
    ]
    ranking_body = {
        "type": "object",
        "required": ["study", "by", "trials"],
        "properties": {
            "study": {"type": "string"},
            "by": {"const": "posterior"},
            "trials": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["number", "value", "posterior_mean", "posterior_sd", "params"],
                    "properties": {
                        "number": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                        "value": {"type": "number"},
                        "posterior_mean": {"type": "number"},
                        "posterior_sd": {"type": "number", "minimum": 0},
                        "params": {"type": "object"},
                    },
                },
            },
        },
    }
    ranking_params = [
        NAME,
        _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_RANKING}, "Top k (10)"),
    ]
    base = "/api/v1/studies/{name}"
    return {
        f"{base}/ranking": {
            "get": _op(
                "Complete trials ranked by GP posterior mean: the noisy-study recommendation, "
                "409 below 2 complete trials (reader)",
                ok=ranking_body,
                params=ranking_params,
                errors=CONFLICT_READ_ERRORS,
            )
        },
        f"{base}/importance": {
            "get": _op(
                "Parameter importance, 409 below 2 complete trials (reader)",
                ok=importance_body,
                params=[NAME],
                errors=CONFLICT_READ_ERRORS,
            )
        },
        f"{base}/surrogate": {
            "get": _op(
                "GP posterior and acquisition along one parameter, gp studies (reader)",
                ok=surrogate_body,
                params=surrogate_params,
                errors=CONFLICT_READ_ERRORS,
            )
        },
    }


EXTRA_PATHS.update(_paths())
