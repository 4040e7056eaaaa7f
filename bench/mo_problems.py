"""Multi-objective test problems for bench/multi_objective.py, every objective minimised.

- ``branin_currin``: BraninCurrin, 2 objectives on [0, 1]^2 (Belakaria, Deshwal and Doppa
  2019; the reference point (18, 6) of Daulton, Balandat and Bakshy 2020 and BoTorch).
- ``dtlz2``: DTLZ2 with d = 5 and 3 objectives (Deb, Thiele, Laumanns and Zitzler 2002);
  reference point (1.1, 1.1, 1.1) as in BoTorch. The front is the positive octant of the
  unit sphere, so the best hypervolume is 1.1^3 - pi / 6 = 0.8074.
- ``c2dtlz2``: C2-DTLZ2 with d = 4, 2 objectives and r = 0.2 (Jain and Deb 2014, radius as
  in pymoo for two objectives): DTLZ2 with one constraint
  c(x) = min(min_i [(f_i - 1)^2 + sum_{j != i} f_j^2 - r^2], sum_i (f_i - 1/sqrt(M))^2 - r^2)
  that must be <= 0 (Optuna's convention), which leaves three disjoint feasible pieces of
  the front. Reference point (1.1, 1.1).
- ``zdt1_mixed``: ZDT1 (Zitzler, Deb and Thiele 2000) with n = 4 coordinates of which two
  are integers and one categorical shift, defined here: x0, x1 floats in [0, 1]; k2, k3
  integers in [0, 10] standing for x = k / 10; ``shift`` in {"a", "b", "c"} adding
  s = 0.5, 0.0, 0.25 inside g:
  f1 = x0, g = 1 + 9 / (n - 1) * (x1 + k2/10 + k3/10 + s), f2 = g * (1 - sqrt(f1 / g)).
  The front is ZDT1's (x1 = k2 = k3 = 0, shift "b"); reference point (1.1, 1.1), the usual
  one for ZDT1 whose front spans [0, 1]^2; the best hypervolume is 1.1 * 0.1 + 0.1 + 2/3 =
  0.8767.
- ``vehicle_safety``: vehicle crash-worthiness design, 3 objectives (mass, acceleration
  in a full-frontal crash, toe-board intrusion) of 5 plate thicknesses in [1, 3]
  (Liao et al. 2008; RE3-5-4 in Tanabe and Ishibuchi 2020), objectives on very different
  scales (about 1,660-1,700, 6-12 and 0.04-0.26). Reference point and best hypervolume
  (246.82, from Tanabe and Ishibuchi's approximate front) as in BoTorch's
  ``VehicleSafety``. Added after the acquisition's reference-point rule was chosen on the
  four problems above, as a check on a problem that played no part in choosing it.
- ``disc_brake``: disc brake design, 2 objectives (mass, stopping time) of 4 continuous
  variables (inner and outer radius, engaging force, number of friction surfaces) with 4
  constraints (Ray and Liew 2002; Tanabe and Ishibuchi 2020), as in BoTorch's
  ``DiscBrake``, whose reference point (5.7771, 3.9651) is theirs; BoTorch's slacks are
  feasible when >= 0, so the constraints here are their negatives. Added as a second
  held-out problem, after the reference rule's payoff-table widening was written and
  before it was run on this problem.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from hpo_service.domain import CategoricalParam, FloatParam, IntParam, SearchSpace

Evaluation = tuple[tuple[float, ...], tuple[float, ...]]  # (objectives, constraints <= 0)


@dataclass(frozen=True)
class MOProblem:
    """A minimisation problem with several objectives and optional constraints (<= 0)."""

    name: str
    title: str
    space: SearchSpace
    reference: tuple[float, ...]
    n_constraints: int
    function: Callable[[Mapping[str, object]], Evaluation]
    best_hypervolume: float | None = None

    @property
    def n_objectives(self) -> int:
        """How many objectives."""
        return len(self.reference)

    def __call__(self, params: Mapping[str, object]) -> Evaluation:
        """Objective values and constraint values (feasible when all <= 0)."""
        return self.function(params)


def _floats(params: Mapping[str, object], n: int) -> np.ndarray:
    return np.array([float(params[f"x{i}"]) for i in range(n)])  # type: ignore[arg-type]


def _branin_currin(params: Mapping[str, object]) -> Evaluation:
    x0, x1 = _floats(params, 2)
    u, v = 15.0 * x0 - 5.0, 15.0 * x1
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    branin = (v - b * u**2 + c * u - 6) ** 2 + 10 * (1 - t) * math.cos(u) + 10
    factor = 1.0 if x1 == 0.0 else 1.0 - math.exp(-1.0 / (2.0 * x1))
    ratio = (2300 * x0**3 + 1900 * x0**2 + 2092 * x0 + 60) / (
        100 * x0**3 + 500 * x0**2 + 4 * x0 + 20
    )
    return (float(branin), float(factor * ratio)), ()


def dtlz2_values(x: np.ndarray, m: int) -> np.ndarray:
    """DTLZ2's m objectives at x (the last d - m + 1 coordinates feed g)."""
    g = float(np.sum((x[m - 1 :] - 0.5) ** 2))
    angles = x[: m - 1] * math.pi / 2
    f = np.full(m, 1.0 + g)
    for i in range(m):
        f[i] *= np.prod(np.cos(angles[: m - 1 - i]))
        if i > 0:
            f[i] *= math.sin(angles[m - 1 - i])
    return f


