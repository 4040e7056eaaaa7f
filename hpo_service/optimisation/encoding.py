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
