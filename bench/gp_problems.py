"""Test functions for the gp benchmark: Branin (2-D) and Hartmann6 (6-D), both minimised.

``Problem`` is shared with the broad suite (gp_suite_problems.py), whose problems may have a
mixed search space (int, categorical, log-scaled parameters), a stated argmin and Gaussian
observation noise; a problem built from ``bounds`` alone is the box of floats x0, x1, ...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from hpo_service.domain import CategoricalParam, FloatParam, Param, ParamValue, SearchSpace


@dataclass(frozen=True)
class Problem:
    """A minimisation problem with a known optimum.

    ``function`` takes the vector of parameter values in search-space order, a categorical
    given as the index of its choice. ``parameters`` (default: floats x0, x1, ... over
    ``bounds``) is the search space; ``argmin`` a configuration (values in that order) where
    the noise-free function attains ``optimum``; ``noise_sd`` the standard deviation of the
    Gaussian noise the suite adds to each observation (the function itself is noise-free).
    """

    name: str
    bounds: tuple[tuple[float, float], ...]
    optimum: float
    function: Callable[[np.ndarray], float]
    parameters: tuple[Param, ...] = ()
    argmin: tuple[ParamValue, ...] = ()
    noise_sd: float = 0.0

    @property
    def params(self) -> tuple[Param, ...]:
        """The parameters in order: ``parameters``, or floats x0, x1, ... over ``bounds``."""
        if self.parameters:
            return self.parameters
        return tuple(FloatParam(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(self.bounds))

    @property
    def space(self) -> SearchSpace:
        """The problem's search space (x0, x1, ... unless ``parameters`` says otherwise)."""
        return SearchSpace(self.params)

    @property
    def box(self) -> bool:
        """True if every parameter is a float on a linear scale (a plain box)."""
        return all(isinstance(p, FloatParam) and not p.log for p in self.params)

    def vector(self, params: Mapping[str, ParamValue]) -> np.ndarray:
        """The function's input: values in order, a categorical as its choice's index."""
        if not self.parameters:
            return np.array([params[f"x{i}"] for i in range(len(self.bounds))], dtype=float)
        return np.array(
            [
                p.index(params[p.name]) if isinstance(p, CategoricalParam) else params[p.name]
                for p in self.parameters
            ],
            dtype=float,
        )

    def __call__(self, params: Mapping[str, ParamValue]) -> float:
        """Noise-free objective value of a configuration."""
        return self.function(self.vector(params))

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
