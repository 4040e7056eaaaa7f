"""What a report measured: the first objective's value, every metric's value, feasibility.

The single-objective form ``{"value": x}`` stays valid for a study that measures one
metric; ``{"values": {...}}`` must name every objective and constrained metric exactly.
Nothing is written before this check passes, so a bad report never leaves half a trial.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hpo_service.domain import Study, Trial
from hpo_service.errors import InvalidValue
from hpo_service.objectives import checked_values, is_feasible
from hpo_service.wire import finite_value


@dataclass(frozen=True)
class Measured:
    """A checked report: first objective's value, all values by name, and feasibility."""

    value: float
    values: dict[str, float]
    feasible: bool

    def fields(self) -> dict[str, Any]:
        """The trial fields a report sets."""
        return {"value": self.value, "values": self.values, "feasible": self.feasible}


def measure(study: Study, value: Any, values: Any) -> Measured:
    """Check a report's ``value`` / ``values`` against the study; raise InvalidValue."""
    names = study.metric_names
    if value is not None and values is not None:
        raise InvalidValue('give "value" (one objective) or "values" (by name), not both')
    if values is None:
        if value is None:
            raise InvalidValue(f'give "values" with one number for each of {names}')
        if len(names) > 1:
            raise InvalidValue(
                f"study {study.name!r} measures {names}; report "
                '{"values": {' + ", ".join(f'"{n}": ...' for n in names) + "}} instead of a "
                "single value"
            )
        values = {names[0]: finite_value(value)}
    checked = checked_values(values, study.objectives, study.constraints)
    first = checked[study.objectives[0].name]
    return Measured(first, checked, is_feasible(checked, study.constraints))


def values_of(study: Study, trial: Trial) -> Mapping[str, float] | None:
    """A trial's values by name (rows written before 0005: ``{metric: value}``)."""
    if trial.values is not None:
        return trial.values
    if trial.value is None or study.multi_objective or study.constraints:
        return None
    return {study.metric: trial.value}
