"""Test functions for the gp benchmark: Branin (2-D) and Hartmann6 (6-D), both minimised."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from hpo_service.domain import FloatParam, SearchSpace


@dataclass(frozen=True)
class Problem:
    """A box-bounded minimisation problem with a known optimum."""

    name: str
    bounds: tuple[tuple[float, float], ...]
    optimum: float
    function: Callable[[np.ndarray], float]

    @property
    def space(self) -> SearchSpace:
        """The problem's search space (x0, x1, ...)."""
        return SearchSpace(
            tuple(FloatParam(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(self.bounds))
        )

    def __call__(self, params: Mapping[str, float]) -> float:
        """Objective value of a configuration."""
        return self.function(np.array([params[f"x{i}"] for i in range(len(self.bounds))]))

    def regret(self, value: float) -> float:
        """Simple regret of a value."""
        return value - self.optimum


def branin(x: np.ndarray) -> float:
    """Branin-Hoo; global minimum 0.397887 at three points."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return float((x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10)


_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(x: np.ndarray) -> float:
    """Hartmann 6-D on [0, 1]^6; global minimum -3.32237."""
    return float(-(_ALPHA * np.exp(-(_A * (x[None, :] - _P) ** 2).sum(axis=1))).sum())


PROBLEMS = {
    "branin": Problem("branin", ((-5.0, 10.0), (0.0, 15.0)), 0.397887, branin),
    "hartmann6": Problem("hartmann6", ((0.0, 1.0),) * 6, -3.32237, hartmann6),
}
