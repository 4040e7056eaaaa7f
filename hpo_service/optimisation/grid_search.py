"""Grid search: every combination of a per-parameter grid is handed out exactly once.

Options: ``grid`` is either one number of points for every numeric parameter or a
mapping from parameter name to its number of points (default 5). Numeric grids are
evenly spaced (in log space for log parameters); integer grids are rounded and
de-duplicated; categoricals use all their choices. Combinations are enumerated in
a fixed order (the first parameter varies slowest), so the grid is reproducible.

Conditional spaces: the grid is a tree. A parameter is enumerated only under the parent
values that make it active, so no two combinations differ only in inactive parameters,
and the size is the number of leaves (counted without enumerating them: parent values
that switch on the same children are counted once and multiplied).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpo_service.domain import (
    CategoricalParam,
    History,
    IntParam,
    Param,
    Params,
    ParamValue,
    SearchSpace,
)
from hpo_service.errors import BudgetExhausted, InvalidStrategy

DEFAULT_POINTS = 5
MAX_POINTS = 1000


def axis(param: Param, points: int) -> list[ParamValue]:
    """The grid values of one parameter."""
    if isinstance(param, CategoricalParam):
        return list(param.choices)
    low, high = float(param.low), float(param.high)
    if param.log:
        low, high = math.log(low), math.log(high)
    raw = [low + (high - low) * i / (points - 1) for i in range(points)] if points > 1 else [low]
    values = [math.exp(x) if param.log else x for x in raw]
    if isinstance(param, IntParam):
        ints = [min(max(round(v), param.low), param.high) for v in values]
        return list(dict.fromkeys(ints))
    values[0], values[-1] = float(param.low), float(param.high)
    return [float(v) for v in values]


def grid_size(space: SearchSpace, config: Mapping[str, Any]) -> int:
    """Number of distinct combinations in the grid of a normalised configuration."""
    axes = [axis(p, _points(config, p)) for p in space.params]
    if not space.conditional:
        return math.prod(len(a) for a in axes)
    return _count(space, axes, 0, {})


def _count(space: SearchSpace, axes: Sequence[list[ParamValue]], index: int, fixed: Params) -> int:
    """Leaves of the grid tree below ``fixed`` (values of params[:index] that matter)."""
    if index == len(space.params):
        return 1
    param = space.params[index]
    if not space.is_active(param.name, fixed):
        return _count(space, axes, index + 1, fixed)
    children = [p for p in space.params[index + 1 :] if _child_of(p, param.name)]
    if not children:  # nothing depends on this value: every grid value counts alike
        return len(axes[index]) * _count(space, axes, index + 1, fixed)
    groups: dict[tuple[bool, ...], list[ParamValue]] = {}
    for value in axes[index]:
        signature = tuple(space.is_active(c.name, {**fixed, param.name: value}) for c in children)
        groups.setdefault(signature, []).append(value)
    return sum(
        len(values) * _count(space, axes, index + 1, {**fixed, param.name: values[0]})
        for values in groups.values()
    )


def _child_of(param: Param, parent: str) -> bool:
    return param.condition is not None and param.condition.param == parent


def _tree(
    space: SearchSpace, axes: Sequence[Sequence[ParamValue]], index: int, fixed: Params
) -> Iterator[Params]:
    """Every combination below ``fixed`` in order, inactive parameters left out."""
    if index == len(space.params):
        yield dict(fixed)
        return
    param = space.params[index]
    if not space.is_active(param.name, fixed):
        yield from _tree(space, axes, index + 1, fixed)
        return
    for value in axes[index]:
        yield from _tree(space, axes, index + 1, {**fixed, param.name: value})


def _points(config: Mapping[str, Any], param: Param) -> int:
    grid = config.get("grid", DEFAULT_POINTS)
    if isinstance(grid, Mapping):
        return int(grid.get(param.name, DEFAULT_POINTS))
    return int(grid)


@dataclass(frozen=True)
class GridProposer:
    """Hands out the first combinations that nobody has had yet."""

    space: SearchSpace
    axes: tuple[tuple[ParamValue, ...], ...]
    taken: frozenset[tuple[Any, ...]]

    def _combinations(self) -> Iterator[Params]:
        if self.space.conditional:
            yield from _tree(self.space, self.axes, 0, {})
            return
        for values in itertools.product(*self.axes):
            yield dict(zip(self.space.names, values, strict=True))

    def propose(self, pending: Sequence[Params], count: int) -> list[Params]:
        """Return up to ``count`` unused combinations; raise BudgetExhausted if none is left."""
        taken = set(self.taken) | {self.space.key(p) for p in pending}
        out: list[Params] = []
        for params in self._combinations():
            if self.space.key(params) not in taken:
                out.append(params)
                if len(out) == count:
                    break
        if not out:
            raise BudgetExhausted("every combination of the grid has been handed out")
        return out


@dataclass(frozen=True)
class GridStrategy:
    """Exhaustive grid search."""

    config: Mapping[str, Any]

    def prepare(self, space: SearchSpace, history: History, seed: int) -> GridProposer:
        """Bind the snapshot: every configuration seen in any state is taken."""
        axes = tuple(tuple(axis(p, _points(self.config, p))) for p in space.params)
        taken = {space.key(o.params) for o in history.completed}
        taken |= {space.key(p) for p in (*history.pending, *history.failed)}
        return GridProposer(space, axes, frozenset(taken))


class GridFactory:
    """Validates ``{"name": "grid", "grid": 5 | {"param": n}}`` configurations."""

    def normalise(self, config: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
        """Check the grid option and fill in the default."""
        extra = sorted(set(config) - {"name", "grid", "seed"})
        if extra:
            raise InvalidStrategy(f"grid strategy has no options {extra}; allowed: grid")
        grid = config.get("grid", DEFAULT_POINTS)
        if isinstance(grid, Mapping):
            for name, points in grid.items():
                if name not in space.names:
                    raise InvalidStrategy(f"grid names unknown parameter {name!r}")
                _check_points(points, name)
            grid = dict(grid)
        else:
            _check_points(grid, "grid")
        return {"name": "grid", "grid": grid}

    def build(self, config: Mapping[str, Any]) -> GridStrategy:
        """Build the strategy."""
        return GridStrategy(config)


def _check_points(points: Any, where: str) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise InvalidStrategy(
            f"{where}: the number of grid points must be an integer from 1 to {MAX_POINTS}, "
            f"got {points!r}"
        )
