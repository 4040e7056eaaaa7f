"""Optuna studies from an RDB storage URL (Optuna is imported here only: ``[import-optuna]``).

Distributions become the service's parameters: ``FloatDistribution`` (``log``, no ``step``)
-> float, ``IntDistribution`` (``log``, ``step`` 1) -> int, ``CategoricalDistribution`` ->
categorical. A stepped float or int, ``None`` among choices, a search space that changes
between trials or a multi-objective study is refused, naming the trial. Complete trials
become complete ones, failed trials failed ones; running, waiting and pruned trials are
skipped and counted.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from hpo_service.domain import Direction
from hpo_service.errors import InvalidRequest
from hpo_service.imports.source import ImportSource
from hpo_service.service.imports import TrialRecord


def _optuna() -> Any:
    try:
        return importlib.import_module("optuna")
    except ImportError as exc:
        raise InvalidRequest(
            "importing from Optuna needs the optuna package: "
            "pip install 'hpo-service[import-optuna]'"
        ) from exc


def read_optuna_study(storage: str, study_name: str) -> ImportSource:
    """Read an Optuna study's finished trials and its search space."""
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError as exc:
        names = optuna.get_all_study_names(storage=storage)
        raise InvalidRequest(
            f"no Optuna study {study_name!r} in {storage}; it has {names}"
        ) from exc
    if len(study.directions) != 1:
        raise InvalidRequest(
            f"Optuna study {study_name!r} has {len(study.directions)} objectives; "
            "only single-objective studies can be imported"
        )
    direction = Direction(study.direction.name.lower())
    states = optuna.trial.TrialState
    trials = study.get_trials(deepcopy=False)
    space = _space(trials, states)
    records: list[TrialRecord] = []
    skipped: dict[str, int] = {}
    for trial in trials:
        record = _record(trial, states, space)
        if record is None:
            key = trial.state.name.lower()
            skipped[key] = skipped.get(key, 0) + 1
        else:
            records.append(record)
    definition = {
        "direction": direction.value,
        "space": list(space.values()),
        "description": f"imported from Optuna study {study_name!r}",
    }
    return ImportSource(tuple(records), direction, definition, skipped)


def _space(trials: Sequence[Any], states: Any) -> dict[str, dict[str, Any]]:
    """Every parameter's REST definition; refuse a distribution that changes between trials."""
    space: dict[str, dict[str, Any]] = {}
    for trial in trials:
        if trial.state not in (states.COMPLETE, states.FAIL):
            continue
        for name, distribution in trial.distributions.items():
            param = _param(f"optuna trial {trial.number}", name, distribution)
            if space.setdefault(name, param) != param:
                raise InvalidRequest(
                    f"optuna trial {trial.number}: parameter {name!r} is {param}, earlier trials "
                    f"had {space[name]}; a search space that changes cannot be imported"
                )
    return space


def _param(where: str, name: str, distribution: Any) -> dict[str, Any]:
    kind = type(distribution).__name__
    step = getattr(distribution, "step", None)
    if kind == "FloatDistribution" and step is None:
        low, high, log = distribution.low, distribution.high, distribution.log
        return {"name": name, "type": "float", "low": low, "high": high, "log": log}
    if kind == "IntDistribution" and step == 1:
        low, high, log = distribution.low, distribution.high, distribution.log
        return {"name": name, "type": "int", "low": low, "high": high, "log": log}
    if kind == "CategoricalDistribution" and None not in distribution.choices:
        return {"name": name, "type": "categorical", "choices": list(distribution.choices)}
    raise InvalidRequest(
        f"{where}: parameter {name!r} has {distribution!r}, which the service cannot express "
        "(floats and ints without a step other than 1, categoricals without None); "
        "re-create the study without it"
    )


def _record(trial: Any, states: Any, space: Mapping[str, Any]) -> TrialRecord | None:
    where = f"optuna trial {trial.number}"
    metadata = {
        "imported_from": "optuna",
        "optuna_trial": trial.number,
        "started": trial.datetime_start.isoformat() if trial.datetime_start else None,
        "finished": trial.datetime_complete.isoformat() if trial.datetime_complete else None,
    }
    if trial.state == states.COMPLETE:
        missing = sorted(set(space) - set(trial.params))
        if missing:
            raise InvalidRequest(
                f"{where} has no value for {missing}; conditional Optuna spaces cannot be imported"
            )
        return TrialRecord(where, dict(trial.params), trial.value, metadata=metadata)
    if trial.state == states.FAIL and set(trial.params) == set(space):
        reason = str(trial.system_attrs.get("fail_reason") or "failed in Optuna")
        return TrialRecord(where, dict(trial.params), None, reason, metadata)
    return None
