"""The broad gp suite (issue 13): 20 problems with known optima, split once into two halves.

Functions are in gp_suite_functions.py (SFU Virtual Library and BBOB formulas, cited there);
this module turns them into problems: plain boxes, a low-dimensional function embedded in
25 or 30 dimensions of which the rest do nothing, mixed spaces (floats, integers and a
categorical that picks a shifted variant), log-scaled spaces whose useful range spans
decades, and problems observed with Gaussian noise.

Numerically found optima (Hartmann, Shekel, six-hump camel) were polished with Nelder-Mead
and L-BFGS-B from the SFU argmin; tests/bench/test_gp_suite_problems.py checks every stated
optimum at its argmin and that 2,000 random points do not beat it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
from gp_problems import Problem, branin, hartmann6
from gp_suite_functions import (
    ackley,
    bbob_different_powers,
    bbob_ellipsoid,
    bbob_instance,
    dixon_price,
    dixon_price_argmin,
    goldstein_price,
    griewank,
    hartmann3,
    mccormick,
    mixed_levy,
    mixed_rosenbrock,
    powell,
    rastrigin,
    rosenbrock,
    shekel,
    six_hump_camel,
    styblinski_tang,
    zakharov,
)

from hpo_service.domain import CategoricalParam, FloatParam, IntParam, Param

Function = Callable[[np.ndarray], float]
ST_ARGMIN = -2.903534027771177  # root of 4 t^3 - 32 t + 5 = 0
ST_OPTIMUM = -39.16616570377141  # per dimension
BRANIN_OPTIMUM = 5 / (4 * math.pi)  # 0.397887..., exact


def box(
    name: str, function: Function, bounds: tuple[tuple[float, float], ...], **kw: object
) -> Problem:
    """A box-bounded float problem (x0, x1, ...)."""
    return Problem(name, bounds, function=function, **kw)  # type: ignore[arg-type]


def embedded(
    name: str,
    function: Function,
    bounds: tuple[tuple[float, float], ...],
    argmin: tuple[float, ...],
    optimum: float,
    active: tuple[int, ...],
    dimension: int,
) -> Problem:
    """``function`` of the coordinates ``active`` in a [0, 1] box of ``dimension``; the
    other coordinates do nothing."""
    full = [(0.0, 1.0)] * dimension
    point = [0.5] * dimension
    for index, bound, value in zip(active, bounds, argmin, strict=True):
        full[index], point[index] = bound, value
    columns = list(active)
    return Problem(name, tuple(full), optimum, lambda x: function(x[columns]), argmin=tuple(point))


def log_scaled(
    name: str,
    function: Function,
    bounds: tuple[tuple[float, float], ...],
    decades: tuple[tuple[float, float], ...],
    argmin: tuple[float, ...],
    optimum: float,
) -> Problem:
    """``function`` with coordinate i read from p_i in [10^lo_i, 10^hi_i] (log-scaled):
    x_i = bound_lo + (log10 p_i - lo_i) / (hi_i - lo_i) * (bound_hi - bound_lo)."""
    lows = np.array([b[0] for b in bounds])
    spans = np.array([b[1] - b[0] for b in bounds])
    d_lo = np.array([d[0] for d in decades])
    d_span = np.array([d[1] - d[0] for d in decades])
    params: tuple[Param, ...] = tuple(
        FloatParam(f"p{i}", 10.0**lo, 10.0**hi, log=True) for i, (lo, hi) in enumerate(decades)
    )
    point = tuple(
        float(10 ** (d_lo[i] + (a - lows[i]) / spans[i] * d_span[i])) for i, a in enumerate(argmin)
    )
    return Problem(
        name,
        (),
        optimum,
        lambda p: function(lows + (np.log10(p) - d_lo) / d_span * spans),
        parameters=params,
        argmin=point,
    )


def mixed(
    name: str,
    function: Function,
    counts: tuple[int, int],
    bounds: tuple[float, float],
    choices: tuple[str, ...],
    argmin: tuple[float | int | str, ...],
) -> Problem:
    """Floats x0.. and integers n0.. over ``bounds`` and a categorical c; minimum 0."""
    floats, ints = counts
    low, high = bounds
    params: tuple[Param, ...] = (
        *(FloatParam(f"x{i}", low, high) for i in range(floats)),
        *(IntParam(f"n{i}", int(low), int(high)) for i in range(ints)),
        CategoricalParam("c", choices),
    )
    return Problem(name, (), 0.0, function, parameters=params, argmin=argmin)


_ELLIPSOID = bbob_instance(10, 10)
_POWERS = bbob_instance(10, 14)
_HARTMANN6_ARGMIN = (
    0.20168950909365738,
    0.15001069354111363,
    0.47687397292509975,
    0.2753324275220781,
    0.31165161723956825,
    0.65730053455367,
)
_SHEKEL_ARGMIN = (4.000746866658956, 3.9995094808675886, 4.000746866997999, 3.9995094822423836)
_MCCORMICK_X = 0.5 - math.pi / 3

PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        # development half
        box(
            "six_hump_camel_2d",
            six_hump_camel,
            ((-3.0, 3.0), (-2.0, 2.0)),
            optimum=-1.0316284534898772,
            argmin=(0.08984200893527233, -0.712656403019058),
        ),
        log_scaled(
            "log_branin_2d",
            branin,
            ((-5.0, 10.0), (0.0, 15.0)),
            ((-5.0, 0.0), (-3.0, 3.0)),
            (math.pi, 2.275),
            BRANIN_OPTIMUM,
        ),
        box(
            "hartmann3_3d",
            hartmann3,
            ((0.0, 1.0),) * 3,
            optimum=-3.862779787332663,
            argmin=(0.11458888120886297, 0.5556488953084381, 0.8525469838697266),
        ),
        box(
            "noisy_hartmann6_6d",
            hartmann6,
            ((0.0, 1.0),) * 6,
            optimum=-3.3223680114155147,
            argmin=_HARTMANN6_ARGMIN,
            noise_sd=0.1,
        ),
        mixed(
            "mixed_levy_6d",
            mixed_levy,
            (3, 2),
            (-10.0, 10.0),
            ("a", "b", "c"),
            (4.0, 4.0, 4.0, 1, 1, "b"),
        ),
        box("ackley_10d", ackley, ((-32.768, 32.768),) * 10, optimum=0.0, argmin=(0.0,) * 10),
        box(
            "dixon_price_10d",
            dixon_price,
            ((-10.0, 10.0),) * 10,
            optimum=0.0,
            argmin=dixon_price_argmin(10),
        ),
        box(
            "bbob_ellipsoid_10d",
            partial(bbob_ellipsoid, *_ELLIPSOID),
            ((-5.0, 5.0),) * 10,
            optimum=0.0,
            argmin=tuple(_ELLIPSOID[0].tolist()),
        ),
        box(
            "styblinski_tang_20d",
            styblinski_tang,
            ((-5.0, 5.0),) * 20,
            optimum=20 * ST_OPTIMUM,
            argmin=(ST_ARGMIN,) * 20,
        ),
        embedded(
            "branin_in_25d",
            branin,
            ((-5.0, 10.0), (0.0, 15.0)),
            (math.pi, 2.275),
            BRANIN_OPTIMUM,
            active=(5, 17),
            dimension=25,
        ),
        # held-out half
        box(
            "goldstein_price_2d",
            goldstein_price,
            ((-2.0, 2.0),) * 2,
            optimum=3.0,
            argmin=(0.0, -1.0),
        ),
        log_scaled(
            "log_rosenbrock_3d",
            rosenbrock,
            ((-5.0, 10.0),) * 3,
            ((-5.0, 10.0),) * 3,
            (1.0, 1.0, 1.0),
            0.0,
        ),
        box(
            "noisy_shekel_4d",
            shekel,
            ((0.0, 10.0),) * 4,
            optimum=-10.53644315348353,
            argmin=_SHEKEL_ARGMIN,
            noise_sd=0.1,
        ),
        box("rastrigin_5d", rastrigin, ((-5.12, 5.12),) * 5, optimum=0.0, argmin=(0.0,) * 5),
        mixed(
            "mixed_rosenbrock_7d",
            mixed_rosenbrock,
            (4, 2),
            (-5.0, 10.0),
            ("low", "mid", "high"),
            (3.0, 3.0, 3.0, 3.0, 1, 1, "mid"),
        ),
        box("griewank_8d", griewank, ((-600.0, 600.0),) * 8, optimum=0.0, argmin=(0.0,) * 8),
        box(
            "bbob_different_powers_10d",
            partial(bbob_different_powers, *_POWERS),
            ((-5.0, 5.0),) * 10,
            optimum=0.0,
            argmin=tuple(_POWERS[0].tolist()),
        ),
        box("zakharov_12d", zakharov, ((-5.0, 10.0),) * 12, optimum=0.0, argmin=(0.0,) * 12),
        box("powell_20d", powell, ((-4.0, 5.0),) * 20, optimum=0.0, argmin=(0.0,) * 20),
        embedded(
            "mccormick_in_30d",
            mccormick,
            ((-1.5, 4.0), (-3.0, 4.0)),
            (_MCCORMICK_X, _MCCORMICK_X - 1),
            -math.sqrt(3) / 2 - 0.5 + _MCCORMICK_X,
            active=(8, 21),
            dimension=30,
        ),
    )
}

# The split, fixed before any run. Develop (tune the engine, choose defaults) on DEVELOPMENT
# only; HELD_OUT is reported untouched and must not be used to tune the engine.
DEVELOPMENT = (
    "six_hump_camel_2d",
    "log_branin_2d",
    "hartmann3_3d",
    "noisy_hartmann6_6d",
    "mixed_levy_6d",
    "ackley_10d",
    "dixon_price_10d",
    "bbob_ellipsoid_10d",
    "styblinski_tang_20d",
    "branin_in_25d",
)
HELD_OUT = (
    "goldstein_price_2d",
    "log_rosenbrock_3d",
    "noisy_shekel_4d",
    "rastrigin_5d",
    "mixed_rosenbrock_7d",
    "griewank_8d",
    "bbob_different_powers_10d",
    "zakharov_12d",
    "powell_20d",
    "mccormick_in_30d",
)


def half_of(name: str) -> str:
    """ "development" or "held-out"."""
    return "development" if name in DEVELOPMENT else "held-out"


def budgets_of(problem: Problem) -> tuple[int, ...]:
    """Issue 13's budgets: 50 and 100, and 200 as well from 20 dimensions up."""
    return (50, 100, 200) if len(problem.params) >= 20 else (50, 100)
