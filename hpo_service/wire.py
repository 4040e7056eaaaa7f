"""JSON <-> domain codecs: the REST contract, shared by the api and the client (stdlib only).

Request bodies are first checked against the JSON schemas in ``api/schemas.py``
(types, required and unknown fields); these codecs then build domain objects,
whose constructors enforce the semantic rules (bounds, names, choices).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hpo_service.access import DEFAULT_PROJECT, ApiToken
from hpo_service.domain import (
    CategoricalParam,
    Condition,
    Direction,
    EndReason,
    FloatParam,
    IntermediateValue,
    IntParam,
    Param,
    ParetoFront,
    SearchSpace,
    Study,
    StudyState,
    StudySummary,
    Trial,
    TrialPage,
    TrialState,
)
from hpo_service.errors import InvalidObjectives, InvalidSearchSpace, InvalidValue
from hpo_service.objectives import (
    Constraint,
    Objective,
    constraint_from_json,
    constraint_to_json,
)


def encode_time(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z, or None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decode_time(text: str | None) -> datetime | None:
    """Parse what encode_time wrote."""
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def param_to_json(param: Param) -> dict[str, Any]:
    """One search-space parameter as JSON (``condition`` only when it has one)."""
    body: dict[str, Any]
    if isinstance(param, CategoricalParam):
        body = {"name": param.name, "type": "categorical", "choices": list(param.choices)}
    else:
        body = {
            "name": param.name,
            "type": param.type,
            "low": param.low,
            "high": param.high,
            "log": param.log,
        }
    if param.condition is not None:
        body["condition"] = {"param": param.condition.param, "in": list(param.condition.values)}
    return body


def condition_from_json(name: Any, data: Any) -> Condition | None:
    """Decode ``{"param": ..., "in": [...]}`` (or None); the space checks what it means."""
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) != {"param", "in"}:
        raise InvalidSearchSpace(
            f"parameter {name!r}: condition must be an object "
            '{"param": "<earlier parameter>", "in": [values...]}'
        )
    values = data["in"]
    if not isinstance(data["param"], str) or not isinstance(values, list | tuple):
        raise InvalidSearchSpace(
            f"parameter {name!r}: condition 'param' must be a name and 'in' a list of values"
        )
    return Condition(param=data["param"], values=tuple(values))


def param_from_json(data: Mapping[str, Any]) -> Param:
    """Build one parameter; raise InvalidSearchSpace naming the parameter on any problem."""
    name = data.get("name")
    kind = data.get("type")
    condition = condition_from_json(name, data.get("condition"))
    if kind == "categorical":
        choices = tuple(data.get("choices", ()))
        return CategoricalParam(name=str(name), choices=choices, condition=condition)
    if kind not in ("float", "int"):
        raise InvalidSearchSpace(
            f"parameter {name!r}: type must be 'float', 'int' or 'categorical', got {kind!r}"
        )
    for bound in ("low", "high"):
        value = data.get(bound)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidSearchSpace(f"parameter {name!r}: {bound} must be a number")
        if kind == "int" and isinstance(value, float) and not value.is_integer():
            raise InvalidSearchSpace(f"parameter {name!r}: {bound} must be an integer")
    log = bool(data.get("log", False))
    low, high = data["low"], data["high"]
    if kind == "int":
        return IntParam(str(name), int(low), int(high), log=log, condition=condition)
    return FloatParam(str(name), float(low), float(high), log=log, condition=condition)


def space_from_json(data: Sequence[Mapping[str, Any]]) -> SearchSpace:
    """Build and validate a search space from its JSON list."""
    return SearchSpace(tuple(param_from_json(item) for item in data))


def space_to_json(space: SearchSpace) -> list[dict[str, Any]]:
    """A search space as its JSON list."""
    return [param_to_json(p) for p in space.params]


def study_to_json(study: Study) -> dict[str, Any]:
    """A study definition as JSON."""
    return {
        "project": study.project,
        "name": study.name,
        "direction": study.direction.value,
        "metric": study.metric,
        "space": space_to_json(study.space),
        "strategy": dict(study.strategy),
        "max_trials": study.max_trials,
        "lease_seconds": study.lease_seconds,
        "max_retries": study.max_retries,
        "seed": study.seed,
        "state": study.state.value,
        "created_at": encode_time(study.created_at),
        "description": study.description,
        "pruner": dict(study.pruner),
        "objectives": [{"name": o.name, "direction": o.direction} for o in study.objectives],
        "constraints": [constraint_to_json(c) for c in study.constraints],
        "reference_point": dict(study.reference_point) if study.reference_point else None,
    }


def objectives_from_json(data: Any) -> tuple[Objective, ...]:
    """``[{"name", "direction"}, ...]`` as objectives (the study checks what they mean)."""
    if not isinstance(data, list | tuple):
        raise InvalidObjectives("objectives must be a list of {name, direction} objects")
    out = []
    for item in data:
        if not isinstance(item, Mapping) or set(item) - {"name", "direction"}:
            raise InvalidObjectives(
                f"an objective is {{'name': ..., 'direction': 'minimize'|'maximize'}}; got {item!r}"
            )
        out.append(Objective(str(item.get("name")), str(item.get("direction", "minimize"))))
    return tuple(out)


def constraints_from_json(data: Any) -> tuple[Constraint, ...]:
    """``[{"name", "min"?, "max"?}, ...]`` as constraints."""
    if data is None:
        return ()
    if not isinstance(data, list | tuple) or not all(isinstance(c, Mapping) for c in data):
        raise InvalidObjectives("constraints must be a list of {name, min?, max?} objects")
    return tuple(constraint_from_json(c) for c in data)


def study_from_json(data: Mapping[str, Any]) -> Study:
    """Decode what study_to_json wrote (used by the client)."""
    created = decode_time(data.get("created_at"))
    return Study(
        name=data["name"],
        space=space_from_json(data["space"]),
        direction=Direction(data["direction"]),
        metric=data["metric"],
        strategy=dict(data["strategy"]),
        max_trials=data.get("max_trials"),
        lease_seconds=int(data["lease_seconds"]),
        seed=int(data["seed"]),
        max_retries=int(data.get("max_retries", 0)),
        state=StudyState(data["state"]),
        created_at=created or datetime.now(UTC),
        description=data.get("description", ""),
        pruner=dict(data.get("pruner") or {"name": "none"}),
        project=data.get("project", DEFAULT_PROJECT),
        objectives=objectives_from_json(data.get("objectives") or []),
        constraints=constraints_from_json(data.get("constraints")),
        reference_point=data.get("reference_point"),
    )


def summary_to_json(summary: StudySummary) -> dict[str, Any]:
    """A study with its trial counts per state, best value and last activity."""
    body = study_to_json(summary.study)
    body["trial_counts"] = {state.value: summary.counts.get(state, 0) for state in TrialState}
    body["best_value"] = summary.best_value
    body["best_trial"] = summary.best_number
    body["last_activity"] = encode_time(summary.last_activity)
    return body


def trial_to_json(trial: Trial) -> dict[str, Any]:
    """A trial as JSON."""
    return {
        "study": trial.study,
        "number": trial.number,
        "params": dict(trial.params),
        "state": trial.state.value,
        "value": trial.value,
        "worker_id": trial.worker_id,
        "lease_expires_at": encode_time(trial.lease_expires_at),
        "started_at": encode_time(trial.started_at),
        "finished_at": encode_time(trial.finished_at),
        "duration_seconds": trial.duration_seconds,
        "failure_reason": trial.failure_reason,
        "retries": trial.retries,
        "intermediate_values": [{"step": v.step, "value": v.value} for v in trial.intermediate],
        "metadata": dict(trial.metadata),
        "seq": trial.updated_seq,
        "end_reason": trial.end_reason.value if trial.end_reason else None,
        "pruned_step": trial.pruned_step,
        "values": dict(trial.values) if trial.values is not None else None,
        "feasible": trial.feasible,
    }


def trial_from_json(data: Mapping[str, Any]) -> Trial:
    """Decode what trial_to_json wrote (used by the client)."""
    return Trial(
        study=data["study"],
        number=int(data["number"]),
        params=dict(data["params"]),
        state=TrialState(data["state"]),
        value=data.get("value"),
        worker_id=data.get("worker_id"),
        lease_expires_at=decode_time(data.get("lease_expires_at")),
        started_at=decode_time(data.get("started_at")),
        finished_at=decode_time(data.get("finished_at")),
        failure_reason=data.get("failure_reason"),
        retries=int(data.get("retries", 0)),
        intermediate=tuple(
            IntermediateValue(int(v["step"]), float(v["value"]))
            for v in data.get("intermediate_values", ())
        ),
        metadata=dict(data.get("metadata") or {}),
        updated_seq=int(data.get("seq", 0)),
        end_reason=EndReason(data["end_reason"]) if data.get("end_reason") else None,
        pruned_step=data.get("pruned_step"),
        values=data.get("values"),
        feasible=data.get("feasible"),
    )


def pareto_to_json(front: ParetoFront) -> dict[str, Any]:
    """The Pareto front: its trials, hypervolume, reference point and hypervolume history."""
    return {
        "trials": [trial_to_json(t) for t in front.trials],
        "hypervolume": front.hypervolume,
        "reference_point": dict(front.reference_point) if front.reference_point else None,
        "reference": front.reference,
        "hypervolume_history": [
            {"number": number, "hypervolume": volume} for number, volume in front.history
        ],
        "feasible_trials": front.feasible_count,
        "infeasible_trials": front.infeasible_count,
    }


def pareto_from_json(data: Mapping[str, Any]) -> ParetoFront:
    """Decode what pareto_to_json wrote (used by the client)."""
    return ParetoFront(
        trials=tuple(trial_from_json(t) for t in data["trials"]),
        reference_point=data.get("reference_point"),
        reference=data.get("reference"),
        hypervolume=data.get("hypervolume"),
        history=tuple(
            (int(h["number"]), float(h["hypervolume"])) for h in data["hypervolume_history"]
        ),
        feasible_count=int(data.get("feasible_trials", 0)),
        infeasible_count=int(data.get("infeasible_trials", 0)),
    )


def decision_to_json(trial: Trial, should_stop: bool, reason: str | None) -> dict[str, Any]:
    """The answer to an intermediate report: the trial plus ``should_stop`` and ``reason``."""
    return {**trial_to_json(trial), "should_stop": should_stop, "reason": reason}


def finite_value(value: Any, what: str = "value") -> float:
    """Return a finite float or raise InvalidValue saying how to report a failure instead."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidValue(
            f"{what} {value!r} is not finite; report the trial as failed instead "
            "(POST .../fail with a reason)"
        )
    return number


