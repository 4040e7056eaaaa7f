"""What a study measures: its objectives, its constraints and how a trial's values are checked.

A study has one or more objectives (a metric name and a direction) and zero or more
constraints on named metrics (``min <= value <= max``; Optuna's convention, a name alone,
means ``value <= 0``). A metric may be both an objective and constrained. A complete
trial carries one finite value per metric name; it is *feasible* when every constraint
holds. Strategies see each constraint as slacks ``g <= 0`` (one per bound), so a
two-sided constraint is two slacks (stdlib only).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpo_service.errors import InvalidObjectives, InvalidValue

MAX_OBJECTIVES = 3
MAX_CONSTRAINTS = 8
METRIC_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$"
_METRIC = re.compile(METRIC_NAME_PATTERN)


@dataclass(frozen=True)
class Objective:
    """A metric to minimise or maximise (``direction`` is "minimize" or "maximize")."""

    name: str
    direction: str

    def to_maximise(self, value: float) -> float:
        """Sign-flip a value so that larger is always better."""
        return -value if self.direction == "minimize" else value

    def from_maximise(self, value: float) -> float:
        """Undo ``to_maximise``."""
        return self.to_maximise(value)


@dataclass(frozen=True)
class Constraint:
    """A metric that must stay within ``[min, max]`` (either bound may be absent)."""

    name: str
    min: float | None = None
    max: float | None = None

    def slacks(self, value: float) -> tuple[float, ...]:
        """``g <= 0`` form, one per bound: ``min - value`` and ``value - max``."""
        out: list[float] = []
        if self.min is not None:
            out.append(self.min - value)
        if self.max is not None:
            out.append(value - self.max)
        return tuple(out)

    def holds(self, value: float) -> bool:
        """Whether ``value`` satisfies the constraint (bounds inclusive)."""
        return all(g <= 0.0 for g in self.slacks(value))


def metric_names(objectives: Sequence[Objective], constraints: Sequence[Constraint]) -> list[str]:
    """Every name a report must carry a value for: objectives first, then constraints."""
    names = [o.name for o in objectives]
    return names + [c.name for c in constraints if c.name not in names]


def check_objectives(
    objectives: Sequence[Objective], constraints: Sequence[Constraint], named: bool = True
) -> None:
    """Raise InvalidObjectives on duplicate or badly formed objectives or constraints.

    ``named=False`` skips the name pattern for the objectives (a single-objective study's
    ``metric`` has always been free text); constraint names are always checked.
    """
    if not 1 <= len(objectives) <= MAX_OBJECTIVES:
        raise InvalidObjectives(
            f"a study has 1 to {MAX_OBJECTIVES} objectives, got {len(objectives)}"
        )
    if len(constraints) > MAX_CONSTRAINTS:
        raise InvalidObjectives(f"at most {MAX_CONSTRAINTS} constraints, got {len(constraints)}")
    for kind, names in (
        ("objective", [o.name for o in objectives]),
        ("constraint", [c.name for c in constraints]),
    ):
        for name in names:
            if kind == "objective" and not named:
                continue
            if not isinstance(name, str) or _METRIC.fullmatch(name) is None:
                raise InvalidObjectives(
                    f"{kind} name {name!r} is not allowed: use letters, digits, '_', '.' or "
                    "'-', starting with a letter or '_', at most 128 characters"
                )
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InvalidObjectives(
                f"{kind} names must be unique; {repeated} appear more than once "
                f"(constrain a metric once, with both min and max if needed)"
            )
    for objective in objectives:
        if objective.direction not in ("minimize", "maximize"):
            raise InvalidObjectives(
                f"objective {objective.name!r}: direction must be 'minimize' or 'maximize'"
            )
    for constraint in constraints:
        _check_bounds(constraint)


def _check_bounds(constraint: Constraint) -> None:
    for bound in (constraint.min, constraint.max):
        if bound is not None and not math.isfinite(bound):
            raise InvalidObjectives(
                f"constraint {constraint.name!r}: bounds must be finite numbers, got {bound!r}"
            )
    low, high = constraint.min, constraint.max
    if low is not None and high is not None and not low < high:
        raise InvalidObjectives(
            f"constraint {constraint.name!r}: min ({low}) must be below max ({high}); "
            "for an equality, allow a small tolerance around the target"
        )


def constraint_from_json(data: Mapping[str, Any]) -> Constraint:
    """``{"name", "min"?, "max"?}``; a name alone means ``value <= 0`` (Optuna's convention)."""
    extra = sorted(set(data) - {"name", "min", "max"})
    name = data.get("name")
    if extra or not isinstance(name, str):
        raise InvalidObjectives(
            f"a constraint is {{'name': ..., 'min'?: number, 'max'?: number}}; got {dict(data)!r}"
        )
    bounds: dict[str, float | None] = {}
    for key in ("min", "max"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidObjectives(f"constraint {name!r}: {key} must be a number, got {value!r}")
        bounds[key] = None if value is None else float(value)
    if bounds["min"] is None and bounds["max"] is None:
        bounds["max"] = 0.0
    return Constraint(name, bounds["min"], bounds["max"])


def constraint_to_json(constraint: Constraint) -> dict[str, Any]:
    """A constraint as JSON (both bounds, null when absent)."""
    return {"name": constraint.name, "min": constraint.min, "max": constraint.max}


def checked_values(
    values: Any, objectives: Sequence[Objective], constraints: Sequence[Constraint]
) -> dict[str, float]:
    """A report's ``values``: exactly one finite number per metric name, else InvalidValue."""
    names = metric_names(objectives, constraints)
    if not isinstance(values, Mapping):
        raise InvalidValue(f"values must be an object with one number for each of {names}")
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise InvalidValue(
            f"values has unknown names {unknown}; this study measures exactly {names}"
        )
    missing = [n for n in names if n not in values]
    if missing:
        raise InvalidValue(
            f"values is missing {missing}; report one value for each of {names} "
            "(or report the trial as failed with POST .../fail)"
        )
    out: dict[str, float] = {}
    for name in names:
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(f"values[{name!r}] must be a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise InvalidValue(
                f"values[{name!r}] = {value!r} is not finite; report the trial as failed "
                "instead (POST .../fail with a reason)"
            )
        out[name] = float(value)
    return out


def is_feasible(values: Mapping[str, float], constraints: Sequence[Constraint]) -> bool:
    """Whether every constraint holds for a trial's values."""
    return all(c.holds(values[c.name]) for c in constraints)


def slacks_of(values: Mapping[str, float], constraints: Sequence[Constraint]) -> tuple[float, ...]:
    """Every constraint's slacks (``g <= 0`` means satisfied), in declaration order."""
    return tuple(g for c in constraints for g in c.slacks(values[c.name]))