def _dtlz2(params: Mapping[str, object]) -> Evaluation:
    return tuple(float(v) for v in dtlz2_values(_floats(params, 5), 3)), ()


def _c2dtlz2(params: Mapping[str, object]) -> Evaluation:
    f = dtlz2_values(_floats(params, 4), 2)
    m, r = len(f), 0.2
    corners = min(
        (f[i] - 1.0) ** 2 + sum(f[j] ** 2 for j in range(m) if j != i) - r**2 for i in range(m)
    )
    centre = float(np.sum((f - 1.0 / math.sqrt(m)) ** 2) - r**2)
    return tuple(float(v) for v in f), (float(min(corners, centre)),)


SHIFTS = {"a": 0.5, "b": 0.0, "c": 0.25}


def _zdt1_mixed(params: Mapping[str, object]) -> Evaluation:
    x0, x1 = float(params["x0"]), float(params["x1"])  # type: ignore[arg-type]
    k2, k3 = int(params["k2"]), int(params["k3"])  # type: ignore[call-overload]
    g = 1.0 + 9.0 / 3.0 * (x1 + k2 / 10 + k3 / 10 + SHIFTS[str(params["shift"])])
    return (x0, g * (1.0 - math.sqrt(x0 / g))), ()


def _vehicle_safety(params: Mapping[str, object]) -> Evaluation:
    t1, t2, t3, t4, t5 = _floats(params, 5)
    mass = 1640.2823 + 2.3573285 * t1 + 2.3220035 * t2 + 4.5688768 * t3 + 7.7213633 * t4
    mass += 4.4559504 * t5
    acceleration = (
        6.5856 + 1.15 * t1 - 1.0427 * t2 + 0.9738 * t3 + 0.8364 * t4 - 0.3695 * t1 * t4
        + 0.0861 * t1 * t5 + 0.3628 * t2 * t4 - 0.1106 * t1**2 - 0.3437 * t3**2
        + 0.1764 * t4**2
    )  # fmt: skip
    intrusion = (
        -0.0551 + 0.0181 * t1 + 0.1024 * t2 + 0.0421 * t3 - 0.0073 * t1 * t2
        + 0.024 * t2 * t3 - 0.0118 * t2 * t4 - 0.0204 * t3 * t4 - 0.008 * t3 * t5
        - 0.0241 * t2**2 + 0.0109 * t4**2
    )  # fmt: skip
    return (float(mass), float(acceleration), float(intrusion)), ()


def _disc_brake(params: Mapping[str, object]) -> Evaluation:
    x1, x2, x3, x4 = _floats(params, 4)
    sq_diff, cub_diff = x2**2 - x1**2, x2**3 - x1**3
    mass = 4.9e-5 * sq_diff * (x4 - 1.0)
    stopping_time = 9.82e6 * sq_diff / (x3 * x4 * cub_diff)
    slacks = (
        x2 - x1 - 20.0,
        0.4 - x3 / (3.14 * sq_diff),
        1.0 - 2.22e-3 * x3 * cub_diff / sq_diff**2,
        2.66e-2 * x3 * x4 * cub_diff / sq_diff - 900.0,
    )
    return (float(mass), float(stopping_time)), tuple(-float(g) for g in slacks)


def _unit(n: int) -> SearchSpace:
    return SearchSpace(tuple(FloatParam(f"x{i}", 0.0, 1.0) for i in range(n)))


MIXED_SPACE = SearchSpace(
    (
        FloatParam("x0", 0.0, 1.0),
        FloatParam("x1", 0.0, 1.0),
        IntParam("k2", 0, 10),
        IntParam("k3", 0, 10),
        CategoricalParam("shift", ("a", "b", "c")),
    )
)

PROBLEMS: dict[str, MOProblem] = {
    p.name: p
    for p in (
        MOProblem(
            "branin_currin", "BraninCurrin (2 obj., d=2)", _unit(2), (18.0, 6.0), 0, _branin_currin
        ),
        MOProblem(
            "dtlz2",
            "DTLZ2 (3 obj., d=5)",
            _unit(5),
            (1.1, 1.1, 1.1),
            0,
            _dtlz2,
            1.1**3 - math.pi / 6,
        ),
        MOProblem(
            "c2dtlz2", "C2-DTLZ2 (2 obj., d=4, 1 constraint)", _unit(4), (1.1, 1.1), 1, _c2dtlz2
        ),
        MOProblem(
            "zdt1_mixed",
            "ZDT1 mixed (2 obj.; 2 float, 2 int, 1 categorical)",
            MIXED_SPACE,
            (1.1, 1.1),
            0,
            _zdt1_mixed,
            1.1 * 0.1 + 0.1 + 2 / 3,
        ),
        MOProblem(
            "vehicle_safety",
            "VehicleSafety (3 obj., d=5; held out)",
            SearchSpace(tuple(FloatParam(f"x{i}", 1.0, 3.0) for i in range(5))),
            (1864.72022, 11.81993945, 0.2903999384),
            0,
            _vehicle_safety,
            246.81607081187002,
        ),
        MOProblem(
            "disc_brake",
            "DiscBrake (2 obj., d=4, 4 constraints; held out)",
            SearchSpace(
                (
                    FloatParam("x0", 55.0, 80.0),
                    FloatParam("x1", 75.0, 110.0),
                    FloatParam("x2", 1000.0, 3000.0),
                    FloatParam("x3", 11.0, 20.0),
                )
            ),
            (5.7771, 3.9651),
            4,
            _disc_brake,
        ),
    )
}
