"""Maps between configurations and points of the unit cube, one coordinate per parameter.

Floats and ints are mapped linearly, or linearly in log space when ``log`` is set.
An int with bounds [low, high] owns the interval [low - 0.5, high + 0.5] so every
integer gets an equal share of the cube; decoding rounds to the nearest integer.
A categorical with k choices splits [0, 1) into k equal bins.

Conditional parameters: a configuration holds only its active parameters. Decoding
reads the coordinates in space order and drops every parameter whose condition does
not hold for the values decoded so far (parents always come first). An inactive
coordinate is imputed with a constant, so that all configurations that differ only in
inactive coordinates are one point for the model:

- in the unit cube it is ``INACTIVE`` = 0.5, the centre, so points stay inside the
  optimiser's [0, 1] bounds and a child that becomes active (a parent changed in the
  discrete local search) starts from the middle of its range;
- in feature space (what the GP and the importance forest see) an inactive numeric
  column is ``INACTIVE_FEATURE`` = 0.5 as well, and an inactive categorical has an
  all-zero one-hot block. This is the imputation of inactive inputs by a constant that
  SMAC3 uses (Lindauer et al. 2022, "SMAC3", JMLR 23(54); its GP sets inactive inputs
  to -1, outside the range, its random forests -1 or an extra category). We measured
  both constants on a hierarchical problem (docs/benchmarks/conditional.md): the centre
  gave lower regret than -1 over 40 seeds, so the centre is the default.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from hpo_service.domain import (
    CategoricalParam,
    Condition,
    FloatParam,
    IntParam,
    Param,
    Params,
    ParamValue,
    SearchSpace,
)

MAX_TABLE = 4096  # int parents with a wider range are matched with np.isin


@functools.lru_cache(maxsize=256)
def _table(parent: Param, condition: Condition) -> NDArray[np.bool_]:
    """Which choice index (categorical) or ``value - low`` (int) satisfies ``condition``."""
    if isinstance(parent, CategoricalParam):
        table = np.zeros(len(parent.choices), dtype=bool)
        table[[parent.index(v) for v in condition.values]] = True
    elif isinstance(parent, IntParam):
        table = np.zeros(int(parent.high - parent.low) + 1, dtype=bool)
        table[[parent.check(v) - parent.low for v in condition.values]] = True
    else:  # the space refuses float parents
        raise TypeError(f"parameter {parent.name!r} cannot be a parent")
    return table


def _member(parent: Param, condition: Condition, column: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether each coordinate of ``parent`` decodes to a value that satisfies ``condition``."""
    if isinstance(parent, CategoricalParam):
        return _table(parent, condition)[category_indices(parent, column)]
    if isinstance(parent, IntParam) and parent.high - parent.low < MAX_TABLE:
        offsets = (_int_values(parent, column) - parent.low).astype(np.intp)
        return _table(parent, condition)[offsets]
    if isinstance(parent, IntParam):
        return np.isin(_int_values(parent, column), [parent.check(v) for v in condition.values])
    raise TypeError(f"parameter {parent.name!r} cannot be a parent")


def _numeric_bounds(param: FloatParam | IntParam) -> tuple[float, float]:
    low, high = float(param.low), float(param.high)
    if isinstance(param, IntParam):
        low, high = low - 0.5, high + 0.5
        if param.log:
            low = max(low, param.low * 0.5 if param.low > 0 else 1e-12)
    if param.log:
        return math.log(low), math.log(high)
    return low, high


def decode_value(param: Param, u: float) -> ParamValue:
    """Map one unit-interval coordinate to a valid value of ``param``."""
    u = min(max(float(u), 0.0), 1.0)
    if isinstance(param, CategoricalParam):
        k = len(param.choices)
        return param.choices[min(int(u * k), k - 1)]
    low, high = _numeric_bounds(param)
    x = low + u * (high - low)
    if param.log:
        x = math.exp(x)
    if isinstance(param, IntParam):
        return int(min(max(round(x), param.low), param.high))
    return float(min(max(x, param.low), param.high))


def encode_value(param: Param, value: ParamValue) -> float:
    """Map a valid value of ``param`` to the centre of its share of the unit interval."""
    if isinstance(param, CategoricalParam):
        return (param.index(value) + 0.5) / len(param.choices)
    low, high = _numeric_bounds(param)
    x = float(value)
    if param.log:
        x = math.log(x)
    return min(max((x - low) / (high - low), 0.0), 1.0)


INACTIVE = 0.5
INACTIVE_FEATURE = 0.5


def decode(space: SearchSpace, point: Sequence[float] | NDArray[np.float64]) -> Params:
    """Map a point of the unit cube to a configuration of its active parameters only."""
    if not space.conditional:
        return {p.name: decode_value(p, u) for p, u in zip(space.params, point, strict=True)}
    out: Params = {}
    for param, u in zip(space.params, point, strict=True):
        if space.is_active(param.name, out):
            out[param.name] = decode_value(param, u)
    return out


