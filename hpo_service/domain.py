"""Domain model: frozen dataclasses for studies, trials and search spaces (stdlib only)."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from hpo_service import conditions
from hpo_service.access import DEFAULT_PROJECT
from hpo_service.conditions import Condition as Condition
from hpo_service.errors import InvalidParams, InvalidSearchSpace
from hpo_service.objectives import Constraint, Objective, metric_names

ParamValue: TypeAlias = float | int | str | bool
Params: TypeAlias = dict[str, ParamValue]

MAX_PARAMETERS = 64
MAX_CHOICES = 1000
MAX_SAFE_INT = 2**53  # int bounds beyond this lose precision as floats in every strategy
PARAM_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
STUDY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_NAME = re.compile(PARAM_NAME_PATTERN)


def full_match(pattern: re.Pattern[str], text: object) -> bool:
    """True if the whole of ``text`` matches (``match`` with ``$`` accepts a trailing newline)."""
    return isinstance(text, str) and pattern.fullmatch(text) is not None


class Direction(enum.StrEnum):
    """Whether the study's metric should be minimised or maximised."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    def to_maximise(self, value: float) -> float:
        """Sign-flip a value so that larger is always better (the one place minimisation lives)."""
        return -value if self is Direction.MINIMIZE else value


class StudyState(enum.StrEnum):
    """Lifecycle of a study."""

    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"


class TrialState(enum.StrEnum):
    """Lifecycle of a trial (see ARCHITECTURE.md, Trial lifecycle)."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    STALE = "stale"
    PRUNED = "pruned"

    @property
    def finished(self) -> bool:
        """True once the trial has an outcome (complete, failed or pruned)."""
        return self in _FINISHED  # a module tuple: no class attribute lookups per call


_FINISHED = (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)


class EndReason(enum.StrEnum):
    """Why a finished trial ended (stored in its own column, never parsed from text)."""

    REPORTED = "reported"
    FAILED = "failed"
    LEASE_EXPIRED = "lease_expired"
    PRUNED = "pruned"


@dataclass(frozen=True)
class FloatParam:
    """A real-valued parameter in [low, high], optionally on a log scale."""

    name: str
    low: float
    high: float
    log: bool = False
    type: str = field(default="float", init=False)
    condition: Condition | None = None

    def check(self, value: Any) -> float:
        """Return the value as a float if it lies in the bounds, else raise InvalidParams."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidParams(f"parameter {self.name!r} must be a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            raise InvalidParams(
                f"parameter {self.name!r} = {value!r} is outside [{self.low}, {self.high}]"
            )
        return number


