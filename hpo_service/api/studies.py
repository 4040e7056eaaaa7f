"""Studies resource: create, list, read, update, delete, best trial, export."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from hpo_service.api.context import project, service
from hpo_service.api.decoding import json_body
from hpo_service.domain import ParetoFront
from hpo_service.errors import InvalidRequest, TrialNotFound
from hpo_service.service.core import BEST_BY
from hpo_service.wire import pareto_to_json, summary_to_json, trial_to_json, trials_to_csv

bp = Blueprint("studies", __name__, url_prefix="/api/v1/studies")


@bp.post("")
def create() -> tuple[Response, int, dict[str, str]]:
    """Create a study -> 201."""
    study = service().create_study(project(), json_body("StudyCreate"))
    body = summary_to_json(service().get_study(project(), study.name))
    return jsonify(body), 201, {"Location": f"{request.path}/{study.name}"}


@bp.get("")
def list_all() -> Response:
    """Every study with trial counts per state and best value."""
    return jsonify({"studies": [summary_to_json(s) for s in service().list_studies(project())]})


@bp.get("/<name>")
def read(name: str) -> Response:
    """One study."""
    return jsonify(summary_to_json(service().get_study(project(), name)))


@bp.patch("/<name>")
def update(name: str) -> Response:
    """Change state (running / paused / completed), max_trials, description or pruner."""
    return jsonify(
        summary_to_json(service().update_study(project(), name, json_body("StudyPatch")))
    )


@bp.delete("/<name>")
def delete(name: str) -> tuple[str, int]:
    """Delete a study and all its trials."""
    service().delete_study(project(), name)
    return "", 204


@bp.get("/<name>/best")
def best(name: str) -> Response:
    """The best trial by value (default), GP posterior mean, re-score, or ``recommended``;
    a study with several objectives answers its Pareto front (except by re-score)."""
    by = request.args.get("by", "value")
    if by not in BEST_BY:
        raise InvalidRequest(
            f"by must be one of {list(BEST_BY)}, got {by!r}; `recommended` gives the re-score "
            "if there is one, else the best posterior mean"
        )
    found = service().best_or_front(project(), name, by)
    if isinstance(found, ParetoFront):
        return jsonify(pareto_to_json(found))
    if found is None and by == "rescore":
        raise TrialNotFound(
            f"no trial of study {name!r} was re-scored yet; run "
            f"`hpo-trainer rescore --study {name} --top 3`, or ask for by=value"
        )
    if found is None:
        raise TrialNotFound(f"study {name!r} has no complete trial yet")
    body = trial_to_json(found.trial)
    body["best_by"] = found.by
    if found.posterior is not None:
        body["posterior"] = {"mean": found.posterior.mean, "sd": found.posterior.sd}
    return jsonify(body)


@bp.get("/<name>/pareto")
def pareto(name: str) -> Response:
    """The non-dominated feasible complete trials, the hypervolume and its reference point."""
    return jsonify(pareto_to_json(service().pareto(project(), name)))


@bp.get("/<name>/export")
def export(name: str) -> Response:
    """All trials as CSV (one row per trial, a column per parameter) or JSON."""
    fmt = request.args.get("format", "json")
    if fmt not in ("csv", "json"):
        raise InvalidRequest(f"format must be 'csv' or 'json', got {fmt!r}")
    summary = service().get_study(project(), name)
    trials = service().all_trials(project(), name)
    disposition = {"Content-Disposition": f'attachment; filename="{name}-trials.{fmt}"'}
    if fmt == "csv":
        study = summary.study
        text = trials_to_csv(study.space.names, trials, study.metric_names)
        return Response(text, mimetype="text/csv", headers=disposition)
    response = jsonify(
        {"study": summary_to_json(summary), "trials": [trial_to_json(t) for t in trials]}
    )
    response.headers.update(disposition)
    return response