def page_to_json(page: TrialPage, incremental: bool, since: int | None) -> dict[str, Any]:
    """A page of the trial listing with its cursors (``next_after`` or ``next_changed_since``)."""
    trials = page.trials
    last = trials[-1] if trials else None
    return {
        "trials": [trial_to_json(t) for t in trials],
        "next_after": last.number if last and page.has_more and not incremental else None,
        "next_changed_since": (last.updated_seq if last else since) if incremental else None,
        "has_more": page.has_more,
        "seq": page.seq,
    }


CSV_COLUMNS = (
    "number",
    "state",
    "value",
    "worker_id",
    "started_at",
    "finished_at",
    "duration_seconds",
    "retries",
    "failure_reason",
    "end_reason",
    "pruned_step",
    "feasible",
)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will show as text: strings that would run as a formula get a
    leading apostrophe (OWASP CSV injection); numbers and other text pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def trials_to_csv(
    param_names: Sequence[str], trials: Sequence[Trial], metric_names: Sequence[str] = ()
) -> str:
    """All trials as CSV: one row per trial, one column per parameter (``params.<name>``)
    and one per objective or constrained metric (``values.<name>``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            *CSV_COLUMNS,
            *(f"params.{n}" for n in param_names),
            *(f"values.{n}" for n in metric_names),
        ]
    )
    for trial in trials:
        encoded = trial_to_json(trial)
        row = [encoded[c] for c in CSV_COLUMNS]
        values = trial.values or {}
        # an inactive (absent) parameter, or a value not measured, is a blank cell
        cells = (
            *row,
            *(trial.params.get(n) for n in param_names),
            *(values.get(n) for n in metric_names),
        )
        writer.writerow([csv_cell(v) for v in cells])
    return out.getvalue()


def token_to_json(token: ApiToken) -> dict[str, Any]:
    """An API token's facts (never its secret)."""
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "project": token.project,
        "created_at": encode_time(token.created_at),
        "last_used_at": encode_time(token.last_used_at),
        "revoked_at": encode_time(token.revoked_at),
    }