@dataclass(frozen=True)
class IntParam:
    """An integer parameter in [low, high] (both inclusive), optionally on a log scale."""

    name: str
    low: int
    high: int
    log: bool = False
    type: str = field(default="int", init=False)
    condition: Condition | None = None

    def check(self, value: Any) -> int:
        """Return the value as an int if it is integral and in bounds, else raise InvalidParams."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidParams(f"parameter {self.name!r} must be an integer, got {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise InvalidParams(f"parameter {self.name!r} must be an integer, got {value!r}")
        number = int(value)
        if not self.low <= number <= self.high:
            raise InvalidParams(
                f"parameter {self.name!r} = {value!r} is outside [{self.low}, {self.high}]"
            )
        return number


@dataclass(frozen=True)
class CategoricalParam:
    """A parameter taking one of a fixed list of strings, numbers or booleans."""

    name: str
    choices: tuple[ParamValue, ...]
    type: str = field(default="categorical", init=False)
    condition: Condition | None = None

    def check(self, value: Any) -> ParamValue:
        """Return the matching choice (type-exact, so True is not 1), else raise InvalidParams."""
        for choice in self.choices:
            if type(choice) is type(value) and choice == value:
                return choice
            if _is_number(choice) and _is_number(value) and float(choice) == float(value):
                return choice
        raise InvalidParams(
            f"parameter {self.name!r} = {value!r} is not one of {list(self.choices)!r}"
        )

    def index(self, value: ParamValue) -> int:
        """Position of a (checked) value among the choices."""
        checked = self.check(value)
        return next(i for i, c in enumerate(self.choices) if c is checked or c == checked)


Param: TypeAlias = FloatParam | IntParam | CategoricalParam


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class SearchSpace:
    """An ordered, validated collection of parameters, some active only under a condition."""

    params: tuple[Param, ...]
    _allowed: Mapping[str, frozenset[tuple[str, Any]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.params:
            raise InvalidSearchSpace("the search space is empty: give at least one parameter")
        if len(self.params) > MAX_PARAMETERS:
            raise InvalidSearchSpace(
                f"the search space has {len(self.params)} parameters; at most "
                f"{MAX_PARAMETERS} are supported"
            )
        seen: set[str] = set()
        for param in self.params:
            _validate_param(param)
            if param.name in seen:
                raise InvalidSearchSpace(
                    f"parameter name {param.name!r} appears twice; names must be unique"
                )
            seen.add(param.name)
        object.__setattr__(self, "_allowed", conditions.validate(self.params))

    @property
    def names(self) -> list[str]:
        """Parameter names in order."""
        return [p.name for p in self.params]

    @property
    def conditional(self) -> bool:
        """True if some parameter is active only under a condition."""
        return bool(self._allowed)

    def get(self, name: str) -> Param:
        """Return the parameter called ``name`` or raise InvalidParams."""
        for param in self.params:
            if param.name == name:
                return param
        raise InvalidParams(f"unknown parameter {name!r}; the space has {self.names}")

    def active(self, params: Mapping[str, Any]) -> list[Param]:
        """The parameters that are active for ``params`` (parents read from ``params``)."""
        if not self._allowed:
            return list(self.params)
        names = conditions.active_names(self.params, self._allowed, params)
        return [p for p in self.params if p.name in names]

    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether parameter ``name`` is active for ``params``."""
        return any(p.name == name for p in self.active(params))

    def check(self, params: Mapping[str, Any]) -> Params:
        """Validate a configuration (active parameters only) and return it normalised, ordered.

        Raises:
            InvalidParams: unknown names, a missing active parameter, a value given for an
                inactive parameter (saying which condition fails), or a value out of range.
        """
        unknown = sorted(set(params) - set(self.names))
        if unknown:
            raise InvalidParams(f"unknown parameters {unknown}; the space has {self.names}")
        return conditions.check(self.params, self._allowed, params)

    def key(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """A hashable identity of a configuration (type-aware, so True != 1).

        Only active parameters count, and an absent one never raises, so two configurations
        that differ only in inactive parameters have the same key.
        """
        if not self._allowed:
            return tuple(
                conditions.value_key(params[n]) if n in params else None for n in self.names
            )
        active = conditions.active_names(self.params, self._allowed, params)
        return tuple(
            conditions.value_key(params[n]) if n in active and n in params else None
            for n in self.names
        )


def _validate_param(param: Param) -> None:
    if not full_match(_NAME, param.name):
        raise InvalidSearchSpace(
            f"parameter name {param.name!r} is not identifier-like: use letters, digits and "
            "underscores, not starting with a digit, at most 64 characters"
        )
    if isinstance(param, CategoricalParam):
        _validate_choices(param)
        return
    if not (math.isfinite(param.low) and math.isfinite(param.high)):
        raise InvalidSearchSpace(f"parameter {param.name!r}: low and high must be finite")
    if not math.isfinite(float(param.high) - float(param.low)):
        raise InvalidSearchSpace(
            f"parameter {param.name!r}: the range [{param.low}, {param.high}] is wider than a "
            "double can hold; narrow it (or use a log scale)"
        )
    if isinstance(param, IntParam) and max(abs(param.low), abs(param.high)) > MAX_SAFE_INT:
        raise InvalidSearchSpace(
            f"parameter {param.name!r}: int bounds must lie within +-2**53 ({MAX_SAFE_INT}) "
            "so every value is exact as a float"
        )
    if not param.low < param.high:
        raise InvalidSearchSpace(
            f"parameter {param.name!r}: low ({param.low}) must be smaller than high ({param.high})"
        )
    if param.log and param.low <= 0:
        raise InvalidSearchSpace(
            f"parameter {param.name!r}: a log scale needs low > 0 (got {param.low}); "
            "shift the range or drop log"
        )


def _validate_choices(param: CategoricalParam) -> None:
    if not param.choices:
        raise InvalidSearchSpace(f"parameter {param.name!r}: choices must not be empty")
    if len(param.choices) > MAX_CHOICES:
        raise InvalidSearchSpace(f"parameter {param.name!r}: at most {MAX_CHOICES} choices")
    keys = set()
    for choice in param.choices:
        if isinstance(choice, float) and not math.isfinite(choice):
            raise InvalidSearchSpace(f"parameter {param.name!r}: choice {choice!r} is not finite")
        key = (type(choice).__name__, choice)
        if key in keys:
            raise InvalidSearchSpace(f"parameter {param.name!r}: choice {choice!r} is repeated")
        keys.add(key)


@dataclass(frozen=True)
class Observation:
    """A completed configuration and its value, sign-flipped so that larger is better.

    ``value`` is the first objective. A study with several objectives or constraints also
    fills ``values`` (every objective, each sign-flipped to maximise) and ``slacks`` (each
    constraint bound as ``g <= 0`` when satisfied); strategies that model one objective
    read ``value`` only.
    """

    params: Params
    value: float
    values: tuple[float, ...] = ()
    slacks: tuple[float, ...] = ()

    @property
    def objectives(self) -> tuple[float, ...]:
        """Every objective, maximised (just ``value`` for a single-objective study)."""
        return self.values or (self.value,)

    @property
    def feasible(self) -> bool:
        """Whether every constraint holds."""
        return all(g <= 0.0 for g in self.slacks)


@dataclass(frozen=True)
class History:
    """What a strategy sees: completed observations and configurations still out or failed."""

    completed: tuple[Observation, ...] = ()
    pending: tuple[Params, ...] = ()
    failed: tuple[Params, ...] = ()
    reference_point: tuple[float, ...] | None = None  # declared, maximised, per objective

    @property
    def size(self) -> int:
        """Number of configurations handed out or recorded so far."""
        return len(self.completed) + len(self.pending) + len(self.failed)


@dataclass(frozen=True)
class Study:
    """A named optimisation problem with its budget and strategy."""

    name: str
    space: SearchSpace
    direction: Direction
    metric: str
    strategy: Mapping[str, Any]
    max_trials: int | None
    lease_seconds: int
    seed: int
    max_retries: int
    state: StudyState
    created_at: datetime
    description: str = ""
    pruner: Mapping[str, Any] = field(default_factory=lambda: {"name": "none"})
    project: str = DEFAULT_PROJECT
    objectives: tuple[Objective, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    reference_point: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        if not self.objectives:  # a single-objective study: its metric and direction
            object.__setattr__(self, "objectives", (Objective(self.metric, self.direction.value),))

    @property
    def multi_objective(self) -> bool:
        """True with more than one objective."""
        return len(self.objectives) > 1

    @property
    def metric_names(self) -> list[str]:
        """Names a report carries values for: objectives, then constrained metrics."""
        return metric_names(self.objectives, self.constraints)


@dataclass(frozen=True)
class IntermediateValue:
    """A value reported during training, at some step."""

    step: int
    value: float


@dataclass(frozen=True)
class Trial:
    """One configuration of a study and what became of it."""

    study: str
    number: int
    params: Params
    state: TrialState
    value: float | None = None
    worker_id: str | None = None
    lease_expires_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    failure_reason: str | None = None
    retries: int = 0
    intermediate: tuple[IntermediateValue, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    updated_seq: int = 0
    end_reason: EndReason | None = None
    pruned_step: int | None = None
    values: Mapping[str, float] | None = None
    feasible: bool | None = None

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to finish, if both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class StudySummary:
    """A study with its trial counts per state and its best value so far."""

    study: Study
    counts: Mapping[TrialState, int]
    best_value: float | None
    best_number: int | None
    last_activity: datetime | None


@dataclass(frozen=True)
class TrialPage:
    """One page of a trial listing, the study's change sequence, and whether more follow."""

    trials: tuple[Trial, ...]
    seq: int
    has_more: bool


@dataclass(frozen=True)
class ParetoFront:
    """The feasible complete trials no other one dominates, with their hypervolume.

    ``reference`` says where the reference point came from ("declared" by the study or
    "derived" from the feasible observations; None while nothing is feasible), and
    ``history`` holds (trial number, hypervolume of the front up to that trial).
    """

    trials: tuple[Trial, ...]
    reference_point: Mapping[str, float] | None
    reference: str | None
    hypervolume: float | None
    history: tuple[tuple[int, float], ...] = ()
    feasible_count: int = 0
    infeasible_count: int = 0
