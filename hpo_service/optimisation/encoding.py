"""Maps between configurations and points of the unit cube, one coordinate per parameter.

Floats and ints are mapped linearly, or linearly in log space when ``log`` is set.
An int with bounds [low, high] owns the interval [low - 0.5, high + 0.5] so every
integer gets an equal share of the cube; decoding rounds to the nearest integer.
A categorical with k choices splits [0, 1) into k equal bins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from hpo_service.domain import (
    CategoricalParam,
    FloatParam,
    IntParam,
    Param,
    Params,
    ParamValue,
    SearchSpace,
)


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


def decode(space: SearchSpace, point: Sequence[float] | NDArray[np.float64]) -> Params:
    """Map a point of the unit cube (one coordinate per parameter) to a configuration."""
    return {p.name: decode_value(p, u) for p, u in zip(space.params, point, strict=True)}


def encode(space: SearchSpace, params: Params) -> NDArray[np.float64]:
    """Map a configuration to a point of the unit cube."""
    return np.array([encode_value(p, params[p.name]) for p in space.params], dtype=np.float64)


# --- Vectorised helpers for model-based strategies (one-hot feature space) ---------------


def _snap_numeric(param: FloatParam | IntParam, column: NDArray[np.float64]) -> NDArray[np.float64]:
    column = np.clip(column, 0.0, 1.0)
    if isinstance(param, FloatParam):
        return column
    low, high = _numeric_bounds(param)
    x = low + column * (high - low)
    if param.log:
        x = np.exp(x)
    # np.rint rounds half to even exactly like Python's round() in decode_value.
    value = np.clip(np.rint(x), param.low, param.high)
    if param.log:
        value = np.log(value)
    return np.asarray(np.clip((value - low) / (high - low), 0.0, 1.0), dtype=np.float64)


def category_indices(param: CategoricalParam, column: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index of the choice each unit-interval coordinate decodes to (vectorised decode)."""
    k = len(param.choices)
    return np.minimum((np.clip(column, 0.0, 1.0) * k).astype(np.intp), k - 1)


def snap(space: SearchSpace, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Move every coordinate of unit-cube points (rows) to where its decoded value encodes.

    ``snap(space, u)[i] == encode(space, decode(space, u[i]))`` up to rounding, so a model
    that sees snapped points sees exactly the configurations that will be proposed.
    """
    out = np.array(points, dtype=np.float64, copy=True, ndmin=2)
    for j, param in enumerate(space.params):
        if isinstance(param, CategoricalParam):
            out[:, j] = (category_indices(param, out[:, j]) + 0.5) / len(param.choices)
        else:
            out[:, j] = _snap_numeric(param, out[:, j])
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


def to_features(space: SearchSpace, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Map (snapped) unit-cube points to features: numeric columns as is, categoricals one-hot."""
    cube = np.asarray(points, dtype=np.float64).reshape(-1, len(space.params))
    out = np.zeros((cube.shape[0], feature_width(space)), dtype=np.float64)
    column = 0
    for j, param in enumerate(space.params):
        if isinstance(param, CategoricalParam):
            index = category_indices(param, cube[:, j])
            out[np.arange(cube.shape[0]), column + index] = 1.0
            column += len(param.choices)
        else:
            out[:, column] = cube[:, j]
            column += 1
    return out
