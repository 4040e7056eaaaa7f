"""Pruners (early stopping): pure policies that answer stop or go from learning curves.

Configurations are JSON objects named and shaped as in Optuna:
``{"name": "none"}``, ``{"name": "median", "n_startup_trials", "n_warmup_steps",
"interval_steps", "n_min_trials"}``, ``{"name": "successive_halving", "min_resource",
"reduction_factor", "min_early_stopping_rate", "bootstrap_count"}`` and
``{"name": "hyperband", "min_resource", "max_resource", "reduction_factor",
"bootstrap_count"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hpo_service.errors import InvalidPruner
from hpo_service.optimisation.pruners.base import (
    GO,
    Answers,
    Case,
    CurveRecord,
    Decision,
    Facts,
    Pruner,
    StepQuery,
    answer,
    decide_from_records,
)
from hpo_service.optimisation.pruners.halving import (
    AUTO,
    HyperbandPruner,
    SuccessiveHalvingPruner,
)
from hpo_service.optimisation.pruners.median import MedianPruner

BIG = 1_000_000_000


@dataclass(frozen=True)
class Option:
    """One option: its default and smallest allowed value (``auto`` allowed if said so)."""

    default: int | str
    minimum: int
    auto: bool = False


OPTIONS: dict[str, dict[str, Option]] = {
    "none": {},
    "median": {
        "n_startup_trials": Option(5, 0),
        "n_warmup_steps": Option(0, 0),
        "interval_steps": Option(1, 1),
        "n_min_trials": Option(1, 1),
    },
    "successive_halving": {
        "min_resource": Option(AUTO, 1, auto=True),
        "reduction_factor": Option(4, 2),
        "min_early_stopping_rate": Option(0, 0),
        "bootstrap_count": Option(0, 0),
    },
    "hyperband": {
        "min_resource": Option(1, 1),
        "max_resource": Option(100, 1),
        "reduction_factor": Option(3, 2),
        "bootstrap_count": Option(0, 0),
    },
}


class NoPruner:
    """Never stops a trial (the default: behaviour as before pruning existed)."""

    needs_first_complete = False

    def queries(self, case: Case) -> list[StepQuery]:
        """Nothing to read."""
        return []

    def decide(self, case: Case, answers: Answers) -> Decision:
        """Always go on."""
        return GO


def normalise_pruner(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a pruner configuration and fill in its defaults; raise InvalidPruner."""
    config = dict(config or {"name": "none"})
    name = config.pop("name", None)
    if name not in OPTIONS:
        raise InvalidPruner(f"unknown pruner {name!r}; choose one of {sorted(OPTIONS)}")
    allowed = OPTIONS[str(name)]
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise InvalidPruner(f"pruner {name!r} has no option {unknown[0]!r}; its options: {known}")
    out: dict[str, Any] = {"name": name}
    for option, spec in allowed.items():
        out[option] = _checked(str(name), option, spec, config.get(option, spec.default))
    if name == "hyperband" and out["max_resource"] < out["min_resource"]:
        raise InvalidPruner(
            f"pruner 'hyperband': max_resource ({out['max_resource']}) must be at least "
            f"min_resource ({out['min_resource']})"
        )
    return out


def _checked(name: str, option: str, spec: Option, value: Any) -> int | str:
    if spec.auto and value == AUTO:
        return AUTO
    if isinstance(value, bool) or not isinstance(value, int) or not spec.minimum <= value <= BIG:
        also = ' or "auto"' if spec.auto else ""
        raise InvalidPruner(
            f"pruner {name!r}: {option} must be an integer in [{spec.minimum}, {BIG}]{also}, "
            f"got {value!r}"
        )
    return value


def build_pruner(config: Mapping[str, Any]) -> Pruner:
    """The pruner of a normalised configuration."""
    options = {k: v for k, v in config.items() if k != "name"}
    name = config.get("name", "none")
    if name == "median":
        return MedianPruner(**options)
    if name == "successive_halving":
        return SuccessiveHalvingPruner(**options)
    if name == "hyperband":
        return HyperbandPruner(**options)
    return NoPruner()


__all__ = [
    "OPTIONS",
    "Case",
    "CurveRecord",
    "Decision",
    "Facts",
    "HyperbandPruner",
    "MedianPruner",
    "NoPruner",
    "Pruner",
    "StepQuery",
    "SuccessiveHalvingPruner",
    "answer",
    "build_pruner",
    "decide_from_records",
    "normalise_pruner",
]