def encode(space: SearchSpace, params: Params) -> NDArray[np.float64]:
    """Map a configuration to a point of the unit cube (inactive coordinates: INACTIVE)."""
    active = {p.name for p in space.active(params)}
    return np.array(
        [encode_value(p, params[p.name]) if p.name in active else INACTIVE for p in space.params],
        dtype=np.float64,
    )


def active_mask(space: SearchSpace, points: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which coordinates of unit-cube points (rows) are active (vectorised ``space.active``)."""
    cube = np.asarray(points, dtype=np.float64).reshape(-1, len(space.params))
    mask = np.ones(cube.shape, dtype=bool)
    if not space.conditional:
        return mask
    column = {p.name: j for j, p in enumerate(space.params)}
    for j, param in enumerate(space.params):
        if param.condition is None:
            continue
        parent_column = column[param.condition.param]
        member = _member(space.params[parent_column], param.condition, cube[:, parent_column])
        mask[:, j] = mask[:, parent_column] & member
    return mask


# --- Vectorised helpers for model-based strategies (one-hot feature space) ---------------


def _snap_numeric(param: FloatParam | IntParam, column: NDArray[np.float64]) -> NDArray[np.float64]:
    column = np.clip(column, 0.0, 1.0)
    if isinstance(param, FloatParam):
        return column
    low, high = _numeric_bounds(param)
    value = _int_values(param, column)
    if param.log:
        value = np.log(value)
    return np.asarray(np.clip((value - low) / (high - low), 0.0, 1.0), dtype=np.float64)


def _int_values(param: IntParam, column: NDArray[np.float64]) -> NDArray[np.float64]:
    """The integers unit-interval coordinates decode to (vectorised decode_value)."""
    low, high = _numeric_bounds(param)
    x = low + np.clip(column, 0.0, 1.0) * (high - low)
    if param.log:
        x = np.exp(x)
    # np.rint rounds half to even exactly like Python's round() in decode_value.
    return np.asarray(np.clip(np.rint(x), param.low, param.high), dtype=np.float64)


def category_indices(param: CategoricalParam, column: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index of the choice each unit-interval coordinate decodes to (vectorised decode)."""
    k = len(param.choices)
    return np.minimum((np.clip(column, 0.0, 1.0) * k).astype(np.intp), k - 1)


def snap(space: SearchSpace, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Move every coordinate of unit-cube points (rows) to where its decoded value encodes.

    ``snap(space, u)[i] == encode(space, decode(space, u[i]))`` up to rounding, so a model
    that sees snapped points sees exactly the configurations that will be proposed;
    inactive coordinates become INACTIVE (decode then re-encode).
    """
    out = np.array(points, dtype=np.float64, copy=True, ndmin=2)
    for j, param in enumerate(space.params):
        if isinstance(param, CategoricalParam):
            out[:, j] = (category_indices(param, out[:, j]) + 0.5) / len(param.choices)
        else:
            out[:, j] = _snap_numeric(param, out[:, j])
    if space.conditional:
        out[~active_mask(space, out)] = INACTIVE
    return out


def feature_width(space: SearchSpace) -> int:
    """Number of feature columns: one per numeric parameter, one per categorical choice."""
    return sum(len(p.choices) if isinstance(p, CategoricalParam) else 1 for p in space.params)


def numeric_feature_columns(space: SearchSpace) -> dict[int, int]:
    """Map each numeric parameter's cube column to its feature column."""
    mapping: dict[int, int] = {}
    column = 0
    for j, param in enumerate(space.params):
        if isinstance(param, CategoricalParam):
            column += len(param.choices)
        else:
            mapping[j] = column
            column += 1
    return mapping


def to_features(
    space: SearchSpace, points: NDArray[np.float64], active: NDArray[np.bool_] | None = None
) -> NDArray[np.float64]:
    """Map (snapped) unit-cube points to features: numeric columns as is, categoricals one-hot.

    Inactive coordinates: INACTIVE_FEATURE for a numeric column, an all-zero one-hot block
    (``active``: the points' active_mask, if the caller has it already).
    """
    cube = np.asarray(points, dtype=np.float64).reshape(-1, len(space.params))
    out = np.zeros((cube.shape[0], feature_width(space)), dtype=np.float64)
    if active is None:
        active = active_mask(space, cube)
    column = 0
    for j, param in enumerate(space.params):
        if isinstance(param, CategoricalParam):
            index = category_indices(param, cube[:, j])
            out[np.arange(cube.shape[0]), column + index] = active[:, j]
            column += len(param.choices)
        else:
            out[:, column] = np.where(active[:, j], cube[:, j], INACTIVE_FEATURE)
            column += 1
    return out
