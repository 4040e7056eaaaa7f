"""The problem registry: built-in problems, ``@objective`` functions and entry points.

A problem is a pure function of a configuration: it trains, cross-validates and returns a
score, with no HTTP inside. Third-party packages add problems through the entry point group
``hpo_service.objectives`` (see docs/objectives.md).
"""

from __future__ import annotations

import copy
import importlib.metadata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

ENTRY_POINT_GROUP = "hpo_service.objectives"
DEFAULT_FOLDS = 5
DEFAULT_SEED = 0
DEFAULT_MAX_ITER = 500
DEFAULT_REPEATS = 1
DIRECTIONS = ("minimize", "maximize")


class ObjectiveError(ValueError):
    """A problem is unknown, badly defined, or cannot score the given configuration."""


EpochCallback: TypeAlias = Callable[[int, float], bool]
"""Called by an objective after each epoch with (step, value); True asks it to stop early."""


@dataclass(frozen=True)
class Settings:
    """How to evaluate one configuration: CV folds and repetitions, seed, epoch cap, data
    location, and the per-epoch callback that reports the learning curve."""

    folds: int = DEFAULT_FOLDS
    seed: int = DEFAULT_SEED
    max_iter: int = DEFAULT_MAX_ITER
    data_path: str | Path | None = None
    repeats: int = DEFAULT_REPEATS
    on_epoch: EpochCallback | None = None


@dataclass(frozen=True)
class Result:
    """The score of one configuration and secondary metrics (JSON-able) for the trial metadata.

    ``pruned``: training stopped early because the per-epoch callback asked it to; ``value``
    is then the last value of the learning curve, not a final score.
    """

    value: float
    metrics: dict[str, Any] = field(default_factory=dict)
    pruned: bool = False


ObjectiveFunction: TypeAlias = Callable[[Mapping[str, Any], Settings], "Result | float"]


@dataclass(frozen=True)
class Problem:
    """A named objective with its direction, metric and REST-format search space."""

    name: str
    direction: str
    metric: str
    space: tuple[Mapping[str, Any], ...]
    function: ObjectiveFunction
    description: str = ""

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ObjectiveError(
                f"problem {self.name!r}: direction must be one of {DIRECTIONS}, "
                f"got {self.direction!r}"
            )
        if not self.space:
            raise ObjectiveError(f"problem {self.name!r}: the search space is empty")

    @property
    def param_names(self) -> list[str]:
        """Names of the search-space parameters, in order."""
        return [str(p["name"]) for p in self.space]

    @property
    def unconditional_names(self) -> list[str]:
        """Parameters every configuration has (those without an "only when" condition)."""
        return [str(p["name"]) for p in self.space if "condition" not in p]

    def search_space(self) -> list[dict[str, Any]]:
        """The search space as a fresh JSON-able list (the REST ``space`` field)."""
        return [copy.deepcopy(dict(p)) for p in self.space]

    def evaluate(
        self,
        params: Mapping[str, Any],
        *,
        folds: int = DEFAULT_FOLDS,
        seed: int = DEFAULT_SEED,
        max_iter: int = DEFAULT_MAX_ITER,
        data_path: str | Path | None = None,
        repeats: int = DEFAULT_REPEATS,
        on_epoch: EpochCallback | None = None,
    ) -> Result:
        """Score one configuration; raise ObjectiveError if parameters are missing."""
        missing = [n for n in self.unconditional_names if n not in params]
        if missing:
            raise ObjectiveError(f"problem {self.name!r}: missing parameters {missing}")
        settings = Settings(folds, seed, max_iter, data_path, repeats, on_epoch)
        outcome = self.function(params, settings)
        if isinstance(outcome, Result):
            return outcome
        return Result(value=float(outcome))


_REGISTRY: dict[str, Problem] = {}
_entry_points_loaded = False


def register(problem: Problem, *, replace: bool = False) -> Problem:
    """Add a problem to the registry; raise ObjectiveError if the name is taken."""
    if problem.name in _REGISTRY and not replace and _REGISTRY[problem.name] != problem:
        raise ObjectiveError(
            f"a problem called {problem.name!r} is already registered; pick another name "
            "or pass replace=True"
        )
    _REGISTRY[problem.name] = problem
    return problem


def objective(
    name: str,
    *,
    direction: str,
    metric: str,
    space: Sequence[Mapping[str, Any]],
    description: str = "",
) -> Callable[[ObjectiveFunction], ObjectiveFunction]:
    """Decorator: register ``function(params, settings) -> Result | float`` as a problem."""

    def decorate(function: ObjectiveFunction) -> ObjectiveFunction:
        lines = (function.__doc__ or "").strip().splitlines()
        text = description or (lines[0] if lines else "")
        register(Problem(name, direction, metric, tuple(space), function, text))
        return function

    return decorate


def get_problem(name: str) -> Problem:
    """The registered problem called ``name``; raise ObjectiveError listing the known ones."""
    if name not in _REGISTRY:
        load_entry_points()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ObjectiveError(
            f"unknown problem {name!r}; known problems: {problem_names()}"
        ) from None


def problem_names() -> list[str]:
    """Names of all registered problems (built-in and from entry points), sorted."""
    load_entry_points()
    return sorted(_REGISTRY)


def load_entry_points(*, force: bool = False) -> None:
    """Import the ``hpo_service.objectives`` entry points once (each a Problem or a module)."""
    global _entry_points_loaded
    if _entry_points_loaded and not force:
        return
    _entry_points_loaded = True
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        loaded = point.load()
        if isinstance(loaded, Problem):
            register(loaded)
        elif point.name not in _REGISTRY:
            raise ObjectiveError(
                f"entry point {point.name!r} ({point.value}) registered no problem of that "
                "name: point it at a Problem, or at a module whose @objective uses that name"
            )
